"""Mergeable log-bucket histograms of durations (pure: no Django import).

A value v >= 1 falls in bucket b = 1 + floor(log_g(v)), the interval [g^(b-1), g^b), and is read back as
r(b) = 2 g^b / (1 + g), the point whose relative distance to both ends of the interval is (g - 1) / (g + 1).
With g = 1.035 that is 1.72 %: any percentile read from a histogram is within 1.72 % of the exact order
statistic of the same rank (nearest-rank definition), however many histograms were merged. Bucket 0 holds
v <= 0 (a time to patch can be 0 ms) and reads back as 0, exactly.

Merging is adding counts, so histograms of days, rings or installations combine in any order and any grouping
(commutative, associative, idempotent under rebuild). Durations are capped at 86,400,000 ms (the contract's
range), so the largest bucket index is 532 and fits a uint16.

Storage: `encode` packs the non-empty buckets as little-endian (uint16 bucket, uint32 count) pairs, sorted by
bucket. It is a plain byte string, stored in a BLOB (SQLite) or bytea (PostgreSQL) column: reading many
thousands of rollup rows then costs one `b"".join` and one `numpy.bincount`, where JSON would cost a Python
object per bucket (see docs/telemetry-api.md, "Storage", for the measured difference).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

GAMMA = 1.035
RELATIVE_ERROR = (GAMMA - 1) / (GAMMA + 1)
MAX_VALUE = 86_400_000
_LOG_GAMMA = math.log(GAMMA)


def bucket_of(value: float) -> int:
    """The bucket index of a value (values above MAX_VALUE share its bucket)."""
    if value <= 0:
        return 0
    if value > MAX_VALUE:
        value = MAX_VALUE
    return 1 + math.floor(math.log(value) / _LOG_GAMMA)


BUCKET_COUNT = bucket_of(MAX_VALUE) + 1

# Representative value of every bucket, computed once.
_VALUES = np.array([0.0] + [2 * GAMMA**b / (1 + GAMMA) for b in range(1, BUCKET_COUNT)], dtype=np.float64)
PAIR_DTYPE = np.dtype([("bucket", "<u2"), ("count", "<u4")])
_PAIR = struct.Struct("<HI")


def bucket_value(bucket: int) -> float:
    """The value a bucket reads back as (relative error <= RELATIVE_ERROR for every value in it)."""
    return float(_VALUES[bucket])


def bucket_bounds(bucket: int) -> tuple[float, float]:
    """[low, high) of a bucket's values."""
    if bucket == 0:
        return (0.0, 1.0)
    return (GAMMA ** (bucket - 1), GAMMA**bucket)


# --- dense counts: a numpy int64 array of BUCKET_COUNT counts ------------------------------------------------


def empty() -> np.ndarray[Any, np.dtype[np.int64]]:
    return np.zeros(BUCKET_COUNT, dtype=np.int64)


def from_values(values: Iterable[float]) -> np.ndarray[Any, np.dtype[np.int64]]:
    counts = empty()
    for value in values:
        counts[bucket_of(value)] += 1
    return counts


def from_mapping(mapping: Mapping[int, int]) -> np.ndarray[Any, np.dtype[np.int64]]:
    counts = empty()
    for bucket, count in mapping.items():
        counts[bucket] += count
    return counts


def encode_mapping(mapping: Mapping[int, int]) -> bytes:
    """Pack a sparse {bucket: count} mapping (the ingest path builds these; struct beats numpy when small)."""
    flat = [x for pair in sorted(mapping.items()) if pair[1] for x in pair]
    return struct.pack(f"<{'HI' * (len(flat) // 2)}", *flat)


def encode(counts: np.ndarray[Any, Any]) -> bytes:
    """Pack dense counts as the sparse byte string stored in rollups."""
    nonzero = np.flatnonzero(counts)
    pairs = np.empty(len(nonzero), dtype=PAIR_DTYPE)
    pairs["bucket"] = nonzero
    pairs["count"] = counts[nonzero]
    return pairs.tobytes()


def decode(blob: bytes | memoryview | None) -> np.ndarray[Any, np.dtype[np.int64]]:
    return merge_encoded([blob])


def decode_mapping(blob: bytes | memoryview | None) -> dict[int, int]:
    if not blob:
        return {}
    return dict(_PAIR.iter_unpack(blob))


def merge_encoded(blobs: Iterable[bytes | memoryview | None]) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Dense counts of the sum of many encoded histograms: one join and one bincount, whatever their number."""
    joined = b"".join(bytes(blob) for blob in blobs if blob)
    if not joined:
        return empty()
    pairs = np.frombuffer(joined, dtype=PAIR_DTYPE)
    merged = np.bincount(pairs["bucket"], weights=pairs["count"], minlength=BUCKET_COUNT)
    return np.rint(merged).astype(np.int64)


def merge_mappings(left: Mapping[int, int], right: Mapping[int, int]) -> dict[int, int]:
    merged = dict(left)
    for bucket, count in right.items():
        merged[bucket] = merged.get(bucket, 0) + count
    return merged


# --- reading ---------------------------------------------------------------------------------------------------


def total(counts: np.ndarray[Any, Any]) -> int:
    return int(counts.sum())


def rank_of(quantile: float, n: int) -> int:
    """1-based nearest rank of a quantile among n sorted values: ceil(q n), at least 1."""
    return max(1, math.ceil(quantile * n - 1e-9))


def quantiles(counts: np.ndarray[Any, Any], qs: Sequence[float]) -> list[float | None]:
    """The value of each nearest-rank quantile (None for an empty histogram)."""
    n = int(counts.sum())
    if n == 0:
        return [None for _ in qs]
    cumulative = np.cumsum(counts)
    ranks = np.array([rank_of(q, n) for q in qs])
    buckets = np.searchsorted(cumulative, ranks, side="left")
    return [float(_VALUES[b]) for b in buckets]


def quantile(counts: np.ndarray[Any, Any], q: float) -> float | None:
    return quantiles(counts, [q])[0]


def mean_of(counts: np.ndarray[Any, Any]) -> float | None:
    """Mean read from the buckets (the rollups also keep exact sums; this is for histograms alone)."""
    n = int(counts.sum())
    if n == 0:
        return None
    return float((counts * _VALUES).sum() / n)


def exact_quantile(values: Sequence[float], q: float) -> float | None:
    """The exact nearest-rank quantile of raw values: what a histogram quantile approximates."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[rank_of(q, len(ordered)) - 1])
