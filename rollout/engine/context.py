"""Reading values out of an evaluation context.

A context is the Unleash one (`userId`, `sessionId`, `remoteAddress`, `environment`, `appName`,
`currentTime`, `properties`). A field is looked up at the top level first, then in `properties`, as
Unleash's SDKs do; so an OpenFeature-style context that puts custom fields at the top level works too.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

STANDARD_FIELDS = ("userId", "sessionId", "remoteAddress", "environment", "appName", "currentTime")


def context_value(context: Mapping[str, Any], field: str) -> Any:
    """The raw value of `field`, or None when absent (null counts as absent)."""
    value = context.get(field)
    if value is None:
        properties = context.get("properties")
        if properties is not None and isinstance(properties, Mapping):
            value = properties.get(field)
    return value


def as_text(value: Any) -> str | None:
    """A context value as the string the operators compare, or None for absent / non-scalar values.

    Numbers and booleans are spelled the way JavaScript (and JSON) spell them, so `{"age": 42}` and
    `{"age": "42"}` evaluate alike.
    """
    if type(value) is str:
        return value
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return None


def text_value(context: Mapping[str, Any], field: str) -> str | None:
    """`context_value` as text."""
    return as_text(context_value(context, field))
