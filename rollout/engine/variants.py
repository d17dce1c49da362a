"""Variants: weighted, sticky choice of a named payload, with per-context overrides."""

import copy
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from rollout.engine import _shape
from rollout.engine.context import as_text, context_value
from rollout.engine.errors import EngineValidationError
from rollout.engine.hashing import VARIANT_SEED, normalized_hash

PAYLOAD_TYPES: Final = frozenset({"string", "json", "csv", "number"})
# Context fields that `default` stickiness tries, in order, before falling back to a random pick.
_DEFAULT_STICKINESS_FIELDS: Final = ("userId", "sessionId", "remoteAddress")


def disabled_variant(*, feature_enabled: bool) -> dict[str, Any]:
    return {"name": "disabled", "enabled": False, "feature_enabled": feature_enabled}


@dataclass(frozen=True, slots=True)
class VariantDefinition:
    name: str
    weight: int
    payload: Mapping[str, Any] | None
    # (context field, values): a context whose field holds one of the values gets this variant.
    overrides: tuple[tuple[str, frozenset[str]], ...]

    def as_result(self) -> dict[str, Any]:
        """The variant as returned to callers: a fresh dict they may mutate."""
        result: dict[str, Any] = {"name": self.name, "enabled": True, "feature_enabled": True}
        if self.payload is not None:
            payload = self.payload
            result["payload"] = (
                dict(payload) if type(payload.get("value")) is str else copy.deepcopy(dict(payload))
            )
        return result


@dataclass(frozen=True, slots=True)
class VariantSet:
    variants: tuple[VariantDefinition, ...]
    total_weight: int
    stickiness: str
    group_id: str
    # More than one variant can be drawn, so a draw is a split rather than a fixed answer.
    is_split: bool
    has_overrides: bool

    def select(self, context: Mapping[str, Any]) -> tuple[VariantDefinition, bool]:
        """The variant for `context`, and whether an override (rather than bucketing) chose it."""
        if self.has_overrides:
            for variant in self.variants:
                for field, values in variant.overrides:
                    if as_text(context_value(context, field)) in values:
                        return variant, True
        target = normalized_hash(self._seed(context), self.group_id, self.total_weight, VARIANT_SEED)
        counter = 0
        for variant in self.variants:
            if variant.weight <= 0:
                continue
            counter += variant.weight
            if counter >= target:
                return variant, False
        return self.variants[-1], False  # unreachable: target <= total_weight

    def _seed(self, context: Mapping[str, Any]) -> str:
        if self.stickiness == "default":
            for field in _DEFAULT_STICKINESS_FIELDS:
                value = as_text(context.get(field))
                if value:
                    return value
        else:
            value = as_text(context_value(context, self.stickiness))
            if value:
                return value
        return str(random.randint(1, 100_000))


def compile_variants(
    raw: Any, path: str, *, group_id: str, stickiness: str | None = None
) -> VariantSet | None:
    """A VariantSet, or None when there is nothing to draw (no variants, or no positive weight).

    `stickiness` is the strategy's, for strategy variants; the first variant's own stickiness wins.
    """
    items = _shape.sequence(raw, path, optional=True)
    variants = tuple(_variant(item, f"{path}[{index}]") for index, item in enumerate(items))
    total_weight = sum(variant.weight for variant in variants)
    if total_weight <= 0:
        return None
    first = _shape.mapping(items[0], f"{path}[0]")
    own_stickiness = _shape.optional_string(first.get("stickiness"), f"{path}[0].stickiness")
    return VariantSet(
        variants=variants,
        total_weight=total_weight,
        stickiness=own_stickiness or stickiness or "default",
        group_id=group_id,
        is_split=sum(1 for variant in variants if variant.weight > 0) > 1,
        has_overrides=any(variant.overrides for variant in variants),
    )


def _variant(raw: Any, path: str) -> VariantDefinition:
    body = _shape.mapping(raw, path)
    name = _shape.string(body.get("name"), f"{path}.name", non_empty=True)
    weight = body.get("weight", 0)
    if isinstance(weight, float) and weight.is_integer():
        weight = int(weight)
    if not isinstance(weight, int) or isinstance(weight, bool) or weight < 0:
        raise EngineValidationError(f"{path}.weight: expected a non-negative integer, got {weight!r}")
    payload = body.get("payload")
    if payload is not None:
        payload_body = _shape.mapping(payload, f"{path}.payload")
        _shape.string(payload_body.get("type"), f"{path}.payload.type", non_empty=True)
        if "value" not in payload_body:
            raise EngineValidationError(f"{path}.payload.value: missing")
        payload = copy.deepcopy(dict(payload_body))
    overrides = []
    for index, item in enumerate(_shape.sequence(body.get("overrides"), f"{path}.overrides", optional=True)):
        override = _shape.mapping(item, f"{path}.overrides[{index}]")
        field = _shape.string(
            override.get("contextName"), f"{path}.overrides[{index}].contextName", non_empty=True
        )
        values = _shape.string_list(override.get("values"), f"{path}.overrides[{index}].values")
        overrides.append((field, frozenset(values)))
    return VariantDefinition(name=name, weight=weight, payload=payload, overrides=tuple(overrides))


def validate_variants(raw: Any, path: str) -> None:
    """Strict check of a variants list, on top of the structural one `compile_variants` makes."""
    items = _shape.sequence(raw, path, optional=True)
    names: set[str] = set()
    total_weight = 0
    for index, item in enumerate(items):
        item_path = f"{path}[{index}]"
        variant = _variant(item, item_path)
        if variant.name in names:
            raise EngineValidationError(f"{item_path}.name: duplicate variant name {variant.name!r}")
        names.add(variant.name)
        total_weight += variant.weight
        _shape.optional_string(_shape.mapping(item, item_path).get("stickiness"), f"{item_path}.stickiness")
        if variant.payload is not None:
            _validate_payload(variant.payload, f"{item_path}.payload")
    if items and total_weight <= 0:
        raise EngineValidationError(f"{path}: variant weights must add up to more than 0")


def _validate_payload(payload: Mapping[str, Any], path: str) -> None:
    kind = payload["type"]
    if kind not in PAYLOAD_TYPES:
        raise EngineValidationError(f"{path}.type: {kind!r} is not one of {', '.join(sorted(PAYLOAD_TYPES))}")
    value = _shape.string(payload["value"], f"{path}.value")
    if kind == "json":
        try:
            json.loads(value)
        except ValueError:
            raise EngineValidationError(f"{path}.value: not valid JSON") from None
    if kind == "number":
        try:
            float(value)
        except ValueError:
            raise EngineValidationError(f"{path}.value: {value!r} is not a number") from None
