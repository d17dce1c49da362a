"""An immutable, pre-parsed set of flags, evaluated against many contexts."""

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from rollout.engine import _shape
from rollout.engine.constraints import Constraint, compile_constraints
from rollout.engine.errors import EngineValidationError, FlagNotFound
from rollout.engine.strategies import AlwaysRule, Strategy, compile_strategy
from rollout.engine.variants import VariantSet, compile_variants, disabled_variant

# OpenFeature resolution reasons.
DISABLED: Final = "DISABLED"
STATIC: Final = "STATIC"
TARGETING_MATCH: Final = "TARGETING_MATCH"
SPLIT: Final = "SPLIT"

_EMPTY_CONTEXT: Final[Mapping[str, Any]] = MappingProxyType({})
# What a feature without strategies matches with: everyone.
_EVERYONE: Final = Strategy(name="", rule=AlwaysRule(), constraints=(), variants=None, is_static=True)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One flag evaluated for one context."""

    key: str
    enabled: bool
    variant: dict[str, Any]  # as `Snapshot.get_variant` returns it
    reason: str  # DISABLED, STATIC, TARGETING_MATCH or SPLIT


@dataclass(frozen=True, slots=True)
class Dependency:
    feature: str
    enabled: bool
    variants: frozenset[str]


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    enabled: bool
    strategies: tuple[Strategy, ...]
    variants: VariantSet | None
    dependencies: tuple[Dependency, ...]


class Snapshot:
    """Flags in the Unleash client-API shape, parsed once; evaluation only reads it."""

    __slots__ = ("_features", "_names")

    def __init__(self, features: Mapping[str, Feature]) -> None:
        self._features: Mapping[str, Feature] = MappingProxyType(dict(features))
        self._names = tuple(features)

    @classmethod
    def from_client_features(cls, payload: Mapping[str, Any]) -> "Snapshot":
        """Parse `{"version": 2, "features": [...], "segments": [...]}`; raises EngineValidationError.

        Only a malformed payload is refused. What the specification evaluates rather than rejects (an
        unknown strategy or operator, a missing segment, a bad pattern) loads and evaluates as "no match".
        """
        body = _shape.mapping(payload, "payload")
        segments = _segments(body.get("segments"), "segments")
        features: dict[str, Feature] = {}
        for index, raw in enumerate(_shape.sequence(body.get("features"), "features")):
            feature = _feature(raw, f"features[{index}]", segments)
            if feature.name in features:
                raise EngineValidationError(f"features[{index}].name: duplicate feature {feature.name!r}")
            features[feature.name] = feature
        return cls(features)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return self._names

    def is_enabled(self, name: str, context: Mapping[str, Any] | None) -> bool:
        """Whether flag `name` is on for `context`; False for an unknown flag."""
        feature = self._features.get(name)
        if feature is None:
            return False
        return self._enabled(feature, _EMPTY_CONTEXT if context is None else context)

    def get_variant(self, name: str, context: Mapping[str, Any] | None) -> dict[str, Any]:
        """The variant of flag `name` for `context`, in the client-specification shape."""
        feature = self._features.get(name)
        if feature is None:
            return disabled_variant(feature_enabled=False)
        return self._evaluate(feature, _EMPTY_CONTEXT if context is None else context).variant

    def evaluate(self, name: str, context: Mapping[str, Any] | None) -> Evaluation:
        """Flag `name` for `context`, with the reason; raises FlagNotFound for an unknown flag."""
        feature = self._features.get(name)
        if feature is None:
            raise FlagNotFound(name)
        return self._evaluate(feature, _EMPTY_CONTEXT if context is None else context)

    def _enabled(self, feature: Feature, context: Mapping[str, Any]) -> bool:
        if not feature.enabled:
            return False
        if feature.dependencies and not self._dependencies_met(feature, context):
            return False
        return self._matching_strategy(feature, context) is not None

    def _evaluate(self, feature: Feature, context: Mapping[str, Any]) -> Evaluation:
        if not feature.enabled or (feature.dependencies and not self._dependencies_met(feature, context)):
            return Evaluation(feature.name, False, disabled_variant(feature_enabled=False), DISABLED)
        strategy = self._matching_strategy(feature, context)
        if strategy is None:
            return Evaluation(feature.name, False, disabled_variant(feature_enabled=False), TARGETING_MATCH)
        reason = STATIC if strategy.is_static else TARGETING_MATCH
        variants = strategy.variants or feature.variants
        if variants is None:
            return Evaluation(feature.name, True, disabled_variant(feature_enabled=True), reason)
        variant, overridden = variants.select(context)
        if overridden:
            reason = TARGETING_MATCH
        elif variants.is_split:
            reason = SPLIT
        return Evaluation(feature.name, True, variant.as_result(), reason)

    @staticmethod
    def _matching_strategy(feature: Feature, context: Mapping[str, Any]) -> Strategy | None:
        if not feature.strategies:
            return _EVERYONE
        for strategy in feature.strategies:
            if strategy.matches(context):
                return strategy
        return None

    def _dependencies_met(self, feature: Feature, context: Mapping[str, Any]) -> bool:
        for dependency in feature.dependencies:
            parent = self._features.get(dependency.feature)
            # One level only: a parent with dependencies of its own (which covers cycles) is unmet.
            if parent is None or parent.dependencies:
                return False
            if not dependency.enabled:
                if self._enabled(parent, context):
                    return False
            elif dependency.variants:
                evaluation = self._evaluate(parent, context)
                if not evaluation.enabled or evaluation.variant["name"] not in dependency.variants:
                    return False
            elif not self._enabled(parent, context):
                return False
        return True


def _segments(raw: Any, path: str) -> dict[int, tuple[Constraint, ...]]:
    segments: dict[int, tuple[Constraint, ...]] = {}
    for index, item in enumerate(_shape.sequence(raw, path, optional=True)):
        body = _shape.mapping(item, f"{path}[{index}]")
        segment_id = body.get("id")
        if not isinstance(segment_id, int) or isinstance(segment_id, bool):
            raise EngineValidationError(f"{path}[{index}].id: expected an integer, got {segment_id!r}")
        if segment_id in segments:
            raise EngineValidationError(f"{path}[{index}].id: duplicate segment {segment_id}")
        segments[segment_id] = compile_constraints(body.get("constraints"), f"{path}[{index}].constraints")
    return segments


def _feature(raw: Any, path: str, segments: Mapping[int, tuple[Constraint, ...]]) -> Feature:
    body = _shape.mapping(raw, path)
    name = _shape.string(body.get("name"), f"{path}.name", non_empty=True)
    raw_strategies = _shape.sequence(body.get("strategies"), f"{path}.strategies", optional=True)
    strategies = tuple(
        compile_strategy(item, f"{path}.strategies[{index}]", feature_name=name, segments=segments)
        for index, item in enumerate(raw_strategies)
    )
    return Feature(
        name=name,
        enabled=_shape.boolean(body.get("enabled"), f"{path}.enabled", default=False),
        strategies=strategies,
        variants=compile_variants(body.get("variants"), f"{path}.variants", group_id=name),
        dependencies=_dependencies(body.get("dependencies"), f"{path}.dependencies"),
    )


def _dependencies(raw: Any, path: str) -> tuple[Dependency, ...]:
    dependencies = []
    for index, item in enumerate(_shape.sequence(raw, path, optional=True)):
        item_path = f"{path}[{index}]"
        body = _shape.mapping(item, item_path)
        dependencies.append(
            Dependency(
                feature=_shape.string(body.get("feature"), f"{item_path}.feature", non_empty=True),
                enabled=_shape.boolean(body.get("enabled"), f"{item_path}.enabled", default=True),
                variants=frozenset(
                    _shape.string_list(body.get("variants"), f"{item_path}.variants", optional=True)
                ),
            )
        )
    return tuple(dependencies)
