"""Gate evaluation on constructed figures, for every outcome."""

from dataclasses import replace

import pytest

from reports.gates import Figure, GateInputs, evaluate_gate
from rollout.models import default_gate_thresholds

THRESHOLDS = default_gate_thresholds()


def _passing() -> GateInputs:
    return GateInputs(
        rebuild_p50_fast_ms=Figure(8_200, 900),
        improvement=Figure(0.71, 900, low=0.66, high=0.75),
        hot_reload_success=Figure(0.95, 1200, low=0.936, high=0.961),
        failure_rate_fast=Figure(0.03, 900, low=0.02, high=0.04),
        failure_rate_normal=Figure(0.04, 900, low=0.03, high=0.05),
        net_sentiment=Figure(0.35, 60),
        builds=1800,
        installations=140,
        feedback_items=60,
    )


def _status(inputs: GateInputs, key: str) -> str:
    result = evaluate_gate(inputs, THRESHOLDS)
    return next(c.status for c in result.criteria if c.key == key)


def test_gate__all_targets_met__promote() -> None:
    result = evaluate_gate(_passing(), THRESHOLDS)
    assert result.passed
    assert result.recommendation == "promote"
    assert all(c.status == "pass" for c in result.criteria)


def test_gate__rebuild_p50_over_10s__fails_and_holds() -> None:
    inputs = replace(_passing(), rebuild_p50_fast_ms=Figure(12_500, 900))
    result = evaluate_gate(inputs, THRESHOLDS)
    assert _status(inputs, "rebuild_p50") == "fail"
    assert result.recommendation == "hold"


def test_gate__improvement_interval_straddles_threshold__inconclusive() -> None:
    inputs = replace(_passing(), improvement=Figure(0.55, 900, low=0.45, high=0.62))
    assert _status(inputs, "improvement") == "inconclusive"
    assert evaluate_gate(inputs, THRESHOLDS).recommendation == "hold"


def test_gate__improvement_interval_below__fails() -> None:
    inputs = replace(_passing(), improvement=Figure(0.30, 900, low=0.25, high=0.35))
    assert _status(inputs, "improvement") == "fail"


def test_gate__hot_reload_wilson_upper_below_90__rolls_back() -> None:
    inputs = replace(_passing(), hot_reload_success=Figure(0.62, 800, low=0.586, high=0.653))
    result = evaluate_gate(inputs, THRESHOLDS)
    assert _status(inputs, "hot_reload") == "fail"
    assert result.recommendation == "roll_back"
    assert any("Hot-reload" in reason for reason in result.reasons)


def test_gate__hot_reload_point_above_but_lower_bound_below__inconclusive() -> None:
    inputs = replace(_passing(), hot_reload_success=Figure(0.91, 250, low=0.87, high=0.94))
    assert _status(inputs, "hot_reload") == "inconclusive"


def test_gate__fast_fails_clearly_more_than_normal__rolls_back() -> None:
    inputs = replace(_passing(), failure_rate_fast=Figure(0.12, 900, low=0.10, high=0.14))
    assert _status(inputs, "failure_rate") == "fail"
    assert evaluate_gate(inputs, THRESHOLDS).recommendation == "roll_back"


def test_gate__negative_sentiment__rolls_back() -> None:
    inputs = replace(_passing(), net_sentiment=Figure(-0.2, 60))
    assert _status(inputs, "net_sentiment") == "fail"
    assert evaluate_gate(inputs, THRESHOLDS).recommendation == "roll_back"


@pytest.mark.parametrize(
    "change",
    [
        {"rebuild_p50_fast_ms": Figure(5_000, 12)},
        {"improvement": Figure(0.8, 12, low=0.75, high=0.85)},
        {"hot_reload_success": Figure(1.0, 5, low=0.57, high=1.0)},
        {"net_sentiment": Figure(0.9, 3)},
        {"builds": 40},
        {"installations": 3},
        {"feedback_items": 2},
        {"rebuild_p50_fast_ms": Figure(None, 0)},
    ],
)
def test_gate__too_little_data__inconclusive_never_passes(change: dict[str, object]) -> None:
    result = evaluate_gate(replace(_passing(), **change), THRESHOLDS)  # type: ignore[arg-type]
    assert not result.passed
    assert result.recommendation == "hold"
    assert any(c.status == "inconclusive" for c in result.criteria)


def test_gate__every_criterion_carries_its_numbers() -> None:
    for criterion in evaluate_gate(_passing(), THRESHOLDS).criteria:
        assert criterion.n > 0
        assert criterion.detail
        assert criterion.threshold is not None
