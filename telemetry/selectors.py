"""Every read of the telemetry app: the questions the rollout hangs on, as plain dataclasses.

Each question is answered from the smallest rollup grouping that has every dimension it filters or groups on
(telemetry.rollups.grouping_for), and from raw events only when no grouping has them (two version filters at
once, or a version filter with command / toolchain / variant). Every answer says which (`source`).

Every figure carries its sample size `n`; below TELEMETRY_MIN_SAMPLE it is null with `insufficient_data: true`.
Percentiles use the nearest-rank definition and are within 1.72 % of the exact ones (telemetry.histogram).
The reports app and the dashboard reuse these; nothing here returns a model or a numpy value.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from typing import Any, Final, Literal

import numpy as np
from django.conf import settings
from django.db import connection
from django.utils import timezone

from telemetry import histogram, stats
from telemetry.models import BuildEvent, Rollup
from telemetry.rollups import GROUPINGS, PHASE_COLUMNS, VERSION_COMPONENTS, VERSION_FILTERS, grouping_for
from telemetry.schema import PHASES
from telemetry.services import FACT_COLUMNS, facts_of_row
from telemetry.sql import pg_execute

SOURCE_RAW: Final = "raw"
DIMENSION_FILTERS: Final = ("ring", "mode", "variant", "size_bucket", "command", "kind", "os", "toolchain",
                            "profile")
TIMED_KINDS: Final = ("build", "rebuild")
Period = Literal["day", "week"]


# --- the question's scope -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricsFilter:
    """A window (inclusive days, UTC) and optional equality filters; None = any. variant "" = no variant."""

    start: date
    end: date
    feature: str = ""
    ring: str | None = None
    mode: str | None = None
    variant: str | None = None
    size_bucket: str | None = None
    command: str | None = None
    kind: str | None = None
    os: str | None = None
    toolchain: str | None = None
    profile: str | None = None
    cargo_leptos_version: str | None = None
    leptos_version: str | None = None
    rustc_version: str | None = None

    @classmethod
    def last_days(cls, days: int | None = None, **filters: Any) -> MetricsFilter:
        days = days or settings.TELEMETRY_DEFAULT_WINDOW_DAYS
        end = timezone.now().date()
        return cls(start=end - timedelta(days=days - 1), end=end, **filters)

    @property
    def feature_key(self) -> str:
        return self.feature or settings.TELEMETRY_FEATURE_KEY

    def dimension_values(self) -> dict[str, str]:
        return {name: value for name in DIMENSION_FILTERS if (value := getattr(self, name)) is not None}

    def version_values(self) -> dict[str, str]:
        """{component: version} of the version filters set."""
        return {VERSION_FILTERS[name]: value for name in VERSION_FILTERS
                if (value := getattr(self, name)) is not None}

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name not in ("start", "end") and getattr(self, f.name) is not None} | {
            "feature": self.feature_key}


# --- what every answer carries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Percentiles of successful events' durations (ms)."""

    n: int
    p50_ms: float | None
    p90_ms: float | None
    p95_ms: float | None
    mean_ms: float | None
    insufficient_data: bool


@dataclass(frozen=True)
class Rate:
    """count / n with a 95 % Wilson interval."""

    n: int
    count: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    insufficient_data: bool


@dataclass(frozen=True)
class Change:
    """Relative change of a percentile (other / base - 1) with a 95 % interval (telemetry.stats)."""

    value: float | None
    ci_low: float | None
    ci_high: float | None
    insufficient_data: bool


@dataclass(frozen=True)
class Report:
    start: date
    end: date
    filters: dict[str, Any]
    source: str
    min_sample: int


def _min_sample() -> int:
    return int(settings.TELEMETRY_MIN_SAMPLE)


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def timing_of(counts: np.ndarray[Any, Any], duration_sum_ms: int | None = None) -> Timing:
    n = histogram.total(counts)
    if n < _min_sample():
        return Timing(n=n, p50_ms=None, p90_ms=None, p95_ms=None, mean_ms=None, insufficient_data=True)
    p50, p90, p95 = histogram.quantiles(counts, (0.5, 0.9, 0.95))
    mean = duration_sum_ms / n if duration_sum_ms is not None else histogram.mean_of(counts)
    return Timing(n=n, p50_ms=_round(p50), p90_ms=_round(p90), p95_ms=_round(p95), mean_ms=_round(mean),
                  insufficient_data=False)


def rate_of(count: int, n: int) -> Rate:
    if n < _min_sample():
        return Rate(n=n, count=count, rate=None, ci_low=None, ci_high=None, insufficient_data=True)
    interval = stats.wilson_interval(count, n)
    assert interval is not None
    return Rate(n=n, count=count, rate=_round(count / n, 4), ci_low=_round(interval[0], 4),
                ci_high=_round(interval[1], 4), insufficient_data=False)


def change_of(base: np.ndarray[Any, Any], other: np.ndarray[Any, Any], q: float = 0.5) -> Change:
    if min(histogram.total(base), histogram.total(other)) < _min_sample():
        return Change(value=None, ci_low=None, ci_high=None, insufficient_data=True)
    value = stats.relative_change(histogram.quantile(base, q), histogram.quantile(other, q))
    interval = stats.relative_change_interval(base, other, q)
    return Change(value=_round(value, 4), ci_low=_round(interval[0], 4) if interval else None,
                  ci_high=_round(interval[1], 4) if interval else None, insufficient_data=False)


# --- aggregation: rollups or raw events -----------------------------------------------------------------------


@dataclass
class _Aggregate:
    events: int = 0
    successes: int = 0
    failures: int = 0
    interrupted: int = 0
    duration_sum_ms: int = 0
    phase_events: int = 0
    phase_ms: list[int] = field(default_factory=lambda: [0] * len(PHASES))
    patch_sent: int = 0
    duration: np.ndarray[Any, Any] = field(default_factory=histogram.empty)
    patch: np.ndarray[Any, Any] = field(default_factory=histogram.empty)
    reload: np.ndarray[Any, Any] = field(default_factory=histogram.empty)


_SCALARS: Final = ("events", "successes", "failures", "interrupted", "duration_sum_ms", "phase_events",
                   *PHASE_COLUMNS, "patch_sent")
_BLOBS: Final = {"duration": "duration_hist", "patch": "patch_hist", "reload": "reload_hist"}
Blob = Literal["duration", "patch", "reload"]


def _aggregate_from_parts(scalars: Sequence[int], blobs: dict[str, list[Any]]) -> _Aggregate:
    aggregate = _Aggregate(
        events=scalars[0], successes=scalars[1], failures=scalars[2], interrupted=scalars[3],
        duration_sum_ms=scalars[4], phase_events=scalars[5], phase_ms=list(scalars[6:6 + len(PHASES)]),
        patch_sent=scalars[6 + len(PHASES)],
    )
    for name, parts in blobs.items():
        setattr(aggregate, name, histogram.merge_encoded(parts))
    return aggregate


def _from_rollups(grouping: str, where: dict[str, str | tuple[str, ...]], f: MetricsFilter,
                  group_by: Sequence[str], blobs: Sequence[Blob]) -> dict[tuple[Any, ...], _Aggregate]:
    quote = connection.ops.quote_name
    table = quote(Rollup._meta.db_table)
    conditions = [f"{quote('grouping')} = %s", "feature = %s", "day >= %s", "day <= %s"]
    params: list[Any] = [grouping, f.feature_key, connection.ops.adapt_datefield_value(f.start),
                         connection.ops.adapt_datefield_value(f.end)]
    for column, value in where.items():
        if isinstance(value, tuple):
            conditions.append(f"{quote(column)} IN ({', '.join(['%s'] * len(value))})")
            params.extend(value)
        else:
            conditions.append(f"{quote(column)} = %s")
            params.append(value)
    group_columns = [quote(c) for c in group_by]
    blob_columns = [_BLOBS[name] for name in blobs]
    # PostgreSQL sums and concatenates the histograms itself, so one row per group crosses the wire; elsewhere
    # (SQLite, the embedded default) the rows are summed here.
    aggregated = connection.vendor == "postgresql"
    if aggregated:
        select = [*group_columns, *(f"SUM({c})::bigint" for c in _SCALARS),
                  *(f"string_agg({c}, ''::bytea)" for c in blob_columns)]
    else:
        select = [*group_columns, *_SCALARS, *blob_columns]
    # identifiers come from the model and the code, every value is a bound parameter
    sql = f"SELECT {', '.join(select)} FROM {table} WHERE {' AND '.join(conditions)}"  # noqa: S608
    if aggregated and group_columns:
        sql += f" GROUP BY {', '.join(group_columns)}"
    width = len(group_by)
    day_at = group_by.index("day") if "day" in group_by else None
    sums: dict[tuple[Any, ...], list[int]] = {}
    parts: dict[tuple[Any, ...], dict[str, list[Any]]] = {}
    for row in _fetch(sql, params, binary=aggregated):
        key = tuple(row[:width])
        if day_at is not None and isinstance(key[day_at], str):  # SQLite keeps dates as text
            key = (*key[:day_at], date.fromisoformat(key[day_at]), *key[day_at + 1:])
        scalars = row[width:width + len(_SCALARS)]
        if scalars[0] is None:  # an aggregate over no rows
            continue
        total = sums.get(key)
        if total is None:
            sums[key] = [int(v) for v in scalars]
            parts[key] = {name: [] for name in blobs}
        else:
            for i, value in enumerate(scalars):
                total[i] += int(value)
        for name, blob in zip(blobs, row[width + len(_SCALARS):], strict=True):
            if blob:
                parts[key][name].append(blob)
    return {key: _aggregate_from_parts(sums[key], parts[key]) for key in sums}


def _fetch(sql: str, params: list[Any], *, binary: bool) -> list[tuple[Any, ...]]:
    """Rows of a query; on PostgreSQL in the binary format, so concatenated histograms cross the wire as bytes
    rather than as hex text twice their size."""
    if binary:
        return pg_execute(sql, params, binary=True)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _from_raw(where: dict[str, str | tuple[str, ...]], f: MetricsFilter, group_by: Sequence[str],
              ) -> dict[tuple[Any, ...], _Aggregate]:
    from telemetry.rollups import Measures

    lookups: dict[str, Any] = {"feature": f.feature_key, "day__range": (f.start, f.end)}
    for column, value in where.items():
        lookups[f"{column}__in" if isinstance(value, tuple) else column] = value
    measures: dict[tuple[Any, ...], Measures] = {}
    width = len(group_by)
    rows = BuildEvent.objects.filter(**lookups).values_list(*group_by, *FACT_COLUMNS)
    for row in rows.iterator(chunk_size=10_000):
        key = tuple(row[:width])
        target = measures.get(key)
        if target is None:
            target = measures[key] = Measures()
        target.add(facts_of_row(row[width:]))
    return {
        key: _Aggregate(
            events=m.events, successes=m.successes, failures=m.failures, interrupted=m.interrupted,
            duration_sum_ms=m.duration_sum_ms, phase_events=m.phase_events, phase_ms=list(m.phase_ms),
            patch_sent=m.patch_sent, duration=histogram.from_mapping(m.duration_hist),
            patch=histogram.from_mapping(m.patch_hist), reload=histogram.from_mapping(m.reload_hist),
        )
        for key, m in measures.items()
    }


def _aggregate(
    f: MetricsFilter, *, group_by: Sequence[str] = (), kinds: Sequence[str] | None = None,
    blobs: Sequence[Blob] = (), component: str | None = None,
) -> tuple[str, dict[tuple[Any, ...], _Aggregate]]:
    """(source, {group values: aggregate}) of the events in scope.

    `group_by` takes dimension names, "day", and "version" (with `component`: one tool's versions).
    """
    where: dict[str, str | tuple[str, ...]] = dict(f.dimension_values())
    if kinds is not None and f.kind is None:
        where["kind"] = tuple(kinds)
    versions = f.version_values()
    if component is not None:
        where["component"] = component
        if component in versions:
            where["version"] = versions.pop(component)
    elif len(versions) == 1:
        only, version = next(iter(versions.items()))
        where["component"], where["version"] = only, version
        versions = {}
    wanted = set(where) | {g for g in group_by if g != "day"}
    grouping = None if versions else grouping_for(wanted)
    if grouping is not None:
        return grouping, _from_rollups(grouping, where, f, group_by, blobs)
    # Raw events: component/version become that tool's column.
    raw_where = {k: v for k, v in where.items() if k not in ("component", "version")}
    if "version" in where:
        raw_where[VERSION_COMPONENTS[str(where["component"])]] = where["version"]
    for other, version in versions.items():
        raw_where[VERSION_COMPONENTS[other]] = version
    raw_group_by = [VERSION_COMPONENTS[component] if g == "version" and component else g for g in group_by]
    return SOURCE_RAW, _from_raw(raw_where, f, raw_group_by)


def _report(f: MetricsFilter, source: str) -> dict[str, Any]:
    return {"start": f.start, "end": f.end, "filters": f.as_dict(), "source": source, "min_sample": _min_sample()}


def _modes(f: MetricsFilter) -> tuple[str, ...]:
    return (f.mode,) if f.mode else ("fast", "normal")


# --- build and rebuild times ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildTimesGroup:
    kind: str
    mode: str
    timing: Timing


@dataclass(frozen=True)
class BuildTimes(Report):
    groups: list[BuildTimesGroup]


def build_times(f: MetricsFilter) -> BuildTimes:
    """p50 / p90 / p95 (and mean) of successful build and rebuild times, per kind and mode."""
    source, groups = _aggregate(f, group_by=("kind", "mode"), kinds=TIMED_KINDS, blobs=("duration",))
    kinds = (f.kind,) if f.kind else TIMED_KINDS
    rows = []
    for kind in kinds:
        for mode in _modes(f):
            aggregate = groups.get((kind, mode), _Aggregate())
            rows.append(BuildTimesGroup(kind=kind, mode=mode,
                                        timing=timing_of(aggregate.duration, aggregate.duration_sum_ms)))
    return BuildTimes(**_report(f, source), groups=rows)


# --- fast vs normal -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Improvement(Report):
    kind: str
    fast: Timing
    normal: Timing
    # 1 - fast / normal: 0.7 = fast mode takes 70 % less time
    p50_improvement: Change
    p90_improvement: Change


def improvement(f: MetricsFilter) -> Improvement:
    """How much faster fast mode is than normal mode (p50 and p90), with 95 % intervals."""
    kind = f.kind or "rebuild"
    scope = replace(f, mode=None, kind=kind)
    source, groups = _aggregate(scope, group_by=("mode",), blobs=("duration",))
    fast = groups.get(("fast",), _Aggregate())
    normal = groups.get(("normal",), _Aggregate())

    def improvement_of(q: float) -> Change:
        change = change_of(normal.duration, fast.duration, q)
        if change.insufficient_data:
            return change
        # improvement = -(relative change): the interval flips
        return Change(value=_negate(change.value), ci_low=_negate(change.ci_high),
                      ci_high=_negate(change.ci_low), insufficient_data=False)

    return Improvement(
        **_report(scope, source), kind=kind,
        fast=timing_of(fast.duration, fast.duration_sum_ms), normal=timing_of(normal.duration, normal.duration_sum_ms),
        p50_improvement=improvement_of(0.5), p90_improvement=improvement_of(0.9),
    )


def _negate(value: float | None) -> float | None:
    return None if value is None else round(-value, 4)


# --- hot reload -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HotReloadGroup:
    mode: str
    events: int
    # successes / (successes + failures); interrupted cycles (a new edit mid-cycle) are neither
    success_rate: Rate
    interrupted_rate: Rate
    patches_sent: int
    time_to_patch: Timing
    time_to_reload: Timing


@dataclass(frozen=True)
class HotReload(Report):
    groups: list[HotReloadGroup]


def hot_reload(f: MetricsFilter) -> HotReload:
    scope = replace(f, kind="hot_reload")
    source, groups = _aggregate(scope, group_by=("mode",), blobs=("patch", "reload"))
    rows = []
    for mode in _modes(f):
        a = groups.get((mode,), _Aggregate())
        rows.append(HotReloadGroup(
            mode=mode, events=a.events, success_rate=rate_of(a.successes, a.successes + a.failures),
            interrupted_rate=rate_of(a.interrupted, a.events), patches_sent=a.patch_sent,
            time_to_patch=timing_of(a.patch), time_to_reload=timing_of(a.reload),
        ))
    return HotReload(**_report(scope, source), groups=rows)


# --- failures -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FailureGroup:
    kind: str
    mode: str
    events: int
    failure_rate: Rate
    interrupted_rate: Rate


@dataclass(frozen=True)
class Failures(Report):
    groups: list[FailureGroup]


def failures(f: MetricsFilter) -> Failures:
    """Failure and interruption rates of every kind of event, per mode."""
    source, groups = _aggregate(f, group_by=("kind", "mode"))
    kinds = (f.kind,) if f.kind else ("build", "rebuild", "hot_reload", "bench")
    rows = []
    for kind in kinds:
        for mode in _modes(f):
            a = groups.get((kind, mode), _Aggregate())
            rows.append(FailureGroup(kind=kind, mode=mode, events=a.events,
                                     failure_rate=rate_of(a.failures, a.events),
                                     interrupted_rate=rate_of(a.interrupted, a.events)))
    return Failures(**_report(f, source), groups=rows)


# --- trend ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    period_start: date
    mode: str
    events: int
    timing: Timing
    failure_rate: Rate


@dataclass(frozen=True)
class Trend(Report):
    kind: str
    period: str
    points: list[TrendPoint]


def trend(f: MetricsFilter, *, period: Period = "day") -> Trend:
    """Daily or weekly (weeks start on Monday) percentiles and failure rate of one kind, per mode."""
    kind = f.kind or "rebuild"
    scope = replace(f, kind=kind)
    source, groups = _aggregate(scope, group_by=("day", "mode"), blobs=("duration",))
    buckets: dict[tuple[date, str], _Aggregate] = {}
    for (day, mode), a in groups.items():
        start = day - timedelta(days=day.weekday()) if period == "week" else day
        target = buckets.setdefault((start, mode), _Aggregate())
        _add(target, a)
    first = f.start - timedelta(days=f.start.weekday()) if period == "week" else f.start
    points = []
    # By offset, not by adding a step after the last point: a window ending at 9999-12-31 has no next day.
    for offset in range(0, (f.end - first).days + 1, 7 if period == "week" else 1):
        cursor = first + timedelta(days=offset)
        for mode in _modes(f):
            a = buckets.get((cursor, mode), _Aggregate())
            points.append(TrendPoint(period_start=cursor, mode=mode, events=a.events,
                                     timing=timing_of(a.duration, a.duration_sum_ms),
                                     failure_rate=rate_of(a.failures, a.events)))
    return Trend(**_report(scope, source), kind=kind, period=period, points=points)


def _add(target: _Aggregate, other: _Aggregate) -> None:
    for name in ("events", "successes", "failures", "interrupted", "duration_sum_ms", "phase_events",
                 "patch_sent"):
        setattr(target, name, getattr(target, name) + getattr(other, name))
    target.phase_ms = [a + b for a, b in zip(target.phase_ms, other.phase_ms, strict=True)]
    target.duration = target.duration + other.duration
    target.patch = target.patch + other.patch
    target.reload = target.reload + other.reload


# --- where time goes ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseGroup:
    mode: str
    n: int  # successful builds that reported phases
    insufficient_data: bool
    total_ms: int
    share: dict[str, float | None]
    mean_ms: dict[str, float | None]


@dataclass(frozen=True)
class PhaseBreakdown(Report):
    groups: list[PhaseGroup]


def _phase_group(mode: str, a: _Aggregate) -> PhaseGroup:
    total = sum(a.phase_ms)
    enough = a.phase_events >= _min_sample() and total > 0
    return PhaseGroup(
        mode=mode, n=a.phase_events, insufficient_data=not enough, total_ms=total,
        share={name: _round(ms / total, 4) if enough else None for name, ms in zip(PHASES, a.phase_ms, strict=True)},
        mean_ms={name: _round(ms / a.phase_events) if enough else None
                 for name, ms in zip(PHASES, a.phase_ms, strict=True)},
    )


def phase_breakdown(f: MetricsFilter) -> PhaseBreakdown:
    """Share of build time per phase (server, front, wasm-bindgen, wasm-opt, style, other), per mode."""
    source, groups = _aggregate(f, group_by=("mode",), kinds=TIMED_KINDS)
    rows = [_phase_group(mode, groups.get((mode,), _Aggregate())) for mode in _modes(f)]
    return PhaseBreakdown(**_report(f, source), groups=rows)


# --- regressions after new tool versions ----------------------------------------------------------------------


_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?")


def semver_key(version: str) -> tuple[int, int, int, int, str]:
    """Sort key: numeric, a pre-release before its release (1.85.0-nightly < 1.85.0)."""
    found = _SEMVER.match(version)
    if not found:
        return (-1, -1, -1, 0, version)
    major, minor, patch, pre = found.groups()
    return (int(major), int(minor), int(patch), 0 if pre else 1, pre or "")


@dataclass(frozen=True)
class VersionFigures:
    version: str
    timing: Timing
    failure_rate: Rate


@dataclass(frozen=True)
class VersionStep:
    component: str
    mode: str
    from_version: str
    to_version: str
    p50_change: Change  # to / from - 1: positive = slower
    failure_rate_from: Rate
    failure_rate_to: Rate
    slower: bool  # p50 at least the threshold slower, and its interval above 0
    fails_more: bool  # failure-rate intervals do not overlap, the new one higher
    regression: bool


@dataclass(frozen=True)
class ComponentVersions:
    component: str
    mode: str
    versions: list[VersionFigures]
    steps: list[VersionStep]


@dataclass(frozen=True)
class Regressions(Report):
    kind: str
    threshold: float
    components: list[ComponentVersions]
    regressions: list[VersionStep]


def regressions(f: MetricsFilter) -> Regressions:
    """Each tool version against the previous one with enough data: p50 time and failure rate, per mode.

    Versions are compared within a mode; "" (unknown) is left out. Installations that upgrade early may differ
    from the rest: narrow with the filters (size bucket, OS) to compare like with like.
    """
    kind = f.kind or "rebuild"
    scope = replace(f, kind=kind)
    threshold = float(settings.TELEMETRY_REGRESSION_THRESHOLD)
    sources = set()
    components = []
    found = []
    for component in VERSION_COMPONENTS:
        source, groups = _aggregate(scope, group_by=("version", "mode"), blobs=("duration",), component=component)
        sources.add(source)
        for mode in _modes(f):
            by_version = {version: a for (version, m), a in groups.items() if m == mode and version}
            ordered = sorted(by_version, key=semver_key)
            figures = [VersionFigures(version=v, timing=timing_of(by_version[v].duration,
                                                                  by_version[v].duration_sum_ms),
                                      failure_rate=rate_of(by_version[v].failures, by_version[v].events))
                       for v in ordered]
            comparable = [v for v, fig in zip(ordered, figures, strict=True) if not fig.timing.insufficient_data]
            steps = []
            for older, newer in itertools.pairwise(comparable):
                a, b = by_version[older], by_version[newer]
                change = change_of(a.duration, b.duration, 0.5)
                rate_from, rate_to = rate_of(a.failures, a.events), rate_of(b.failures, b.events)
                slower = bool(change.value is not None and change.value >= threshold
                              and change.ci_low is not None and change.ci_low > 0)
                fails_more = bool(rate_from.ci_high is not None and rate_to.ci_low is not None
                                  and rate_to.ci_low > rate_from.ci_high)
                step = VersionStep(component=component, mode=mode, from_version=older, to_version=newer,
                                   p50_change=change, failure_rate_from=rate_from, failure_rate_to=rate_to,
                                   slower=slower, fails_more=fails_more, regression=slower or fails_more)
                steps.append(step)
                if step.regression:
                    found.append(step)
            components.append(ComponentVersions(component=component, mode=mode, versions=figures, steps=steps))
    source = sources.pop() if len(sources) == 1 else "+".join(sorted(sources))
    return Regressions(**_report(scope, source), kind=kind, threshold=threshold, components=components,
                       regressions=found)


# --- recommendations ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recommendation:
    rule: str
    severity: str  # "warning": act on it; "info": worth knowing
    title: str
    detail: str
    evidence: dict[str, Any]


@dataclass(frozen=True)
class RuleCheck:
    rule: str
    status: str  # "fired", "clear" or "insufficient_data"


@dataclass(frozen=True)
class Recommendations(Report):
    recommendations: list[Recommendation]
    checks: list[RuleCheck]


# Thresholds of the rules (shares of phase time, relative changes).
WASM_OPT_DEV_SHARE: Final = 0.10
SERVER_SHARE_LINUX: Final = 0.60
STYLE_SHARE: Final = 0.25
VARIANT_CHANGE: Final = 0.10
DEFAULT_VARIANT: Final = "builtin-default"
HOT_RELOAD_TARGET: Final = 0.90
IMPROVEMENT_TARGET: Final = 0.67


def _pct(value: float | None) -> str:
    return "?" if value is None else f"{value * 100:.0f} %"


def _phase_share_rule(
    groups: dict[tuple[Any, ...], _Aggregate], *, phase: str, threshold: float,
    recommend: Callable[[tuple[Any, ...], float, int], Recommendation],
) -> tuple[str, list[Recommendation]]:
    """One "a build phase takes too much of the time" rule over groups keyed (mode, ...): its status and advice."""
    status = "insufficient_data"
    fired: list[Recommendation] = []
    for key, aggregate in sorted(groups.items()):
        phases = _phase_group(key[0], aggregate)
        if phases.insufficient_data:
            continue
        if status != "fired":
            status = "clear"
        share = phases.share[phase] or 0.0
        if share >= threshold:
            status = "fired"
            fired.append(recommend(key, share, phases.n))
    return status, fired


def recommendations(f: MetricsFilter) -> Recommendations:
    """Rule-based advice drawn from the data in scope; each rule says whether it fired, or lacked data."""
    found: list[Recommendation] = []
    checks: list[RuleCheck] = []

    def check(rule: str, status: str) -> None:
        checks.append(RuleCheck(rule=rule, status=status))

    # 1. wasm-opt in dev builds, per mode and variant
    dev = replace(f, profile="dev")
    source, groups = _aggregate(dev, group_by=("mode", "variant"), kinds=TIMED_KINDS)
    status, fired = _phase_share_rule(groups, phase="wasm_opt", threshold=WASM_OPT_DEV_SHARE, recommend=lambda key, share, n: Recommendation(
        rule="wasm_opt_in_dev", severity="warning",
        title=f"wasm-opt takes {_pct(share)} of dev build time ({key[0]}, variant {key[1] or 'none'})",
        detail="wasm-opt only shrinks the bundle; in dev it should be off (a variant without it).",
        evidence={"mode": key[0], "variant": key[1], "wasm_opt_share": share, "n": n},
    ))
    found += fired
    check("wasm_opt_in_dev", status)

    # 2. linking / server compile dominating Linux rebuilds
    linux = replace(f, os="linux", kind="rebuild")
    _, groups = _aggregate(linux, group_by=("mode",))
    status, fired = _phase_share_rule(groups, phase="server", threshold=SERVER_SHARE_LINUX, recommend=lambda key, share, n: Recommendation(
        rule="faster_linker_linux", severity="warning",
        title=f"The server build (compile + link) takes {_pct(share)} of Linux rebuilds ({key[0]})",
        detail="Linking dominates incremental rebuilds on Linux: offer a fast-mode variant with a faster "
               "host linker (mold or lld).",
        evidence={"mode": key[0], "server_share": share, "n": n},
    ))
    found += fired
    check("faster_linker_linux", status)

    # 3. style pipeline
    _, groups = _aggregate(f, group_by=("mode",), kinds=TIMED_KINDS)
    status, fired = _phase_share_rule(groups, phase="style", threshold=STYLE_SHARE, recommend=lambda key, share, n: Recommendation(
        rule="style_dominates", severity="warning",
        title=f"The style phase takes {_pct(share)} of build time ({key[0]})",
        detail="Check the CSS pipeline in dev (minification, browser targets, source maps).",
        evidence={"mode": key[0], "style_share": share, "n": n},
    ))
    found += fired
    check("style_dominates", status)

    # 4. settings variants against the reference one (fast-mode rebuilds): the shim's built-in default when it
    # has enough data, else the variant with the most
    fast = replace(f, mode="fast", kind="rebuild")
    _, groups = _aggregate(fast, group_by=("variant",), blobs=("duration",))
    sized = {variant: histogram.total(a.duration) for (variant,), a in groups.items()}
    reference_name = DEFAULT_VARIANT if sized.get(DEFAULT_VARIANT, 0) >= _min_sample() else max(
        sized, key=lambda v: sized[v], default=None)
    reference = groups.get((reference_name,)) if reference_name is not None else None
    status = "insufficient_data"
    if reference is not None and histogram.total(reference.duration) >= _min_sample():
        for (variant,), a in sorted(groups.items()):
            if variant == reference_name or histogram.total(a.duration) < _min_sample():
                continue
            status = "clear" if status != "fired" else status
            change = change_of(reference.duration, a.duration)
            if change.value is None or change.ci_low is None or change.ci_high is None:
                continue
            if change.value <= -VARIANT_CHANGE and change.ci_high < 0:
                status = "fired"
                found.append(Recommendation(
                    rule="better_variant", severity="info",
                    title=f"Variant {variant or 'none'} rebuilds {_pct(-change.value)} faster than "
                          f"{reference_name or 'none'}",
                    detail="Consider making it the default fast-mode settings.",
                    evidence={"variant": variant, "reference": reference_name, "p50_change": change.value,
                              "ci_low": change.ci_low, "ci_high": change.ci_high, "n": histogram.total(a.duration),
                              "n_reference": histogram.total(reference.duration)},
                ))
            elif change.value >= VARIANT_CHANGE and change.ci_low > 0:
                status = "fired"
                found.append(Recommendation(
                    rule="worse_variant", severity="warning",
                    title=f"Variant {variant or 'none'} rebuilds {_pct(change.value)} slower than "
                          f"{reference_name or 'none'}",
                    detail="Consider dropping it from the experiment.",
                    evidence={"variant": variant, "reference": reference_name, "p50_change": change.value,
                              "ci_low": change.ci_low, "ci_high": change.ci_high, "n": histogram.total(a.duration),
                              "n_reference": histogram.total(reference.duration)},
                ))
    check("variants", status)

    # 5. hot-reload reliability in fast mode
    reload_report = hot_reload(replace(f, mode="fast"))
    rate = reload_report.groups[0].success_rate
    if rate.insufficient_data:
        check("hot_reload_target", "insufficient_data")
    elif rate.ci_high is not None and rate.ci_high < HOT_RELOAD_TARGET:
        check("hot_reload_target", "fired")
        found.append(Recommendation(
            rule="hot_reload_target", severity="warning",
            title=f"Hot reload succeeds {_pct(rate.rate)} in fast mode, below the {_pct(HOT_RELOAD_TARGET)} target",
            detail="Even the interval's upper end is below target: hold the phase and look at failing reloads.",
            evidence={"success_rate": rate.rate, "ci_low": rate.ci_low, "ci_high": rate.ci_high, "n": rate.n},
        ))
    else:
        check("hot_reload_target", "clear")

    # 6. fast mode failing more than normal mode
    failure_report = failures(replace(f, mode=None))
    by_key = {(g.kind, g.mode): g for g in failure_report.groups}
    status = "insufficient_data"
    for kind in TIMED_KINDS:
        fast_group, normal_group = by_key.get((kind, "fast")), by_key.get((kind, "normal"))
        if fast_group is None or normal_group is None:
            continue
        fr, nr = fast_group.failure_rate, normal_group.failure_rate
        if fr.insufficient_data or nr.insufficient_data:
            continue
        status = "clear" if status != "fired" else status
        if fr.ci_low is not None and nr.ci_high is not None and fr.ci_low > nr.ci_high:
            status = "fired"
            found.append(Recommendation(
                rule="fast_mode_failures", severity="warning",
                title=f"Fast-mode {kind}s fail more often ({_pct(fr.rate)} vs {_pct(nr.rate)})",
                detail="The intervals do not overlap: look for settings that break builds before promoting.",
                evidence={"kind": kind, "fast": fr.rate, "normal": nr.rate, "n_fast": fr.n, "n_normal": nr.n},
            ))
    check("fast_mode_failures", status)

    # 7. improvement below the plan's target
    improvement_report = improvement(replace(f, kind="rebuild"))
    change = improvement_report.p50_improvement
    if change.insufficient_data or change.ci_high is None:
        check("improvement_target", "insufficient_data")
    elif change.ci_high < IMPROVEMENT_TARGET:
        check("improvement_target", "fired")
        found.append(Recommendation(
            rule="improvement_target", severity="warning",
            title=f"Fast mode rebuilds are {_pct(change.value)} faster at p50, below the "
                  f"{_pct(IMPROVEMENT_TARGET)} target",
            detail="Even the interval's upper end is below target.",
            evidence={"p50_improvement": change.value, "ci_low": change.ci_low, "ci_high": change.ci_high,
                      "n_fast": improvement_report.fast.n, "n_normal": improvement_report.normal.n},
        ))
    else:
        check("improvement_target", "clear")

    # 8. regressions after a new tool version
    regression_report = regressions(replace(f, kind="rebuild"))
    compared = any(c.steps for c in regression_report.components)
    for step in regression_report.regressions:
        found.append(Recommendation(
            rule="version_regression", severity="warning",
            title=f"{step.component} {step.to_version} is slower or fails more than {step.from_version} "
                  f"({step.mode})",
            detail="Compare the two versions' changelogs; pin or report upstream.",
            evidence={"component": step.component, "from": step.from_version, "to": step.to_version,
                      "mode": step.mode, "p50_change": step.p50_change.value,
                      "failure_rate_from": step.failure_rate_from.rate,
                      "failure_rate_to": step.failure_rate_to.rate},
        ))
    check("version_regression", "fired" if regression_report.regressions else "clear" if compared
          else "insufficient_data")
    return Recommendations(**_report(f, source), recommendations=found, checks=checks)


def grouping_dimensions() -> dict[str, tuple[str, ...]]:
    """The rollup groupings and their dimensions (for docs and the dashboard)."""
    return dict(GROUPINGS)
