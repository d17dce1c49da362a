"""Snapshot API: evaluation results and reasons, variants, strategies, malformed payloads."""

import copy
from collections import Counter

import pytest

from rollout.engine import EngineValidationError, Evaluation, FlagNotFound, Snapshot
from rollout.engine import strategies as strategies_module
from rollout.engine.hashing import VARIANT_SEED, normalized_hash

from .flags import constraint, feature, flexible, payload, snapshot, strategy

TWO_VARIANTS = [
    {"name": "blue", "weight": 500, "payload": {"type": "string", "value": "b"}},
    {"name": "red", "weight": 500, "payload": {"type": "json", "value": '{"x": 1}'}},
]


# --- hashing -------------------------------------------------------------------------------------------


def test_normalized_hash__matches_unleash_reference_values() -> None:
    # Reference values from Unleash's SDK test suites.
    assert normalized_hash("123", "gr1") == 73
    assert normalized_hash("999", "groupX") == 25
    assert normalized_hash("123", "gr1", 100, VARIANT_SEED) == 96
    assert normalized_hash("999", "groupX", 100, VARIANT_SEED) == 60


# --- reasons -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "context", "enabled", "reason"),
    [
        (feature("f", strategy()), {}, True, "STATIC"),
        (feature("f"), {}, True, "STATIC"),  # no strategies: on for everyone
        (feature("f", flexible(100)), {"userId": "u"}, True, "STATIC"),
        (feature("f", strategy("gradualRolloutRandom", {"percentage": "100"})), {}, True, "STATIC"),
        (feature("f", flexible(100, stickiness="userId")), {"userId": "u"}, True, "TARGETING_MATCH"),
        (
            feature("f", flexible(100, constraints=[constraint("a", "IN", ["1"])])),
            {"a": "1"},
            True,
            "TARGETING_MATCH",
        ),
        (
            feature("f", strategy("userWithId", {"userIds": "ann, bob"})),
            {"userId": "bob"},
            True,
            "TARGETING_MATCH",
        ),
        (
            feature("f", strategy("userWithId", {"userIds": "ann"})),
            {"userId": "bob"},
            False,
            "TARGETING_MATCH",
        ),
        (feature("f", flexible(0)), {"userId": "u"}, False, "TARGETING_MATCH"),
        (feature("f", strategy(), enabled=False), {}, False, "DISABLED"),
        (feature("f", strategy(), variants=TWO_VARIANTS), {"userId": "u"}, True, "SPLIT"),
        (feature("f", strategy(variants=TWO_VARIANTS)), {"userId": "u"}, True, "SPLIT"),
        (feature("f", strategy(), variants=TWO_VARIANTS[:1]), {"userId": "u"}, True, "STATIC"),
    ],
)
def test_evaluate__enabled_and_reason(
    flag: dict[str, object], context: dict[str, str], enabled: bool, reason: str
) -> None:
    evaluation = snapshot(flag).evaluate("f", context)

    assert evaluation == Evaluation(key="f", enabled=enabled, variant=evaluation.variant, reason=reason)
    assert evaluation.variant["feature_enabled"] is enabled


def test_evaluate__variant_override__is_targeting_not_split() -> None:
    variants = [
        {**TWO_VARIANTS[0], "overrides": [{"contextName": "userId", "values": ["vip"]}]},
        TWO_VARIANTS[1],
    ]
    snap = snapshot(feature("f", strategy(), variants=variants))

    evaluation = snap.evaluate("f", {"userId": "vip"})

    assert evaluation.variant["name"] == "blue"
    assert evaluation.reason == "TARGETING_MATCH"


def test_evaluate__unknown_flag__raises_flag_not_found() -> None:
    snap = snapshot(feature("f", strategy()))

    with pytest.raises(FlagNotFound) as raised:
        snap.evaluate("nope", {})

    assert raised.value.key == "nope"
    assert snap.is_enabled("nope", {}) is False
    assert snap.get_variant("nope", {}) == {"name": "disabled", "enabled": False, "feature_enabled": False}


def test_evaluation__is_frozen() -> None:
    evaluation = snapshot(feature("f", strategy())).evaluate("f", {})

    with pytest.raises(AttributeError):
        evaluation.enabled = False  # type: ignore[misc]


# --- variants ------------------------------------------------------------------------------------------


def test_get_variant__spec_shape_with_payload() -> None:
    snap = snapshot(feature("f", strategy(), variants=TWO_VARIANTS))

    variant = snap.get_variant("f", {"userId": "42"})

    assert variant["name"] in {"blue", "red"}
    assert set(variant) == {"name", "enabled", "feature_enabled", "payload"}
    assert variant["enabled"] is True


def test_get_variant__enabled_without_variants__disabled_variant_with_feature_enabled() -> None:
    assert snapshot(feature("f", strategy())).get_variant("f", {}) == {
        "name": "disabled",
        "enabled": False,
        "feature_enabled": True,
    }


def test_get_variant__result_is_a_fresh_copy() -> None:
    snap = snapshot(feature("f", strategy(), variants=TWO_VARIANTS[:1]))

    first = snap.get_variant("f", {})
    first["payload"]["value"] = "changed"
    first["name"] = "changed"

    assert snap.get_variant("f", {}) == {
        "name": "blue",
        "enabled": True,
        "feature_enabled": True,
        "payload": {"type": "string", "value": "b"},
    }


def test_variants__sticky_and_roughly_by_weight() -> None:
    variants = [{"name": "a", "weight": 200}, {"name": "b", "weight": 800}]
    snap = snapshot(feature("f", strategy(), variants=variants))

    names = Counter(snap.get_variant("f", {"userId": f"user-{i}"})["name"] for i in range(5000))

    assert 850 < names["a"] < 1150
    assert all(
        snap.get_variant("f", {"userId": "user-7"}) == snap.get_variant("f", {"userId": "user-7"})
        for _ in range(5)
    )


def test_variants__zero_weight_variant__never_drawn() -> None:
    snap = snapshot(
        feature("f", strategy(), variants=[{"name": "off", "weight": 0}, {"name": "on", "weight": 100}])
    )

    assert {snap.get_variant("f", {"userId": str(i)})["name"] for i in range(300)} == {"on"}


def test_variants__custom_stickiness__uses_the_context_field() -> None:
    variants = [{**variant, "stickiness": "installationId"} for variant in TWO_VARIANTS]
    snap = snapshot(feature("f", strategy(), variants=variants))

    by_installation = {
        snap.get_variant("f", {"installationId": "inst-1", "userId": str(i)})["name"] for i in range(50)
    }

    assert len(by_installation) == 1


def test_strategy_variants__first_matching_strategy_wins_and_falls_back_to_feature_variants() -> None:
    snap = snapshot(
        feature(
            "f",
            strategy(
                constraints=[constraint("ring", "IN", ["beta"])],
                variants=[{"name": "beta-settings", "weight": 1}],
            ),
            strategy(),
            variants=[{"name": "feature-settings", "weight": 1}],
        )
    )

    assert snap.get_variant("f", {"ring": "beta"})["name"] == "beta-settings"
    assert snap.get_variant("f", {"ring": "general"})["name"] == "feature-settings"


# --- strategies ----------------------------------------------------------------------------------------


def test_unknown_strategy__loads_and_is_not_enabled() -> None:
    snap = snapshot(feature("f", strategy("myCustomStrategy", {"x": "1"})))

    assert snap.is_enabled("f", {"userId": "u"}) is False


def test_flexible_rollout__group_id_defaults_to_feature_name() -> None:
    explicit = snapshot(feature("fast-mode", flexible(50, group_id="fast-mode")))
    implicit = snapshot(feature("fast-mode", strategy("flexibleRollout", {"rollout": "50"})))

    contexts = [{"userId": str(i)} for i in range(300)]

    assert [explicit.is_enabled("fast-mode", c) for c in contexts] == [
        implicit.is_enabled("fast-mode", c) for c in contexts
    ]


def test_flexible_rollout__stickiness_modes() -> None:
    snap = snapshot(
        feature("user", flexible(100, stickiness="userId")),
        feature("session", flexible(100, stickiness="sessionId")),
        feature("custom", flexible(100, stickiness="installationId")),
        feature("random", flexible(100, stickiness="random")),
        feature("default", flexible(100)),
    )

    assert snap.is_enabled("user", {"sessionId": "s"}) is False
    assert snap.is_enabled("session", {"sessionId": "s"}) is True
    assert snap.is_enabled("custom", {"properties": {"installationId": "i"}}) is True
    assert snap.is_enabled("custom", {"installationId": "i"}) is True
    assert snap.is_enabled("custom", {"userId": "u"}) is False
    assert snap.is_enabled("random", {}) is True
    assert snap.is_enabled("default", {}) is True


def test_flexible_rollout__percentage_is_roughly_honoured() -> None:
    snap = snapshot(feature("f", flexible(30, group_id="fast-mode")))

    enabled = sum(snap.is_enabled("f", {"userId": f"user-{i}"}) for i in range(5000))

    assert 1350 < enabled < 1650


def test_gradual_rollout_strategies() -> None:
    snap = snapshot(
        feature("user", strategy("gradualRolloutUserId", {"percentage": "50", "groupId": "AB12A"})),
        feature("session", strategy("gradualRolloutSessionId", {"percentage": "50", "groupId": "AB12A"})),
        feature("random0", strategy("gradualRolloutRandom", {"percentage": "0"})),
    )

    assert snap.is_enabled("user", {"userId": "122"}) is True
    assert snap.is_enabled("user", {"userId": "155"}) is False
    assert snap.is_enabled("session", {"sessionId": "122"}) is True
    assert snap.is_enabled("random0", {}) is False


def test_application_hostname__context_property_then_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    snap = snapshot(feature("f", strategy("applicationHostname", {"hostNames": "Build-01, build-02"})))
    monkeypatch.setenv("HOSTNAME", "BUILD-02")
    strategies_module.machine_hostname.cache_clear()
    try:
        assert snap.is_enabled("f", {"properties": {"hostname": "build-01"}}) is True
        assert snap.is_enabled("f", {"hostname": "elsewhere"}) is False
        assert snap.is_enabled("f", {}) is True  # the machine's name, case-insensitively
        monkeypatch.setenv("HOSTNAME", "elsewhere")
        strategies_module.machine_hostname.cache_clear()
        assert snap.is_enabled("f", {}) is False
    finally:
        strategies_module.machine_hostname.cache_clear()


# --- the snapshot itself -------------------------------------------------------------------------------


def test_snapshot__feature_names__in_payload_order() -> None:
    snap = snapshot(feature("b"), feature("a"), feature("c"))

    assert snap.feature_names == ("b", "a", "c")


def test_snapshot__is_independent_of_the_payload_it_was_built_from() -> None:
    source = payload(
        feature("f", strategy("userWithId", {"userIds": "ann"}), variants=copy.deepcopy(TWO_VARIANTS))
    )
    snap = Snapshot.from_client_features(source)

    source["features"][0]["strategies"][0]["parameters"]["userIds"] = "bob"
    source["features"][0]["variants"][0]["payload"]["value"] = "changed"

    assert snap.is_enabled("f", {"userId": "ann"}) is True
    assert {snap.get_variant("f", {"userId": "ann"})["payload"]["value"]} <= {"b", '{"x": 1}'}


def test_snapshot__none_context__is_an_empty_context() -> None:
    snap = snapshot(feature("f", strategy()))

    assert snap.is_enabled("f", None) is True
    assert snap.evaluate("f", None).enabled is True


@pytest.mark.parametrize(
    ("bad_payload", "message"),
    [
        ([], "payload: expected an object"),
        ({}, "features: expected a list"),
        ({"features": [{"enabled": True}]}, r"features\[0\]\.name: expected a string"),
        ({"features": [{"name": "a"}, {"name": "a"}]}, "duplicate feature 'a'"),
        ({"features": [{"name": "a", "enabled": "yes"}]}, r"features\[0\]\.enabled: expected true or false"),
        ({"features": [{"name": "a", "strategies": {}}]}, r"features\[0\]\.strategies: expected a list"),
        (
            {
                "features": [
                    {
                        "name": "a",
                        "strategies": [
                            {
                                "name": "default",
                                "constraints": [{"contextName": "x", "operator": "IN", "values": ["a", 1]}],
                            }
                        ],
                    }
                ]
            },
            r"features\[0\]\.strategies\[0\]\.constraints\[0\]\.values\[1\]: expected a list of strings",
        ),
        (
            {"features": [{"name": "a", "strategies": [{"name": "default", "segments": ["1"]}]}]},
            r"segments\[0\]: expected a segment id",
        ),
        ({"features": [], "segments": [{"id": "x"}]}, r"segments\[0\]\.id: expected an integer"),
        ({"features": [{"name": "a", "variants": [{"name": "v", "weight": -1}]}]}, "non-negative integer"),
        ({"features": [{"name": "a", "dependencies": [{"enabled": True}]}]}, r"dependencies\[0\]\.feature"),
    ],
)
def test_from_client_features__malformed__raises_with_path(bad_payload: object, message: str) -> None:
    with pytest.raises(EngineValidationError, match=message):
        Snapshot.from_client_features(bad_payload)  # type: ignore[arg-type]
