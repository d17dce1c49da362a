"""The one domain error type. Services raise it; pitwall.api_errors renders it for the API.

Shape on the wire: {"error": {"code": "snake_case", "message": "human text", "details": {...}}}.
"""

from typing import Any


class ApplicationError(Exception):
    """A refusal the caller can act on; services raise it, the API handler renders it."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        status_code: int = 400,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status_code = status_code
        self.details = details or {}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}
