"""Dependent features: one level, cycles and missing parents are off, `enabled: false`, `variants`."""

from .flags import constraint, feature, snapshot, strategy

BETA = constraint("ring", "IN", ["beta"])
VARIANTS = [
    {"name": "aggressive", "weight": 500, "payload": {"type": "json", "value": '{"opt-level": 0}'}},
    {"name": "safe", "weight": 500},
]


def test_dependency__child_on_only_when_parent_on() -> None:
    snap = snapshot(
        feature("parent", strategy(constraints=[BETA])),
        feature("child", strategy(), dependencies=[{"feature": "parent"}]),
    )

    assert snap.is_enabled("child", {"ring": "beta"}) is True
    assert snap.is_enabled("child", {"ring": "general"}) is False


def test_dependency__unmet__yields_disabled_variant_and_reason() -> None:
    snap = snapshot(
        feature("parent", enabled=False),
        feature("child", strategy(), variants=VARIANTS, dependencies=[{"feature": "parent"}]),
    )

    evaluation = snap.evaluate("child", {"userId": "u1"})

    assert evaluation.enabled is False
    assert evaluation.reason == "DISABLED"
    assert evaluation.variant == {"name": "disabled", "enabled": False, "feature_enabled": False}
    assert snap.get_variant("child", {"userId": "u1"}) == evaluation.variant


def test_dependency__child_own_strategies_still_apply() -> None:
    snap = snapshot(
        feature("parent", strategy()),
        feature("child", strategy(constraints=[BETA]), dependencies=[{"feature": "parent"}]),
    )

    assert snap.is_enabled("child", {"ring": "beta"}) is True
    assert snap.is_enabled("child", {"ring": "preview"}) is False


def test_dependency__missing_parent__is_off() -> None:
    snap = snapshot(feature("child", strategy(), dependencies=[{"feature": "ghost"}]))

    assert snap.is_enabled("child", {}) is False


def test_dependency__enabled_false__needs_parent_off() -> None:
    snap = snapshot(
        feature("parent", strategy(constraints=[BETA])),
        feature("child", strategy(), dependencies=[{"feature": "parent", "enabled": False}]),
    )

    assert snap.is_enabled("child", {"ring": "beta"}) is False
    assert snap.is_enabled("child", {"ring": "general"}) is True


def test_dependency__enabled_false__missing_parent_is_still_off() -> None:
    snap = snapshot(feature("child", strategy(), dependencies=[{"feature": "ghost", "enabled": False}]))

    assert snap.is_enabled("child", {}) is False


def test_dependency__variants__parent_must_resolve_to_one_of_them() -> None:
    snap = snapshot(
        feature(
            "parent",
            strategy(),
            variants=[
                {
                    "name": "aggressive",
                    "weight": 1000,
                    "overrides": [{"contextName": "userId", "values": ["safe-user"]}],
                },
                {
                    "name": "safe",
                    "weight": 0,
                    "overrides": [{"contextName": "userId", "values": ["really-safe"]}],
                },
            ],
        ),
        feature("child", strategy(), dependencies=[{"feature": "parent", "variants": ["safe"]}]),
    )

    assert snap.get_variant("parent", {"userId": "someone"})["name"] == "aggressive"
    assert snap.is_enabled("child", {"userId": "someone"}) is False
    assert snap.is_enabled("child", {"userId": "really-safe"}) is True


def test_dependency__variants__parent_without_variants_resolves_to_disabled() -> None:
    snap = snapshot(
        feature("parent", strategy()),
        feature("child", strategy(), dependencies=[{"feature": "parent", "variants": ["disabled"]}]),
        feature("other", strategy(), dependencies=[{"feature": "parent", "variants": ["blue"]}]),
    )

    assert snap.is_enabled("child", {}) is True
    assert snap.is_enabled("other", {}) is False


def test_dependency__variants__parent_off__is_unmet_even_for_disabled() -> None:
    snap = snapshot(
        feature("parent", enabled=False),
        feature("child", strategy(), dependencies=[{"feature": "parent", "variants": ["disabled"]}]),
    )

    assert snap.is_enabled("child", {}) is False


def test_dependency__one_level_only__grandparent_chain_is_off() -> None:
    snap = snapshot(
        feature("grandparent", strategy()),
        feature("parent", strategy(), dependencies=[{"feature": "grandparent"}]),
        feature("child", strategy(), dependencies=[{"feature": "parent"}]),
    )

    assert snap.is_enabled("parent", {}) is True
    assert snap.is_enabled("child", {}) is False


def test_dependency__cycle__both_off() -> None:
    snap = snapshot(
        feature("a", strategy(), dependencies=[{"feature": "b"}]),
        feature("b", strategy(), dependencies=[{"feature": "a"}]),
        feature("self", strategy(), dependencies=[{"feature": "self"}]),
    )

    assert snap.is_enabled("a", {}) is False
    assert snap.is_enabled("b", {}) is False
    assert snap.is_enabled("self", {}) is False


def test_dependency__several__all_must_hold() -> None:
    snap = snapshot(
        feature("on", strategy()),
        feature("off", enabled=False),
        feature("child", strategy(), dependencies=[{"feature": "on"}, {"feature": "off", "enabled": False}]),
        feature("blocked", strategy(), dependencies=[{"feature": "on"}, {"feature": "off"}]),
    )

    assert snap.is_enabled("child", {}) is True
    assert snap.is_enabled("blocked", {}) is False
