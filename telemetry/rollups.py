"""Rolling events up (pure: no Django import): one function, used by the rollup task and by the rebuild alike.

A rollup row is (grouping, day, feature, dimensions...) -> measures. The *groupings* are projections of the same
events at different granularities, so a question reads the smallest one that still has every dimension it filters
or groups on (see `grouping_for`):

- `full`: ring x mode x variant x size bucket x command x kind x OS x toolchain x profile - every filter;
- `cohort`, `platform`, `compact`: fewer dimensions, 10-100x fewer rows, for the dashboard's common questions;
- `version_compact` and `version`: one row per tool (cargo-leptos, leptos, rustc) and version, for version
  filters and regressions; `version` adds ring, size bucket and OS.

Dimensions a grouping does not have are stored as "" and are never filtered on. Null (unknown) values are stored
as "" too: a grouping that has the dimension reports them as "unknown".

Measures count every event (successes, failures, interruptions) but time only successful ones: a failed build
measures how fast it failed, an interrupted one when the developer saved again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import msgspec

from telemetry import histogram
from telemetry.schema import PHASES

DIMENSIONS: Final = ("ring", "mode", "variant", "size_bucket", "command", "kind", "os", "toolchain", "profile",
                     "component", "version")
VERSION_COMPONENTS: Final = {
    "cargo_leptos": "cargo_leptos_version",
    "leptos": "leptos_version",
    "rustc": "rustc_version",
}
VERSION_FILTERS: Final = {filter_name: component for component, filter_name in VERSION_COMPONENTS.items()}
GROUPINGS: Final[dict[str, tuple[str, ...]]] = {
    "compact": ("kind", "command", "mode", "variant", "profile"),
    "cohort": ("kind", "command", "mode", "variant", "profile", "ring", "size_bucket"),
    "platform": ("kind", "mode", "variant", "profile", "os", "toolchain", "size_bucket"),
    "full": ("ring", "mode", "variant", "size_bucket", "command", "kind", "os", "toolchain", "profile"),
    "version_compact": ("component", "version", "kind", "mode", "profile"),
    "version": ("component", "version", "kind", "mode", "profile", "ring", "size_bucket", "os"),
}
# Cheapest first: the order `grouping_for` tries them in.
GROUPING_ORDER: Final = ("compact", "cohort", "platform", "full")
VERSION_GROUPING_ORDER: Final = ("version_compact", "version")
PHASE_COLUMNS: Final = tuple(f"phase_{name}_ms" for name in PHASES)


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rollups need of one event, from the wire (ingest) or from a stored row (rebuild)."""

    day: date
    ring: str
    mode: str
    variant: str
    size_bucket: str
    command: str
    kind: str
    os: str
    toolchain: str
    profile: str
    cargo_leptos_version: str
    leptos_version: str
    rustc_version: str
    outcome: str
    duration_ms: int
    phases: tuple[int | None, ...] | None
    patch_sent: bool | None
    time_to_patch_ms: int | None
    time_to_reload_ms: int | None

    def fine_key(self) -> tuple[Any, ...]:
        return (self.day, self.ring, self.mode, self.variant, self.size_bucket, self.command, self.kind, self.os,
                self.toolchain, self.profile, self.cargo_leptos_version, self.leptos_version, self.rustc_version)


_FINE_FIELDS: Final = ("day", "ring", "mode", "variant", "size_bucket", "command", "kind", "os", "toolchain",
                       "profile", "cargo_leptos_version", "leptos_version", "rustc_version")


class Measures:
    """Counts, sums and histograms of a set of events; `merge` is addition, so any grouping order agrees."""

    __slots__ = ("duration_hist", "duration_sum_ms", "events", "failures", "interrupted", "patch_hist",
                 "patch_sent", "phase_events", "phase_ms", "reload_hist", "successes")

    def __init__(self) -> None:
        self.events = 0
        self.successes = 0
        self.failures = 0
        self.interrupted = 0
        self.duration_sum_ms = 0
        self.duration_hist: dict[int, int] = {}
        self.phase_events = 0
        self.phase_ms = [0] * len(PHASES)
        self.patch_sent = 0
        self.patch_hist: dict[int, int] = {}
        self.reload_hist: dict[int, int] = {}

    def add(self, facts: Facts) -> None:
        self.events += 1
        if facts.outcome == "failure":
            self.failures += 1
        elif facts.outcome == "interrupted":
            self.interrupted += 1
        else:
            self.successes += 1
            self.duration_sum_ms += facts.duration_ms
            bucket = histogram.bucket_of(facts.duration_ms)
            self.duration_hist[bucket] = self.duration_hist.get(bucket, 0) + 1
            if facts.phases is not None:
                self.phase_events += 1
                for i, value in enumerate(facts.phases):
                    if value:
                        self.phase_ms[i] += value
        if facts.patch_sent:
            self.patch_sent += 1
        if facts.time_to_patch_ms is not None:
            bucket = histogram.bucket_of(facts.time_to_patch_ms)
            self.patch_hist[bucket] = self.patch_hist.get(bucket, 0) + 1
        if facts.time_to_reload_ms is not None:
            bucket = histogram.bucket_of(facts.time_to_reload_ms)
            self.reload_hist[bucket] = self.reload_hist.get(bucket, 0) + 1

    def merge(self, other: Measures) -> None:
        self.events += other.events
        self.successes += other.successes
        self.failures += other.failures
        self.interrupted += other.interrupted
        self.duration_sum_ms += other.duration_sum_ms
        _merge_into(self.duration_hist, other.duration_hist)
        self.phase_events += other.phase_events
        for i, value in enumerate(other.phase_ms):
            self.phase_ms[i] += value
        self.patch_sent += other.patch_sent
        _merge_into(self.patch_hist, other.patch_hist)
        _merge_into(self.reload_hist, other.reload_hist)

    # --- to and from a database row -------------------------------------------------------------------------

    SCALARS: Final = ("events", "successes", "failures", "interrupted", "duration_sum_ms", "phase_events",
                      *PHASE_COLUMNS, "patch_sent")
    BLOBS: Final = ("duration_hist", "patch_hist", "reload_hist")
    COLUMNS: Final = (*SCALARS, *BLOBS)

    def row_values(self) -> tuple[Any, ...]:
        """Values in COLUMNS order."""
        return (self.events, self.successes, self.failures, self.interrupted, self.duration_sum_ms,
                self.phase_events, *self.phase_ms, self.patch_sent,
                histogram.encode_mapping(self.duration_hist), histogram.encode_mapping(self.patch_hist),
                histogram.encode_mapping(self.reload_hist))

    @classmethod
    def from_row(cls, values: Iterable[Any]) -> Measures:
        """From values in COLUMNS order."""
        v = list(values)
        measures = cls()
        (measures.events, measures.successes, measures.failures, measures.interrupted,
         measures.duration_sum_ms, measures.phase_events) = (int(x) for x in v[:6])
        measures.phase_ms = [int(x) for x in v[6:6 + len(PHASES)]]
        measures.patch_sent = int(v[6 + len(PHASES)])
        blobs = v[7 + len(PHASES):]
        measures.duration_hist = histogram.decode_mapping(blobs[0])
        measures.patch_hist = histogram.decode_mapping(blobs[1])
        measures.reload_hist = histogram.decode_mapping(blobs[2])
        return measures

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Measures):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self.__slots__)

    def __repr__(self) -> str:
        return f"Measures(events={self.events}, successes={self.successes}, failures={self.failures})"


def _merge_into(target: dict[int, int], source: dict[int, int]) -> None:
    for bucket, count in source.items():
        target[bucket] = target.get(bucket, 0) + count


@dataclass(frozen=True, slots=True, order=True)
class RollupKey:
    grouping: str
    day: date
    feature: str
    dimensions: tuple[str, ...]  # in DIMENSIONS order, "" where the grouping has none

    @property
    def digest(self) -> str:
        """Stable identity of the row: the unique column the upserts conflict on."""
        canonical = msgspec.json.encode([self.grouping, self.day.isoformat(), self.feature, *self.dimensions])
        return hashlib.blake2b(canonical, digest_size=16).hexdigest()

    def as_columns(self) -> dict[str, Any]:
        return {"grouping": self.grouping, "day": self.day, "feature": self.feature,
                **dict(zip(DIMENSIONS, self.dimensions, strict=True))}


def _project(grouping: str, fine: dict[str, Any], component: str = "", version: str = "") -> tuple[str, ...]:
    names = GROUPINGS[grouping]
    values = {**fine, "component": component, "version": version}
    return tuple(values[name] if name in names else "" for name in DIMENSIONS)


def roll_up(facts: Iterable[Facts], *, feature: str) -> dict[RollupKey, Measures]:
    """The rollup deltas of some events: every grouping, every version component."""
    fine: dict[tuple[Any, ...], Measures] = {}
    for item in facts:
        key = item.fine_key()
        measures = fine.get(key)
        if measures is None:
            measures = fine[key] = Measures()
        measures.add(item)
    deltas: dict[RollupKey, Measures] = {}

    def put(key: RollupKey, measures: Measures) -> None:
        target = deltas.get(key)
        if target is None:
            target = deltas[key] = Measures()
        target.merge(measures)

    for fine_key, measures in fine.items():
        values = dict(zip(_FINE_FIELDS, fine_key, strict=True))
        day = values["day"]
        for grouping in GROUPING_ORDER:
            put(RollupKey(grouping, day, feature, _project(grouping, values)), measures)
        for component, field in VERSION_COMPONENTS.items():
            for grouping in VERSION_GROUPING_ORDER:
                put(RollupKey(grouping, day, feature, _project(grouping, values, component, values[field])),
                    measures)
    return deltas


def grouping_for(dimensions: Iterable[str]) -> str | None:
    """The cheapest grouping with every dimension asked for; None when only raw events can answer."""
    wanted = set(dimensions)
    versions = wanted & {"component", "version"}
    for grouping in VERSION_GROUPING_ORDER if versions else GROUPING_ORDER:
        if wanted <= set(GROUPINGS[grouping]):
            return grouping
    return None
