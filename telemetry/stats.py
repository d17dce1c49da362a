"""Intervals for the metrics (pure: no Django import).

- Rates: the Wilson score interval, which behaves at small n and near 0 % / 100 % where the normal one fails.
- Relative change of a percentile between two samples (fast vs normal, new vs old version), from their
  histograms: the distribution-free interval of Price & Bonett (2002) for a ratio of medians, generalised to any
  quantile. For each sample, the order statistics at ranks n q -/+ z sqrt(n q (1 - q)) bound the quantile; half
  that span, in log space, over z is the standard error of its log. The log of the ratio then has variance
  se_a^2 + se_b^2 (independent samples). The histogram's own resolution (a bucket is ln(g) wide in log space)
  is added to each variance as a uniform error, (ln g)^2 / 12, so large samples never claim more precision than
  the buckets have. No resampling: the same histograms always give the same interval, in microseconds.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from telemetry import histogram

Z_95 = 1.959963984540054
_BUCKET_VARIANCE = math.log(histogram.GAMMA) ** 2 / 12


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    if n <= 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def _value_at_rank(cumulative: np.ndarray[Any, Any], rank: int) -> float:
    bucket = int(np.searchsorted(cumulative, rank, side="left"))
    return histogram.bucket_value(bucket)


def log_quantile_variance(counts: np.ndarray[Any, Any], q: float, z: float = Z_95) -> float | None:
    """Variance of ln(quantile q) from the order statistics around it (None when a bound is 0 or n < 2)."""
    n = int(counts.sum())
    if n < 2:
        return None
    half = z * math.sqrt(n * q * (1 - q))
    low_rank = max(1, math.floor(n * q - half))
    high_rank = min(n, math.ceil(n * q + half))
    cumulative = np.cumsum(counts)
    low, high = _value_at_rank(cumulative, low_rank), _value_at_rank(cumulative, high_rank)
    if low <= 0 or high <= 0:
        return None
    se = (math.log(high) - math.log(low)) / (2 * z)
    return se * se + _BUCKET_VARIANCE


def relative_change_interval(
    base: np.ndarray[Any, Any], other: np.ndarray[Any, Any], q: float, z: float = Z_95,
) -> tuple[float, float] | None:
    """95 % interval of other_q / base_q - 1 (negative = `other` is faster)."""
    base_q, other_q = histogram.quantile(base, q), histogram.quantile(other, q)
    base_var, other_var = log_quantile_variance(base, q, z), log_quantile_variance(other, q, z)
    if not base_q or not other_q or base_var is None or other_var is None:
        return None
    centre = math.log(other_q / base_q)
    half = z * math.sqrt(base_var + other_var)
    return (math.exp(centre - half) - 1, math.exp(centre + half) - 1)


def relative_change(base: float | None, other: float | None) -> float | None:
    if base is None or other is None or base == 0:
        return None
    return other / base - 1
