"""What gates and reports are made of, gathered from the telemetry and feedback selectors (reads only)."""

from dataclasses import asdict, replace
from datetime import date, datetime
from typing import Any

from django.db.models import Count
from django.utils import timezone

from feedback import selectors as feedback_selectors
from feedback.selectors import FeedbackFilters
from reports.gates import Figure, GateInputs
from rollout import selectors as rollout_selectors
from rollout.models import Enrollment, Feature, Installation, Phase
from telemetry import selectors as telemetry
from telemetry.models import BuildEvent
from telemetry.selectors import MetricsFilter


def phase_started_at(feature: Feature, phase: Phase) -> datetime:
    transition = rollout_selectors.feature_transitions(feature).filter(to_phase=phase).first()
    return transition.created_at if transition else feature.created_at


def _window(feature: Feature, start: datetime, end: datetime | None = None) -> MetricsFilter:
    end_day: date = (end or timezone.now()).date()
    return MetricsFilter(start=start.date(), end=end_day, feature=feature.key)


def _installations_reporting(feature: Feature, start: datetime, end: datetime | None = None) -> int:
    events = BuildEvent.objects.filter(feature=feature.key, received_at__gte=start)
    if end is not None:
        events = events.filter(received_at__lte=end)
    return events.values("installation_id").distinct().count()


def gate_inputs(*, feature: Feature, phase: Phase) -> GateInputs:
    """The gate's figures over the phase so far (from its last transition), on the gate's size bucket."""
    thresholds = phase.gate_thresholds
    started = phase_started_at(feature, phase)
    scope = _window(feature, started)
    sized = replace(scope, size_bucket=thresholds.get("size_bucket") or None)

    fast_rebuilds = telemetry.build_times(replace(sized, mode="fast", kind="rebuild")).groups[0].timing
    improvement = telemetry.improvement(replace(sized, kind="rebuild"))
    change = improvement.p50_improvement
    hot = next(g for g in telemetry.hot_reload(replace(scope, mode="fast")).groups if g.mode == "fast")
    failure_groups = {g.mode: g for g in telemetry.failures(replace(scope, kind="rebuild")).groups}
    builds = sum(g.events for g in telemetry.failures(replace(scope, kind="build")).groups) + sum(
        g.events for g in failure_groups.values()
    )
    sentiment = feedback_selectors.feedback_net_sentiment(filters=FeedbackFilters(since=started))

    def rate_figure(rate: telemetry.Rate) -> Figure:
        return Figure(rate.rate, rate.n, rate.ci_low, rate.ci_high)

    return GateInputs(
        rebuild_p50_fast_ms=Figure(fast_rebuilds.p50_ms, fast_rebuilds.n),
        improvement=Figure(
            change.value, min(improvement.fast.n, improvement.normal.n), change.ci_low, change.ci_high
        ),
        hot_reload_success=rate_figure(hot.success_rate),
        failure_rate_fast=rate_figure(failure_groups["fast"].failure_rate),
        failure_rate_normal=rate_figure(failure_groups["normal"].failure_rate),
        net_sentiment=Figure(sentiment["net"], sentiment["n"]),
        builds=builds,
        installations=_installations_reporting(feature, started),
        feedback_items=sentiment["n"],
    )


def participation() -> dict[str, Any]:
    rings = dict(
        Enrollment.objects.filter(left_at__isnull=True).values_list("ring").annotate(n=Count("id")).order_by()
    )
    return {
        "enrolled": {"beta": rings.get("beta", 0), "preview": rings.get("preview", 0)},
        "installations": Installation.objects.count(),
        "consenting_installations": Installation.objects.filter(telemetry_consent=True).count(),
    }


def _jsonable(value: Any) -> Any:
    """Dataclasses, dates and tuples into JSON-safe values (reports are stored as JSON)."""
    if hasattr(value, "__dataclass_fields__"):
        return _jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def report_data(*, feature: Feature, window_start: datetime, window_end: datetime) -> dict[str, Any]:
    scope = _window(feature, window_start, window_end)
    phase = feature.current_phase
    medium = replace(scope, size_bucket="medium")
    since = FeedbackFilters(since=window_start, until=window_end)
    data: dict[str, Any] = {
        "feature": feature.key,
        "enabled": feature.enabled,
        "phase": {"key": phase.key, "name": phase.name} if phase else None,
        "targets": phase.gate_thresholds if phase else {},
        "window": {"start": window_start.isoformat(), "end": window_end.isoformat()},
        "generated_at": timezone.now().isoformat(),
        "build_times": telemetry.build_times(medium),
        "improvement": telemetry.improvement(replace(medium, kind="rebuild")),
        "hot_reload": telemetry.hot_reload(scope),
        "failures": telemetry.failures(scope),
        "trend": telemetry.trend(replace(scope, kind="rebuild"), period="day"),
        "phases": telemetry.phase_breakdown(scope),
        "recommendations": telemetry.recommendations(scope),
        "sentiment": {
            "net": feedback_selectors.feedback_net_sentiment(filters=since),
            "over_time": feedback_selectors.feedback_sentiment_over_time(filters=since, bucket="week"),
        },
        "pain_points": feedback_selectors.feedback_pain_points(filters=since),
        "participation": {
            **participation(),
            "reporting_installations": _installations_reporting(feature, window_start, window_end),
        },
    }
    return dict(_jsonable(data))
