"""Enrollment codes: 8 Crockford base32 characters, shown as XXXX-XXXX, forgiving when typed back."""

import secrets

from django.utils.crypto import salted_hmac

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
LENGTH = 8
_TYPO_FIXES = str.maketrans({"O": "0", "I": "1", "L": "1"})
# What the API takes (the shim sends XXXX-XXXX): either case, the hyphen optional, the typo letters I, L and O
# too. Everything it matches normalizes to a code; the web form and Discord stay as forgiving as normalize_code.
API_PATTERN = r"^[0-9A-TV-Za-tv-z]{4}-?[0-9A-TV-Za-tv-z]{4}$"


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize_code(raw: str) -> str | None:
    """The canonical code for what a person typed, or None when it cannot be one."""
    cleaned = raw.strip().upper().replace("-", "").replace(" ", "").translate(_TYPO_FIXES)
    if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def hash_code(canonical: str) -> str:
    """What is stored of a code: an HMAC keyed with SECRET_KEY, since 40 bits would not survive an offline search
    of a plain digest taken from a database dump. Rotating SECRET_KEY voids outstanding codes (they last hours)."""
    return salted_hmac("pitwall.enrollment-code", canonical, algorithm="sha256").hexdigest()


def display_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"
