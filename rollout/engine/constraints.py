"""Strategy constraints: the 19 operators of the Unleash client specification, pre-parsed.

Semantics follow Unleash's SDKs: an operator that cannot be evaluated (missing context value, value that
does not parse) yields "no match", and `inverted` then negates that result. Two cases never match whatever
`inverted` says, because the constraint itself cannot run: an unknown operator (as in the spec) and a REGEX
pattern that does not compile.
"""

import ipaddress
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final

from rollout.engine import _shape
from rollout.engine.context import as_text, context_value
from rollout.engine.errors import EngineValidationError
from rollout.engine.rust_regex import UnsupportedPattern, compile_rust_regex
from rollout.engine.semver import Version, parse_semver

OPERATORS: Final[tuple[str, ...]] = (
    "IN",
    "NOT_IN",
    "STR_CONTAINS",
    "STR_STARTS_WITH",
    "STR_ENDS_WITH",
    "NUM_EQ",
    "NUM_GT",
    "NUM_GTE",
    "NUM_LT",
    "NUM_LTE",
    "DATE_AFTER",
    "DATE_BEFORE",
    "SEMVER_EQ",
    "SEMVER_GT",
    "SEMVER_GTE",
    "SEMVER_LT",
    "SEMVER_LTE",
    "REGEX",
    "IN_CIDR",
)
# Operators that read the constraint's `values` list; every other one reads its single `value`.
LIST_OPERATORS: Final = frozenset(
    {"IN", "NOT_IN", "STR_CONTAINS", "STR_STARTS_WITH", "STR_ENDS_WITH", "IN_CIDR"}
)

_Compare = Callable[[Any, Any], bool]
_COMPARISONS: Final[dict[str, _Compare]] = {
    "EQ": operator.eq,
    "GT": operator.gt,
    "GTE": operator.ge,
    "LT": operator.lt,
    "LTE": operator.le,
    "AFTER": operator.gt,
    "BEFORE": operator.lt,
}
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class Constraint:
    """A compiled constraint; `matches` applies `inverted` to the operator's own result."""

    __slots__ = ("field", "inverted")

    def __init__(self, field: str, inverted: bool) -> None:
        self.field = field
        self.inverted = inverted

    def matches(self, context: Mapping[str, Any]) -> bool:
        return self.test(context) != self.inverted

    def test(self, context: Mapping[str, Any]) -> bool:
        raise NotImplementedError


class NeverConstraint(Constraint):
    """An unknown operator or an uncompilable pattern: never matches, inverted or not."""

    __slots__ = ()

    def matches(self, context: Mapping[str, Any]) -> bool:
        return False

    def test(self, context: Mapping[str, Any]) -> bool:
        return False


class InConstraint(Constraint):
    __slots__ = ("values",)

    def __init__(self, field: str, inverted: bool, values: frozenset[str]) -> None:
        super().__init__(field, inverted)
        self.values = values

    def test(self, context: Mapping[str, Any]) -> bool:
        return as_text(context_value(context, self.field)) in self.values


class StringConstraint(Constraint):
    __slots__ = ("case_insensitive", "kind", "values")

    def __init__(
        self, field: str, inverted: bool, kind: str, values: tuple[str, ...], case_insensitive: bool
    ) -> None:
        super().__init__(field, inverted)
        self.kind = kind
        self.case_insensitive = case_insensitive
        self.values = tuple(value.lower() for value in values) if case_insensitive else values

    def test(self, context: Mapping[str, Any]) -> bool:
        text = as_text(context_value(context, self.field))
        if text is None:
            return False
        if self.case_insensitive:
            text = text.lower()
        if self.kind == "STR_STARTS_WITH":
            return text.startswith(self.values)
        if self.kind == "STR_ENDS_WITH":
            return text.endswith(self.values)
        return any(value in text for value in self.values)


class NumberConstraint(Constraint):
    __slots__ = ("compare", "value")

    def __init__(self, field: str, inverted: bool, compare: _Compare, value: float | None) -> None:
        super().__init__(field, inverted)
        self.compare = compare
        self.value = value

    def test(self, context: Mapping[str, Any]) -> bool:
        if self.value is None:
            return False
        raw = context_value(context, self.field)
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            number: float | None = float(raw)
        else:
            text = as_text(raw)
            number = None if text is None else parse_number(text)
        return number is not None and self.compare(number, self.value)


class DateConstraint(Constraint):
    __slots__ = ("compare", "value")

    def __init__(self, field: str, inverted: bool, compare: _Compare, value: datetime | None) -> None:
        super().__init__(field, inverted)
        self.compare = compare
        self.value = value

    def test(self, context: Mapping[str, Any]) -> bool:
        if self.value is None:
            return False
        raw = context_value(context, self.field)
        if raw is None and self.field == "currentTime":
            moment: datetime | None = datetime.now(UTC)
        elif isinstance(raw, datetime):
            moment = raw if raw.tzinfo is not None else raw.replace(tzinfo=UTC)
        else:
            text = as_text(raw)
            moment = None if text is None else parse_date(text)
        return moment is not None and self.compare(moment, self.value)


class SemverConstraint(Constraint):
    __slots__ = ("compare", "value")

    def __init__(self, field: str, inverted: bool, compare: _Compare, value: Version | None) -> None:
        super().__init__(field, inverted)
        self.compare = compare
        self.value = value

    def test(self, context: Mapping[str, Any]) -> bool:
        if self.value is None:
            return False
        text = as_text(context_value(context, self.field))
        version = None if text is None else parse_semver(text)
        return version is not None and self.compare(version, self.value)


class RegexConstraint(Constraint):
    __slots__ = ("regex",)

    def __init__(self, field: str, inverted: bool, regex: Any) -> None:
        super().__init__(field, inverted)
        self.regex = regex

    def test(self, context: Mapping[str, Any]) -> bool:
        text = as_text(context_value(context, self.field))
        if text is None:
            return False
        try:
            return self.regex.search(text) is not None
        except UnicodeEncodeError:  # a lone surrogate cannot be handed to RE2
            return False


class CidrConstraint(Constraint):
    __slots__ = ("networks",)

    def __init__(self, field: str, inverted: bool, networks: tuple[_Network, ...]) -> None:
        super().__init__(field, inverted)
        self.networks = networks

    def test(self, context: Mapping[str, Any]) -> bool:
        text = as_text(context_value(context, self.field))
        address = None if text is None else parse_address(text)
        return address is not None and address_in(address, self.networks)


# --- value parsing ----------------------------------------------------------------------------------


def parse_number(text: str) -> float | None:
    """A decimal number as Rust's f64 parser reads it (no padding, no digit separators)."""
    if not text or "_" in text or text != text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        return None


def parse_date(text: str) -> datetime | None:
    """An ISO 8601 / RFC 3339 timestamp; one without an offset is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@lru_cache(maxsize=4096)
def parse_address(text: str) -> _Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def parse_network(text: str) -> _Network | None:
    """An address or CIDR range (host bits allowed, as in `10.1.2.3/8`); None when invalid."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def address_in(address: _Address, networks: tuple[_Network, ...]) -> bool:
    version = address.version
    return any(network.version == version and address in network for network in networks)


# --- compiling --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConstraintShape:
    """A constraint's fields, structurally checked."""

    field: str
    operator: str
    values: tuple[str, ...] | None
    value: str | None
    inverted: bool
    case_insensitive: bool


def constraint_shape(raw: Any, path: str) -> ConstraintShape:
    body = _shape.mapping(raw, path)
    return ConstraintShape(
        field=_shape.string(body.get("contextName"), f"{path}.contextName", non_empty=True),
        operator=_shape.string(body.get("operator"), f"{path}.operator", non_empty=True),
        values=(
            None if body.get("values") is None else _shape.string_list(body.get("values"), f"{path}.values")
        ),
        value=_shape.scalar_text(body.get("value"), f"{path}.value"),
        inverted=_shape.boolean(body.get("inverted"), f"{path}.inverted", default=False),
        case_insensitive=_shape.boolean(
            body.get("caseInsensitive"), f"{path}.caseInsensitive", default=False
        ),
    )


def compile_constraint(raw: Any, path: str) -> Constraint:
    """Compile one constraint; raises EngineValidationError only for structural problems."""
    shape = constraint_shape(raw, path)
    field, op, inverted = shape.field, shape.operator, shape.inverted
    values = shape.values or ()
    if op in ("IN", "NOT_IN"):
        cleaned = frozenset(value.strip() for value in values if value)
        return InConstraint(field, inverted != (op == "NOT_IN"), cleaned)
    if op in ("STR_CONTAINS", "STR_STARTS_WITH", "STR_ENDS_WITH"):
        cleaned_values = tuple(value.strip() for value in values if value)
        return StringConstraint(field, inverted, op, cleaned_values, shape.case_insensitive)
    if op == "IN_CIDR":
        networks = (parse_network(value) for value in values)
        return CidrConstraint(field, inverted, tuple(network for network in networks if network))
    value = shape.value
    family, _, comparison = op.partition("_")
    if family == "NUM" and comparison in ("EQ", "GT", "GTE", "LT", "LTE"):
        number = None if value is None else parse_number(value)
        return NumberConstraint(field, inverted, _COMPARISONS[comparison], number)
    if family == "DATE" and comparison in ("AFTER", "BEFORE"):
        moment = None if value is None else parse_date(value)
        return DateConstraint(field, inverted, _COMPARISONS[comparison], moment)
    if family == "SEMVER" and comparison in ("EQ", "GT", "GTE", "LT", "LTE"):
        version = None if value is None else parse_semver(value)
        return SemverConstraint(field, inverted, _COMPARISONS[comparison], version)
    if op == "REGEX" and value is not None:
        try:
            regex = compile_rust_regex(value, case_insensitive=shape.case_insensitive)
        except UnsupportedPattern:
            return NeverConstraint(field, inverted)
        return RegexConstraint(field, inverted, regex)
    return NeverConstraint(field, inverted)


def compile_constraints(raw: Any, path: str) -> tuple[Constraint, ...]:
    items = _shape.sequence(raw, path, optional=True)
    return tuple(compile_constraint(item, f"{path}[{index}]") for index, item in enumerate(items))


def validate_constraint(raw: Any, path: str) -> None:
    """Strict check of one constraint, for refusing invalid rules before they are saved."""
    shape = constraint_shape(raw, path)
    op = shape.operator
    if op not in OPERATORS:
        raise EngineValidationError(
            f"{path}.operator: unknown operator {op!r} (expected one of {', '.join(OPERATORS)})"
        )
    if op in LIST_OPERATORS:
        if shape.values is None:
            raise EngineValidationError(f"{path}.values: {op} needs a list of strings")
        if op == "IN_CIDR":
            for index, entry in enumerate(shape.values):
                if parse_network(entry) is None:
                    raise EngineValidationError(
                        f"{path}.values[{index}]: {entry!r} is not an IP address or CIDR range"
                    )
        return
    value = shape.value
    if value is None or not value.strip():
        raise EngineValidationError(f"{path}.value: {op} needs a value")
    if op.startswith("NUM_") and parse_number(value) is None:
        raise EngineValidationError(f"{path}.value: {value!r} is not a number")
    if op.startswith("DATE_") and parse_date(value) is None:
        raise EngineValidationError(f"{path}.value: {value!r} is not an ISO 8601 date-time")
    if op.startswith("SEMVER_") and parse_semver(value) is None:
        raise EngineValidationError(f"{path}.value: {value!r} is not a SemVer 2.0 version")
    if op == "REGEX":
        try:
            compile_rust_regex(value, case_insensitive=shape.case_insensitive)
        except UnsupportedPattern as error:
            raise EngineValidationError(f"{path}.value: {error}") from None
