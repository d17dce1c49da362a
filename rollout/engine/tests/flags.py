"""Builders for Unleash client-API payloads in tests."""

from collections.abc import Mapping
from typing import Any

from rollout.engine import Snapshot


def constraint(
    context_name: str,
    operator: str,
    values: list[str] | None = None,
    *,
    value: str | None = None,
    inverted: bool = False,
    case_insensitive: bool = False,
) -> dict[str, Any]:
    body: dict[str, Any] = {"contextName": context_name, "operator": operator}
    if values is not None:
        body["values"] = values
    if value is not None:
        body["value"] = value
    if inverted:
        body["inverted"] = True
    if case_insensitive:
        body["caseInsensitive"] = True
    return body


def strategy(
    name: str = "default",
    parameters: dict[str, Any] | None = None,
    *,
    constraints: list[dict[str, Any]] | None = None,
    segments: list[Any] | None = None,
    variants: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "parameters": parameters or {}, "constraints": constraints or []}
    if segments is not None:
        body["segments"] = segments
    if variants is not None:
        body["variants"] = variants
    return body


def flexible(
    rollout: int, *, group_id: str = "g", stickiness: str = "default", **kwargs: Any
) -> dict[str, Any]:
    parameters = {"rollout": str(rollout), "stickiness": stickiness, "groupId": group_id}
    return strategy("flexibleRollout", parameters, **kwargs)


def feature(
    name: str,
    *strategies: dict[str, Any],
    enabled: bool = True,
    variants: list[dict[str, Any]] | None = None,
    dependencies: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "enabled": enabled, "strategies": list(strategies)}
    if variants is not None:
        body["variants"] = variants
    if dependencies is not None:
        body["dependencies"] = dependencies
    return body


def payload(*features: dict[str, Any], segments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"version": 2, "features": list(features), "segments": segments or []}


def snapshot(*features: dict[str, Any], segments: list[dict[str, Any]] | None = None) -> Snapshot:
    return Snapshot.from_client_features(payload(*features, segments=segments))


def one_constraint(rule: Mapping[str, Any]) -> Snapshot:
    """A snapshot with flag "f": on exactly when `rule` holds."""
    return snapshot(feature("f", strategy(constraints=[dict(rule)])))
