"""Wilson intervals and the interval of a percentile's relative change (checked against a simulation)."""

import numpy as np
import pytest

from telemetry import histogram, stats


def test_wilson__known_value() -> None:
    low, high = stats.wilson_interval(8, 10) or (0, 0)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)


def test_wilson__extremes__stay_in_unit_interval() -> None:
    assert stats.wilson_interval(0, 50) == pytest.approx((0.0, 0.0713), abs=1e-4)
    low, high = stats.wilson_interval(50, 50) or (0, 0)
    assert high == 1.0 and low == pytest.approx(0.9287, abs=1e-4)
    assert stats.wilson_interval(0, 0) is None


def test_relative_change_interval__faster_sample__interval_around_the_change() -> None:
    rng = np.random.default_rng(1)
    normal = histogram.from_values(rng.lognormal(np.log(30_000), 0.4, 2000))
    fast = histogram.from_values(rng.lognormal(np.log(9_000), 0.4, 2000))
    interval = stats.relative_change_interval(normal, fast, 0.5)
    assert interval is not None
    point = stats.relative_change(histogram.quantile(normal, 0.5), histogram.quantile(fast, 0.5))
    assert point is not None and interval[0] <= point <= interval[1]
    assert -0.74 < interval[0] < interval[1] < -0.66
    assert stats.relative_change_interval(normal, fast, 0.5) == interval  # deterministic


def test_relative_change_interval__simulation__covers_the_truth_about_95_percent() -> None:
    """Two log-normal samples whose true medians differ by -30 %: the 95 % interval should cover it ~95 %."""
    rng = np.random.default_rng(7)
    covered = 0
    trials = 400
    for _ in range(trials):
        base = histogram.from_values(rng.lognormal(np.log(20_000), 0.5, 120))
        other = histogram.from_values(rng.lognormal(np.log(14_000), 0.5, 90))
        low, high = stats.relative_change_interval(base, other, 0.5) or (0, 0)
        covered += low <= -0.3 <= high
    assert 0.92 <= covered / trials <= 0.995


def test_relative_change_interval__same_distribution__contains_zero() -> None:
    rng = np.random.default_rng(2)
    a = histogram.from_values(rng.lognormal(np.log(1000), 0.5, 500))
    b = histogram.from_values(rng.lognormal(np.log(1000), 0.5, 500))
    low, high = stats.relative_change_interval(a, b, 0.5) or (1, 1)
    assert low < 0 < high


def test_relative_change_interval__empty__none() -> None:
    assert stats.relative_change_interval(histogram.empty(), histogram.from_values([5]), 0.5) is None
