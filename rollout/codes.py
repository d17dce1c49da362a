"""Enrollment codes: 8 Crockford base32 characters, shown as XXXX-XXXX, forgiving when typed back."""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
LENGTH = 8
_TYPO_FIXES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize_code(raw: str) -> str | None:
    """The canonical code for what a person typed, or None when it cannot be one."""
    cleaned = raw.strip().upper().replace("-", "").replace(" ", "").translate(_TYPO_FIXES)
    if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def display_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"
