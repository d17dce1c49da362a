"""Activation strategies, pre-parsed: the built-in ones of the Unleash client specification."""

import os
import random
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from rollout.engine import _shape
from rollout.engine.constraints import (
    Constraint,
    address_in,
    compile_constraints,
    parse_address,
    parse_network,
    parse_number,
    validate_constraint,
)
from rollout.engine.context import as_text, context_value
from rollout.engine.errors import EngineValidationError
from rollout.engine.hashing import normalized_hash
from rollout.engine.variants import VariantSet, compile_variants, validate_variants

STRATEGIES: Final[tuple[str, ...]] = (
    "default",
    "userWithId",
    "gradualRolloutUserId",
    "gradualRolloutSessionId",
    "gradualRolloutRandom",
    "remoteAddress",
    "flexibleRollout",
    "applicationHostname",
)
# Parameters each strategy cannot do without, checked by `validate_strategy`.
_REQUIRED_PARAMETERS: Final[dict[str, tuple[str, ...]]] = {
    "userWithId": ("userIds",),
    "gradualRolloutUserId": ("percentage",),
    "gradualRolloutSessionId": ("percentage",),
    "gradualRolloutRandom": ("percentage",),
    "remoteAddress": ("IPs",),
    "flexibleRollout": ("rollout",),
    "applicationHostname": ("hostNames",),
}
_PERCENTAGE_PARAMETER: Final = {
    "gradualRolloutUserId": "percentage",
    "gradualRolloutSessionId": "percentage",
    "gradualRolloutRandom": "percentage",
    "flexibleRollout": "rollout",
}


class Rule:
    """The strategy-specific part of a strategy: does this context get the feature?"""

    __slots__ = ()

    def matches(self, context: Mapping[str, Any]) -> bool:
        raise NotImplementedError


class AlwaysRule(Rule):
    __slots__ = ()

    def matches(self, context: Mapping[str, Any]) -> bool:
        return True


class NeverRule(Rule):
    """An unknown strategy, or one referencing a segment that does not exist."""

    __slots__ = ()

    def matches(self, context: Mapping[str, Any]) -> bool:
        return False


class UserWithIdRule(Rule):
    __slots__ = ("user_ids",)

    def __init__(self, user_ids: frozenset[str]) -> None:
        self.user_ids = user_ids

    def matches(self, context: Mapping[str, Any]) -> bool:
        return as_text(context.get("userId")) in self.user_ids


class GradualRolloutRule(Rule):
    """gradualRolloutUserId / gradualRolloutSessionId: a hash bucket of one context field."""

    __slots__ = ("field", "group_id", "percentage")

    def __init__(self, field: str, percentage: float, group_id: str) -> None:
        self.field = field
        self.percentage = percentage
        self.group_id = group_id

    def matches(self, context: Mapping[str, Any]) -> bool:
        identifier = as_text(context.get(self.field))
        if not identifier or self.percentage <= 0:
            return False
        return normalized_hash(identifier, self.group_id) <= self.percentage


class RandomRule(Rule):
    __slots__ = ("percentage",)

    def __init__(self, percentage: float) -> None:
        self.percentage = percentage

    def matches(self, context: Mapping[str, Any]) -> bool:
        return self.percentage > 0 and random.randint(1, 100) <= self.percentage


class FlexibleRolloutRule(Rule):
    __slots__ = ("group_id", "percentage", "stickiness")

    def __init__(self, percentage: float, group_id: str, stickiness: str) -> None:
        self.percentage = percentage
        self.group_id = group_id
        self.stickiness = stickiness

    def matches(self, context: Mapping[str, Any]) -> bool:
        if self.percentage <= 0:
            return False
        stickiness = self.stickiness
        if stickiness == "default":
            identifier = as_text(context.get("userId")) or as_text(context.get("sessionId"))
            if not identifier:
                return random.randint(1, 100) <= self.percentage
        elif stickiness == "random":
            return random.randint(1, 100) <= self.percentage
        elif stickiness in ("userId", "sessionId"):
            identifier = as_text(context.get(stickiness))
        else:
            identifier = as_text(context_value(context, stickiness))
        if not identifier:
            return False
        return normalized_hash(identifier, self.group_id) <= self.percentage


class RemoteAddressRule(Rule):
    __slots__ = ("addresses", "networks")

    def __init__(self, addresses: frozenset[str], networks: tuple[Any, ...]) -> None:
        self.addresses = addresses
        self.networks = networks

    def matches(self, context: Mapping[str, Any]) -> bool:
        remote = as_text(context.get("remoteAddress"))
        if not remote:
            return False
        if remote in self.addresses:
            return True
        address = parse_address(remote)
        return address is not None and address_in(address, self.networks)


class HostnameRule(Rule):
    __slots__ = ("hostnames",)

    def __init__(self, hostnames: frozenset[str]) -> None:
        self.hostnames = hostnames

    def matches(self, context: Mapping[str, Any]) -> bool:
        hostname = as_text(context_value(context, "hostname")) or machine_hostname()
        return hostname.lower() in self.hostnames


@cache
def machine_hostname() -> str:
    """This machine's name, as Unleash's SDKs read it ($HOSTNAME first)."""
    return os.environ.get("HOSTNAME") or socket.gethostname() or "undefined"


@dataclass(frozen=True, slots=True)
class Strategy:
    name: str
    rule: Rule
    constraints: tuple[Constraint, ...]  # segment constraints first, then the strategy's own
    variants: VariantSet | None
    # Matches every context: no constraints or segments, and no id list or percentage below 100.
    is_static: bool

    def matches(self, context: Mapping[str, Any]) -> bool:
        for constraint in self.constraints:
            if not constraint.matches(context):
                return False
        return self.rule.matches(context)


def compile_strategy(
    raw: Any, path: str, *, feature_name: str, segments: Mapping[int, tuple[Constraint, ...]]
) -> Strategy:
    """Compile one strategy; raises EngineValidationError only for structural problems."""
    body = _shape.mapping(raw, path)
    name = _shape.string(body.get("name"), f"{path}.name", non_empty=True)
    parameters = _parameters(body.get("parameters"), f"{path}.parameters")
    constraints = compile_constraints(body.get("constraints"), f"{path}.constraints")
    segment_ids = _segment_ids(body.get("segments"), f"{path}.segments")
    rule = _rule(name, parameters, feature_name)
    if any(segment_id not in segments for segment_id in segment_ids):
        rule = NeverRule()
    else:
        constraints = tuple(c for segment_id in segment_ids for c in segments[segment_id]) + constraints
    variants = compile_variants(
        body.get("variants"),
        f"{path}.variants",
        group_id=parameters.get("groupId") or feature_name,
        stickiness=parameters.get("stickiness"),
    )
    return Strategy(
        name=name,
        rule=rule,
        constraints=constraints,
        variants=variants,
        is_static=not constraints and not segment_ids and _rule_is_static(rule),
    )


def _rule(name: str, parameters: Mapping[str, str], feature_name: str) -> Rule:
    if name == "default":
        return AlwaysRule()
    if name == "userWithId":
        return UserWithIdRule(frozenset(_split_list(parameters.get("userIds"))))
    if name in ("gradualRolloutUserId", "gradualRolloutSessionId"):
        field = "userId" if name == "gradualRolloutUserId" else "sessionId"
        return GradualRolloutRule(
            field, _percentage(parameters.get("percentage")), parameters.get("groupId") or ""
        )
    if name == "gradualRolloutRandom":
        return RandomRule(_percentage(parameters.get("percentage")))
    if name == "flexibleRollout":
        return FlexibleRolloutRule(
            _percentage(parameters.get("rollout")),
            parameters.get("groupId") or feature_name,
            parameters.get("stickiness") or "default",
        )
    if name == "remoteAddress":
        entries = _split_list(parameters.get("IPs"))
        networks = (parse_network(entry) for entry in entries)
        return RemoteAddressRule(frozenset(entries), tuple(network for network in networks if network))
    if name == "applicationHostname":
        return HostnameRule(frozenset(entry.lower() for entry in _split_list(parameters.get("hostNames"))))
    return NeverRule()


def _rule_is_static(rule: Rule) -> bool:
    if isinstance(rule, AlwaysRule):
        return True
    if isinstance(rule, RandomRule):
        return rule.percentage >= 100
    if isinstance(rule, FlexibleRolloutRule):
        return rule.percentage >= 100 and rule.stickiness in ("default", "random")
    return False


def _parameters(raw: Any, path: str) -> dict[str, str]:
    if raw is None:
        return {}
    body = _shape.mapping(raw, path)
    parameters = {}
    for key, value in body.items():
        text = _shape.scalar_text(value, f"{path}.{key}")
        if text is not None:
            parameters[str(key)] = text
    return parameters


def _segment_ids(raw: Any, path: str) -> tuple[int, ...]:
    items = _shape.sequence(raw, path, optional=True)
    for index, item in enumerate(items):
        if not isinstance(item, int) or isinstance(item, bool):
            raise EngineValidationError(f"{path}[{index}]: expected a segment id (integer), got {item!r}")
    return tuple(items)


def _split_list(text: str | None) -> list[str]:
    """A comma-separated parameter, as Unleash writes user ids, IPs and host names."""
    if not text:
        return []
    return [entry.strip() for entry in text.split(",") if entry.strip()]


def _percentage(text: str | None) -> float:
    """A percentage parameter; one that does not parse enables nobody."""
    number = None if text is None else parse_number(text.strip())
    return number if number is not None and number == number else 0.0


def validate_strategy(strategy: Mapping[str, Any], *, segment_ids: Any = None) -> None:
    """Refuse a strategy that would be invalid or meaningless; raises EngineValidationError.

    `segment_ids`, when given, is the collection of existing segment ids the strategy may reference.
    """
    path = "strategy"
    body = _shape.mapping(strategy, path)
    name = _shape.string(body.get("name"), f"{path}.name", non_empty=True)
    if name not in STRATEGIES:
        raise EngineValidationError(
            f"{path}.name: unknown strategy {name!r} (expected one of {', '.join(STRATEGIES)})"
        )
    parameters = _parameters(body.get("parameters"), f"{path}.parameters")
    for key in _REQUIRED_PARAMETERS.get(name, ()):
        if key not in parameters:
            raise EngineValidationError(f"{path}.parameters.{key}: required by {name}")
    percentage_key = _PERCENTAGE_PARAMETER.get(name)
    if percentage_key is not None:
        number = parse_number(parameters[percentage_key].strip())
        if number is None or not 0 <= number <= 100:
            raise EngineValidationError(
                f"{path}.parameters.{percentage_key}: expected a number from 0 to 100, "
                f"got {parameters[percentage_key]!r}"
            )
    if name == "remoteAddress":
        for entry in _split_list(parameters["IPs"]):
            if parse_network(entry) is None:
                raise EngineValidationError(
                    f"{path}.parameters.IPs: {entry!r} is not an IP address or CIDR range"
                )
    if "stickiness" in parameters and not parameters["stickiness"].strip():
        raise EngineValidationError(f"{path}.parameters.stickiness: must not be empty")
    validate_constraints_at(body.get("constraints"), f"{path}.constraints")
    for segment_id in _segment_ids(body.get("segments"), f"{path}.segments"):
        if segment_ids is not None and segment_id not in segment_ids:
            raise EngineValidationError(f"{path}.segments: segment {segment_id} does not exist")
    validate_variants(body.get("variants"), f"{path}.variants")


def validate_constraints_at(constraints: Any, path: str) -> None:
    items = _shape.sequence(constraints, path, optional=True)
    for index, item in enumerate(items):
        validate_constraint(item, f"{path}[{index}]")
