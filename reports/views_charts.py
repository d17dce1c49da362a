"""Charts for the dashboard and the status page: one description feeds both the chart and its table.

A chart is drawn by static/pitwall/charts.js from a JSON spec embedded with `json_script`; the same numbers are
rendered server-side as a <table>, which is what a reader without JavaScript (or a screen reader) gets. Series
differ by dash pattern and point style (and, in bar charts, by fill pattern), never by colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from feedback import selectors as feedback_selectors
from feedback.selectors import FeedbackFilters
from telemetry import selectors as telemetry

Unit = Literal["s", "%", ""]


def seconds(ms: float | None) -> str:
    if ms is None:
        return "insufficient data"
    return f"{ms / 1000:.1f} s" if ms >= 1000 else f"{ms:.0f} ms"


def percent(rate: float | None, digits: int = 0) -> str:
    return "insufficient data" if rate is None else f"{rate * 100:.{digits}f} %"


def interval(low: float | None, high: float | None) -> str:
    return "" if low is None or high is None else f"{percent(low)} to {percent(high)}"


def signed(value: float | None) -> str:
    return "no data" if value is None else f"{value:+.2f}"


@dataclass(frozen=True)
class Series:
    label: str
    # What the chart plots (None: a gap, e.g. too few events), in the chart's unit.
    values: list[float | None]
    # What the table shows for each label: the value with its n, or "insufficient data (n 12)".
    cells: list[str]


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    # The canvas' aria-label: what the chart shows, in a sentence; the table beside it has the numbers.
    description: str
    x_title: str
    y_title: str
    labels: list[str]
    series: list[Series] = field(default_factory=list)
    kind: Literal["line", "bar"] = "line"
    unit: Unit = ""
    y_min: float | None = None
    y_max: float | None = None
    note: str = ""

    @property
    def data_id(self) -> str:
        return f"chart-{self.key}-data"

    @property
    def has_data(self) -> bool:
        return any(value is not None for s in self.series for value in s.values)

    @property
    def spec(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "labels": self.labels,
            "series": [{"label": s.label, "values": s.values} for s in self.series],
            "x_title": self.x_title,
            "y_title": self.y_title,
            "unit": self.unit,
            "y_min": self.y_min,
            "y_max": self.y_max,
        }

    def from_first_active(self, active: list[bool]) -> Chart:
        """The chart from the first period with any events: a young rollout's empty weeks say nothing."""
        first = next((index for index, flag in enumerate(active) if flag), None)
        if not first:
            return self
        return replace(
            self,
            labels=self.labels[first:],
            series=[Series(s.label, s.values[first:], s.cells[first:]) for s in self.series],
        )

    @property
    def rows(self) -> list[tuple[str, list[str]]]:
        return [(label, [s.cells[i] for s in self.series]) for i, label in enumerate(self.labels)]


def with_n(text: str, n: int) -> str:
    return f"{text} (n {n})"


# --- charts from the selectors' answers ---------------------------------------------------------------------


def _timing_cell(timing: telemetry.Timing, value_ms: float | None) -> str:
    if timing.insufficient_data:
        return with_n("insufficient data", timing.n)
    return with_n(seconds(value_ms), timing.n)


def _rate_cell(rate: telemetry.Rate) -> str:
    if rate.insufficient_data:
        return with_n("insufficient data", rate.n)
    return f"{percent(rate.rate)} (95 % CI {interval(rate.ci_low, rate.ci_high)}, n {rate.n})"


def _to_seconds(ms: float | None) -> float | None:
    return None if ms is None else round(ms / 1000, 2)


def week_starts(start: date, end: date) -> list[date]:
    first = start - timedelta(days=start.weekday())
    return [first + timedelta(weeks=i) for i in range((end - first).days // 7 + 1)]


def trend_chart(f: telemetry.MetricsFilter, *, period: Literal["day", "week"], key: str, title: str) -> Chart:
    """p50 of successful builds (the filter's kind, default rebuild) per day or week, one series per mode."""
    trend = telemetry.trend(f, period=period)
    labels = sorted({point.period_start for point in trend.points})
    by_key = {(point.period_start, point.mode): point for point in trend.points}
    modes = sorted({point.mode for point in trend.points})
    series = []
    for mode in modes:
        points = [by_key.get((day, mode)) for day in labels]
        series.append(
            Series(
                label=f"{mode} mode",
                values=[_to_seconds(p.timing.p50_ms) if p else None for p in points],
                cells=[_timing_cell(p.timing, p.timing.p50_ms) if p else "no data" for p in points],
            )
        )
    scope = ", ".join(f"{k} {v}" for k, v in f.as_dict().items() if k not in ("feature", "kind"))
    active = [
        any((p := by_key.get((day, mode))) is not None and p.events > 0 for mode in modes) for day in labels
    ]
    return Chart(
        key=key,
        title=title,
        description=f"Line chart: {trend.kind} p50 in seconds per {period}, fast mode against normal mode"
        f"{', ' + scope if scope else ''}. The table below has the same numbers.",
        x_title="Week starting" if period == "week" else "Day",
        y_title="p50 (seconds)",
        labels=[day.isoformat() for day in labels],
        series=series,
        unit="s",
        note=f"Successful {trend.kind}s only; fewer than {trend.min_sample} events in a {period} show as a gap.",
    ).from_first_active(active)


def hot_reload_weekly_chart(*, feature: str, start: date, end: date, key: str = "hot-reload") -> Chart:
    """Hot-reload success rate per week and mode (one hot_reload question per week, answered from rollups)."""
    weeks = week_starts(start, end)
    answers = [
        {
            g.mode: g
            for g in telemetry.hot_reload(
                telemetry.MetricsFilter(
                    start=max(week, start), end=min(week + timedelta(days=6), end), feature=feature
                )
            ).groups
        }
        for week in weeks
    ]
    series = [
        Series(
            label=f"{mode} mode",
            values=[answer[mode].success_rate.rate for answer in answers],
            cells=[_rate_cell(answer[mode].success_rate) for answer in answers],
        )
        for mode in ("fast", "normal")
    ]
    return Chart(
        key=key,
        title="Hot-reload success per week",
        description="Line chart: share of hot reloads that succeeded per week, fast mode against normal mode "
        "(target 90 %). The table below has the same numbers with 95 % intervals.",
        x_title="Week starting",
        y_title="success rate",
        labels=[week.isoformat() for week in weeks],
        series=series,
        unit="%",
        y_min=0,
        y_max=1,
        note="Successes / (successes + failures); interrupted reloads count as neither.",
    ).from_first_active([any(answer[mode].events for mode in answer) for answer in answers])


def sentiment_weekly_chart(*, start: date, end: date, key: str = "sentiment") -> Chart:
    """Net sentiment ((positive - negative) / n) per week: all feedback, and feedback on performance."""
    since = datetime.combine(start, time.min, tzinfo=UTC)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
    weeks = week_starts(start, end)

    def weekly(filters: FeedbackFilters) -> dict[date, list[int]]:
        totals: dict[date, list[int]] = {}
        for row in feedback_selectors.feedback_sentiment_over_time(filters=filters, bucket="week"):
            counts = totals.setdefault(row["bucket_start"], [0, 0, 0])
            counts[0] += row["positive"]
            counts[1] += row["negative"]
            counts[2] += row["n"]
        return totals

    def as_series(label: str, totals: dict[date, list[int]]) -> Series:
        values: list[float | None] = []
        cells = []
        for week in weeks:
            positive, negative, n = totals.get(week, [0, 0, 0])
            net = round((positive - negative) / n, 3) if n else None
            values.append(net)
            cells.append(with_n(signed(net), n))
        return Series(label=label, values=values, cells=cells)

    all_totals = weekly(FeedbackFilters(since=since, until=until))
    everything = as_series("all feedback", all_totals)
    performance = as_series(
        "about performance",
        weekly(FeedbackFilters(since=since, until=until, topics=feedback_selectors.PERFORMANCE_TOPICS)),
    )
    return Chart(
        key=key,
        title="Developer sentiment per week",
        description="Line chart: net sentiment per week from -1 (all negative) to +1 (all positive), for all "
        "feedback and for feedback about performance. The table below has the same numbers.",
        x_title="Week starting",
        y_title="net sentiment",
        labels=[week.isoformat() for week in weeks],
        series=[everything, performance],
        y_min=-1,
        y_max=1,
        note="(positive - negative) / scored items; unscored items are left out.",
    ).from_first_active([all_totals.get(week, [0, 0, 0])[2] > 0 for week in weeks])


def percentile_chart(build_times: telemetry.BuildTimes, *, key: str = "percentiles") -> Chart:
    labels = ["p50", "p90", "p95"]
    series = []
    for group in build_times.groups:
        timing = group.timing
        values = [timing.p50_ms, timing.p90_ms, timing.p95_ms]
        series.append(
            Series(
                label=f"{group.kind} · {group.mode} (n {timing.n})",
                values=[_to_seconds(v) for v in values],
                cells=[_timing_cell(timing, v) for v in values],
            )
        )
    return Chart(
        key=key,
        title="Build and rebuild time percentiles",
        description="Line chart: p50, p90 and p95 of successful build and rebuild times in seconds, one line "
        "per kind and mode. The table below has the same numbers.",
        x_title="percentile",
        y_title="seconds",
        labels=labels,
        series=series,
        unit="s",
        note=f"Groups with fewer than {build_times.min_sample} events show as insufficient data.",
    )


def phase_chart(breakdown: telemetry.PhaseBreakdown, *, key: str = "phases") -> Chart:
    names = list(breakdown.groups[0].share) if breakdown.groups else []
    series = []
    for group in breakdown.groups:
        series.append(
            Series(
                label=f"{group.mode} mode (n {group.n})",
                values=[group.share[name] for name in names],
                cells=[
                    with_n("insufficient data", group.n)
                    if group.insufficient_data
                    else f"{percent(group.share[name])} (mean {seconds(group.mean_ms[name])})"
                    for name in names
                ],
            )
        )
    return Chart(
        key=key,
        title="Where build time goes",
        kind="bar",
        description="Bar chart: share of build time per phase (server, front, wasm-bindgen, wasm-opt, style, "
        "other), fast mode in solid bars, normal mode hatched. The table below has the numbers.",
        x_title="phase",
        y_title="share of build time",
        labels=[name.replace("_", "-") for name in names],
        series=series,
        unit="%",
        y_min=0,
    )


def headline_figures(
    improvement: telemetry.Improvement, hot: dict[str, telemetry.HotReloadGroup]
) -> dict[str, Any]:
    """The rollout's headline numbers as display text, each with its n (shared by the overview and /status/)."""
    change = improvement.p50_improvement

    def hot_rate(mode: str) -> telemetry.Rate | None:
        group = hot.get(mode)
        return group.success_rate if group else None

    fast_rate, normal_rate = hot_rate("fast"), hot_rate("normal")
    if change.insufficient_data or change.value is None:
        faster = "insufficient data"
    elif change.value >= 0:
        faster = f"{percent(change.value)} faster"
    else:
        faster = f"{percent(-change.value)} slower"
    return {
        "fast_p50": seconds(improvement.fast.p50_ms),
        "fast_n": improvement.fast.n,
        "normal_p50": seconds(improvement.normal.p50_ms),
        "normal_n": improvement.normal.n,
        "faster": faster,
        "faster_ci": interval(change.ci_low, change.ci_high),
        "hot_fast": percent(fast_rate.rate) if fast_rate else "insufficient data",
        "hot_fast_ci": interval(fast_rate.ci_low, fast_rate.ci_high) if fast_rate else "",
        "hot_fast_n": fast_rate.n if fast_rate else 0,
        "hot_normal": percent(normal_rate.rate) if normal_rate else "insufficient data",
        "hot_normal_ci": interval(normal_rate.ci_low, normal_rate.ci_high) if normal_rate else "",
        "hot_normal_n": normal_rate.n if normal_rate else 0,
    }
