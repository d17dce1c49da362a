"""The pure histogram: bucket bounds, percentile error against exact order statistics, merging."""

import math
import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from telemetry import histogram

durations = st.integers(min_value=1, max_value=histogram.MAX_VALUE)
QUANTILES = (0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 1.0)


def test_relative_error__below_two_percent() -> None:
    assert histogram.RELATIVE_ERROR < 0.02
    assert histogram.BUCKET_COUNT - 1 < 2**16  # fits the uint16 of the storage format


@given(durations)
def test_bucket_value__any_value__within_relative_error(value: int) -> None:
    bucket = histogram.bucket_of(value)
    low, high = histogram.bucket_bounds(bucket)
    assert low * (1 - 1e-12) <= value < high * (1 + 1e-12)
    assert abs(histogram.bucket_value(bucket) - value) / value <= histogram.RELATIVE_ERROR + 1e-12


def test_bucket_of__zero_and_over_max__edge_buckets() -> None:
    assert histogram.bucket_of(0) == 0 and histogram.bucket_value(0) == 0
    assert histogram.bucket_of(histogram.MAX_VALUE * 10) == histogram.BUCKET_COUNT - 1


@settings(max_examples=200)
@given(st.lists(durations, min_size=1, max_size=400))
def test_quantiles__any_sample__within_two_percent_of_exact(values: list[int]) -> None:
    counts = histogram.from_values(values)
    for q, estimate in zip(QUANTILES, histogram.quantiles(counts, QUANTILES), strict=True):
        exact = histogram.exact_quantile(values, q)
        assert exact is not None and estimate is not None
        assert abs(estimate - exact) / exact <= histogram.RELATIVE_ERROR + 1e-12


def test_quantiles__empty__none() -> None:
    assert histogram.quantiles(histogram.empty(), (0.5,)) == [None]


def test_rank_of__float_noise__nearest_rank() -> None:
    # 0.95 * 100 is 95.00000000000001 in floating point: still rank 95
    assert histogram.rank_of(0.95, 100) == 95
    assert histogram.rank_of(0.5, 3) == 2
    assert histogram.rank_of(0.0, 10) == 1


@given(st.lists(durations, max_size=200), st.lists(durations, max_size=200), st.lists(durations, max_size=200))
def test_merge__any_grouping_and_order__same_counts(a: list[int], b: list[int], c: list[int]) -> None:
    blobs = [histogram.encode(histogram.from_values(v)) for v in (a, b, c)]
    union = histogram.from_values(a + b + c)
    assert np.array_equal(histogram.merge_encoded(blobs), union)
    assert np.array_equal(histogram.merge_encoded(reversed(blobs)), union)
    ab = histogram.encode(histogram.merge_encoded(blobs[:2]))
    assert np.array_equal(histogram.merge_encoded([ab, blobs[2]]), union)


@given(st.dictionaries(st.integers(min_value=0, max_value=histogram.BUCKET_COUNT - 1),
                       st.integers(min_value=0, max_value=2**32 - 1)))
def test_encode_mapping__roundtrip(mapping: dict[int, int]) -> None:
    blob = histogram.encode_mapping(mapping)
    assert histogram.decode_mapping(blob) == {b: c for b, c in mapping.items() if c}
    assert blob == histogram.encode(histogram.from_mapping(mapping))


def test_mean_of__lognormal_sample__close_to_exact() -> None:
    rng = random.Random(3)
    values = [int(rng.lognormvariate(math.log(30_000), 0.5)) for _ in range(10_000)]
    mean = histogram.mean_of(histogram.from_values(values))
    assert mean is not None
    assert abs(mean - sum(values) / len(values)) / (sum(values) / len(values)) < histogram.RELATIVE_ERROR
