"""Installation tokens: random, shown once, stored only as a SHA-256 digest.

A fast digest is right here: the token carries 256 bits of randomness, so there is nothing to brute-force that a
slow password hash would protect; the lookup by digest stays one indexed query on the hot path.
"""

import hashlib
import secrets

PREFIX = "pwi_"


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
