"""Segments: shared constraint sets referenced by id; every constraint of every segment must hold."""

from .flags import constraint, feature, snapshot, strategy

SEGMENTS = [
    {"id": 1, "constraints": [constraint("ring", "IN", ["beta", "preview"])]},
    {
        "id": 2,
        "constraints": [
            constraint("os", "IN", ["linux"]),
            constraint("cliVersion", "SEMVER_GTE", value="0.3.0"),
        ],
    },
    {"id": 3, "constraints": []},
]


def test_segments__all_referenced_segments_must_hold() -> None:
    snap = snapshot(feature("f", strategy(segments=[1, 2])), segments=SEGMENTS)

    assert snap.is_enabled("f", {"ring": "beta", "os": "linux", "cliVersion": "0.3.1"}) is True
    assert snap.is_enabled("f", {"ring": "beta", "os": "macos", "cliVersion": "0.3.1"}) is False
    assert snap.is_enabled("f", {"ring": "beta", "os": "linux", "cliVersion": "0.2.9"}) is False
    assert snap.is_enabled("f", {"ring": "general", "os": "linux", "cliVersion": "0.3.1"}) is False


def test_segments__combine_with_the_strategy_constraints() -> None:
    snap = snapshot(
        feature("f", strategy(segments=[1], constraints=[constraint("environment", "IN", ["production"])])),
        segments=SEGMENTS,
    )

    assert snap.is_enabled("f", {"ring": "preview", "environment": "production"}) is True
    assert snap.is_enabled("f", {"ring": "preview", "environment": "development"}) is False


def test_segments__missing_segment__strategy_never_matches() -> None:
    snap = snapshot(
        feature("f", strategy(segments=[1, 404]), strategy("userWithId", {"userIds": "ann"})),
        segments=SEGMENTS,
    )

    assert snap.is_enabled("f", {"ring": "beta"}) is False
    assert snap.is_enabled("f", {"ring": "beta", "userId": "ann"}) is True


def test_segments__empty_segment__matches_everyone_but_is_targeting() -> None:
    snap = snapshot(feature("f", strategy(segments=[3])), segments=SEGMENTS)

    evaluation = snap.evaluate("f", {})

    assert evaluation.enabled is True
    assert evaluation.reason == "TARGETING_MATCH"


def test_segments__shared_by_features__evaluate_independently() -> None:
    snap = snapshot(
        feature("a", strategy(segments=[1])),
        feature("b", strategy(segments=[1], constraints=[constraint("os", "IN", ["linux"])])),
        segments=SEGMENTS,
    )

    assert snap.is_enabled("a", {"ring": "beta"}) is True
    assert snap.is_enabled("b", {"ring": "beta"}) is False
