"""What feedback text Pitwall accepts, shared by the service, the API and the web form.

Text is stored verbatim (HTML included: templates escape it, the API returns JSON strings). Refused: empty or
whitespace-only text, more than MAX_TEXT_LENGTH characters, and control characters other than tab and
newlines (NUL cannot even be stored in PostgreSQL; the rest is binary junk or terminal escapes), and lone
surrogates, which JSON can carry but UTF-8 cannot encode.
"""

import hashlib
import re

from feedback.models import MAX_TEXT_LENGTH
from pitwall.errors import ApplicationError

# C0 and C1 controls and DEL, except tab, newline and carriage return; and lone surrogates.
_FORBIDDEN_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# The rules above as one pattern for the OpenAPI document, read alike by Python and ECMA regexes: no forbidden
# character, and at least one that str.strip() keeps. (Lone surrogates cannot be written in it; JSON schema
# validators see none, since they cannot be encoded.)
_ALLOWED = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
_NOT_BLANK = r"[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
TEXT_PATTERN = f"^{_ALLOWED}*{_NOT_BLANK}{_ALLOWED}*$"
# ANSI escape sequences (pasted cargo output), removed whole when the bots repair text.
_ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def feedback_text_validate(text: str) -> str:
    """The text unchanged, or ApplicationError (code `feedback_text_*`) saying what is wrong with it."""
    if not text.strip():
        raise ApplicationError("Feedback text is empty.", code="feedback_text_empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise ApplicationError(
            f"Feedback text is longer than {MAX_TEXT_LENGTH} characters.",
            code="feedback_text_too_long",
            details={"max_length": MAX_TEXT_LENGTH, "length": len(text)},
        )
    if _FORBIDDEN_RE.search(text):
        raise ApplicationError(
            "Feedback text contains control characters or binary data.", code="feedback_text_invalid"
        )
    return text


def feedback_text_repair(text: str) -> str:
    """For sources that cannot be asked again (Discord, GitHub): drop what cannot be stored, cut what is too long."""
    text = _FORBIDDEN_RE.sub("", _ANSI_RE.sub("", text))
    if len(text) > MAX_TEXT_LENGTH:
        text = text[: MAX_TEXT_LENGTH - 1] + "…"
    return feedback_text_validate(text)
