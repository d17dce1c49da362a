"""Checks that keep invalid flag configuration out of the database (the admin and the services share them)."""

from typing import Any

from pitwall.errors import ApplicationError
from rollout import engine
from rollout.models import EnrollmentRing, default_gate_thresholds

_PAYLOAD_TYPES = {"string", "json", "csv", "number"}


def _refuse(code: str, message: str) -> ApplicationError:
    return ApplicationError(message, code=code, details={"reason": message})


def validate_constraints(constraints: Any) -> None:
    try:
        engine.validate_constraints(constraints)
    except engine.EngineValidationError as exc:
        raise _refuse("invalid_constraints", str(exc)) from exc


def validate_variants(variants: Any) -> None:
    if not isinstance(variants, list):
        raise _refuse("invalid_variants", "Variants must be a list.")
    names: set[str] = set()
    for variant in variants:
        if not isinstance(variant, dict) or not isinstance(variant.get("name"), str) or not variant["name"]:
            raise _refuse("invalid_variants", "Each variant needs a name.")
        if variant["name"] in names:
            raise _refuse("invalid_variants", f"Variant {variant['name']!r} appears twice.")
        names.add(variant["name"])
        weight = variant.get("weight", 0)
        if not isinstance(weight, int) or isinstance(weight, bool) or not 0 <= weight <= 1000:
            raise _refuse(
                "invalid_variants", f"Variant {variant['name']!r}: weight must be an integer 0..1000."
            )
        payload = variant.get("payload")
        if payload is not None and (
            not isinstance(payload, dict)
            or payload.get("type") not in _PAYLOAD_TYPES
            or not isinstance(payload.get("value"), str)
        ):
            raise _refuse(
                "invalid_variants",
                f"Variant {variant['name']!r}: payload must be {{'type': string|json|csv|number, 'value': str}}.",
            )
    try:
        engine.validate_strategy(
            {"name": "default", "parameters": {}, "constraints": [], "variants": variants}
        )
    except engine.EngineValidationError as exc:
        raise _refuse("invalid_variants", str(exc)) from exc


def validate_strategy(
    *, name: str, parameters: Any, constraints: Any, variants: list[dict[str, Any]]
) -> None:
    if not isinstance(parameters, dict):
        raise _refuse("invalid_strategy", "Parameters must be an object.")
    validate_constraints(constraints)
    validate_variants(variants)
    try:
        engine.validate_strategy(
            {"name": name, "parameters": parameters, "constraints": constraints, "variants": variants}
        )
    except engine.EngineValidationError as exc:
        raise _refuse("invalid_strategy", str(exc)) from exc


def validate_dependencies(dependencies: Any) -> None:
    if not isinstance(dependencies, list) or not all(
        isinstance(dep, dict) and isinstance(dep.get("feature"), str) for dep in dependencies
    ):
        raise _refuse("invalid_dependencies", "Dependencies must be a list of {'feature': key, ...}.")


def validate_phase_template(*, rings: Any, rollout_percentage: Any) -> None:
    if not isinstance(rings, list) or any(ring not in EnrollmentRing.values for ring in rings):
        raise _refuse("invalid_phase", f"Rings must be a list drawn from {list(EnrollmentRing.values)}.")
    if not isinstance(rollout_percentage, int) or not 0 <= rollout_percentage <= 100:
        raise _refuse("invalid_phase", "The rollout percentage must be an integer from 0 to 100.")


def validate_gate_thresholds(thresholds: Any) -> dict[str, Any]:
    known = default_gate_thresholds()
    if not isinstance(thresholds, dict):
        raise _refuse("invalid_gate", "Gate thresholds must be an object.")
    unknown = sorted(set(thresholds) - set(known))
    if unknown:
        raise _refuse("invalid_gate", f"Unknown gate thresholds: {', '.join(unknown)}.")
    for key, value in thresholds.items():
        if key == "size_bucket":
            if value not in {"small", "medium", "large"}:
                raise _refuse("invalid_gate", "size_bucket must be small, medium or large.")
        elif not isinstance(value, (int, float)) or isinstance(value, bool):
            raise _refuse("invalid_gate", f"{key} must be a number.")
    return {**known, **thresholds}
