"""Database rows -> the Unleash client-API payload the engine reads. No ORM past this point."""

from typing import Any

from rollout.models import Feature, Segment


def client_features_payload() -> dict[str, Any]:
    features = Feature.objects.prefetch_related("strategies__segments").order_by("key")
    return {
        "version": 2,
        "features": [_feature(feature) for feature in features],
        "segments": [
            {"id": segment.pk, "name": segment.name, "constraints": segment.constraints}
            for segment in Segment.objects.order_by("pk")
        ],
    }


def _feature(feature: Feature) -> dict[str, Any]:
    strategies = [s for s in feature.strategies.all() if not s.disabled]
    strategies.sort(key=lambda s: (s.sort_order, s.pk))
    return {
        "name": feature.key,
        "description": feature.description,
        "enabled": feature.enabled,
        "strategies": [
            {
                "name": strategy.name,
                "parameters": _with_group_id(strategy.parameters, feature),
                "constraints": strategy.constraints,
                "segments": [segment.pk for segment in strategy.segments.all()],
                "variants": strategy.variants,
            }
            for strategy in strategies
        ],
        "variants": feature.variants,
        "dependencies": feature.dependencies,
        "impressionData": False,
    }


def _with_group_id(parameters: dict[str, Any], feature: Feature) -> dict[str, Any]:
    """Percentage strategies bucket on the feature's immutable salt unless a groupId was chosen on purpose."""
    if "rollout" in parameters or "percentage" in parameters:
        return {"groupId": feature.salt, **parameters}
    return parameters
