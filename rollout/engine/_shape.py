"""Structural checks for plain-data flag payloads; each names the offending path in its error."""

from collections.abc import Mapping, Sequence
from typing import Any

from rollout.engine.errors import EngineValidationError


def type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise EngineValidationError(f"{path}: expected an object, got {type_name(value)}")
    return value


def sequence(value: Any, path: str, *, optional: bool = False) -> Sequence[Any]:
    if value is None and optional:
        return ()
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        raise EngineValidationError(f"{path}: expected a list, got {type_name(value)}")
    return value


def string(value: Any, path: str, *, non_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise EngineValidationError(f"{path}: expected a string, got {type_name(value)}")
    if non_empty and not value:
        raise EngineValidationError(f"{path}: must not be empty")
    return value


def optional_string(value: Any, path: str) -> str | None:
    return None if value is None else string(value, path)


def boolean(value: Any, path: str, *, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise EngineValidationError(f"{path}: expected true or false, got {type_name(value)}")
    return value


def string_list(value: Any, path: str, *, optional: bool = False) -> tuple[str, ...]:
    items = sequence(value, path, optional=optional)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise EngineValidationError(
                f"{path}[{index}]: expected a list of strings, found {type_name(item)} {item!r}"
            )
    return tuple(items)


def scalar_text(value: Any, path: str) -> str | None:
    """A string parameter; numbers are accepted and spelled as text (Unleash sends strings)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise EngineValidationError(f"{path}: expected a string, got {type_name(value)}")
