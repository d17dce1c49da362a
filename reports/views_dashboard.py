"""The maintainers' dashboard (staff only): overview, telemetry explorer, feedback inbox, flags and cohorts,
reports, audit log.

Views parse (reports.forms), call selectors and services, and render. Every write is a POST with CSRF through a
service, which writes the audit log; a refusal (ApplicationError) is shown to the maintainer as it is.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any, Literal

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from feedback import selectors as feedback_selectors
from feedback import services as feedback_services
from feedback.models import Topic
from feedback.selectors import FeedbackFilters
from pitwall.errors import ApplicationError
from reports import forms, inputs, selectors, services, simulation
from reports import render as report_render
from reports.gates import evaluate_gate
from reports.models import AutoRolloutPolicy, ReportTrigger, RolloutReport
from reports.views_charts import (
    Chart,
    headline_figures,
    hot_reload_weekly_chart,
    interval,
    percent,
    percentile_chart,
    phase_chart,
    sentiment_weekly_chart,
    signed,
    trend_chart,
)
from rollout import selectors as rollout_selectors
from rollout import services as rollout_services
from rollout.models import Enrollment, Feature, Installation, Phase
from telemetry import selectors as telemetry

PAGE_SIZE = 50
OVERVIEW_WEEKS = 8


def _page(
    request: HttpRequest, template: str, nav: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(
        request,
        template,
        {"nav": nav, "simulated": simulation.simulated_data_exists(), **context},
        status=status,
    )


def _paginate(request: HttpRequest, items: Any) -> Page[Any]:
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _feature(key: str) -> Feature:
    return get_object_or_404(Feature.objects.select_related("current_phase"), key=key)


def _gate_preview(feature: Feature) -> dict[str, Any] | None:
    """The current phase's gate on the data so far, without recording an evaluation (a GET must not write)."""
    phase = feature.current_phase
    if phase is None:
        return None
    result = evaluate_gate(inputs.gate_inputs(feature=feature, phase=phase), phase.gate_thresholds)
    return _gate_display(result.to_dict())


def _gate_display(gate: dict[str, Any]) -> dict[str, Any]:
    return {
        **gate,
        "recommendation_text": report_render.RECOMMENDATION_TEXT.get(
            gate["recommendation"], gate["recommendation"]
        ),
        "criteria": [
            {**criterion, "mark": report_render.STATUS_MARK.get(criterion["status"], criterion["status"])}
            for criterion in gate.get("criteria", [])
        ],
    }


def _change_text(change: telemetry.Change) -> str:
    if change.insufficient_data or change.value is None:
        return "insufficient data"
    direction = "faster" if change.value >= 0 else "slower"
    ci = interval(change.ci_low, change.ci_high)
    return f"{percent(abs(change.value))} {direction}" + (f" (95 % CI {ci})" if ci else "")


def _since(day: Any) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


# --- overview -----------------------------------------------------------------------------------------------


@staff_member_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    feature = rollout_selectors.feature_by_key(rollout_selectors.FAST_MODE_KEY)
    if feature is None:
        return _page(request, "reports/dashboard/overview.html", "overview", {"feature": None})
    days = int(settings.TELEMETRY_DEFAULT_WINDOW_DAYS)
    window = telemetry.MetricsFilter.last_days(days, feature=feature.key)
    medium_rebuilds = replace(window, size_bucket="medium", kind="rebuild")
    improvement = telemetry.improvement(medium_rebuilds)
    hot = {group.mode: group for group in telemetry.hot_reload(window).groups}
    sentiment = feedback_selectors.feedback_net_sentiment(
        filters=FeedbackFilters(since=_since(window.start), topics=feedback_selectors.PERFORMANCE_TOPICS)
    )
    trend_window = telemetry.MetricsFilter.last_days(OVERVIEW_WEEKS * 7, feature=feature.key)
    charts: list[Chart] = [
        trend_chart(
            replace(trend_window, size_bucket="medium", kind="rebuild"),
            period="week",
            key="rebuild-trend",
            title="Rebuild p50 per week, medium projects",
        ),
        hot_reload_weekly_chart(feature=feature.key, start=trend_window.start, end=trend_window.end),
        sentiment_weekly_chart(start=trend_window.start, end=trend_window.end),
    ]
    return _page(
        request,
        "reports/dashboard/overview.html",
        "overview",
        {
            "feature": feature,
            "next_phase": rollout_selectors.feature_next_phase(feature),
            "gate": _gate_preview(feature),
            "phase_started": inputs.phase_started_at(feature, feature.current_phase)
            if feature.current_phase
            else None,
            "last_evaluation": selectors.latest_gate_evaluation(feature=feature),
            "latest_report": selectors.latest_report(feature=feature),
            "days": days,
            "headline": headline_figures(improvement, hot),
            "sentiment": sentiment,
            "sentiment_net": signed(sentiment["net"]),
            "participation": inputs.participation(),
            "charts": charts,
        },
    )


# --- telemetry explorer -------------------------------------------------------------------------------------


@staff_member_required
@require_GET
def telemetry_explorer(request: HttpRequest) -> HttpResponse:
    form = forms.TelemetryFilterForm(forms.TelemetryFilterForm.with_defaults(request.GET))
    if not form.is_valid():
        return _page(request, "reports/dashboard/telemetry.html", "telemetry", {"form": form}, status=400)
    metrics_filter = form.metrics_filter()
    build_times = telemetry.build_times(metrics_filter)
    breakdown = telemetry.phase_breakdown(metrics_filter)
    improvement = telemetry.improvement(replace(metrics_filter, kind="rebuild"))
    period: Literal["day", "week"] = "week" if form.trend_period == "week" else "day"
    return _page(
        request,
        "reports/dashboard/telemetry.html",
        "telemetry",
        {
            "form": form,
            "filter": metrics_filter,
            "build_times": build_times,
            "improvement": improvement,
            "improvement_text": {
                "p50": _change_text(improvement.p50_improvement),
                "p90": _change_text(improvement.p90_improvement),
            },
            "hot_reload": telemetry.hot_reload(metrics_filter),
            "failures": telemetry.failures(metrics_filter),
            "breakdown": breakdown,
            "regressions": telemetry.regressions(metrics_filter),
            "recommendations": telemetry.recommendations(metrics_filter),
            "charts": [
                percentile_chart(build_times),
                trend_chart(
                    replace(metrics_filter, kind=form.trend_kind),
                    period=period,
                    key="trend",
                    title=f"{form.trend_kind.capitalize()} p50 per {period}",
                ),
                phase_chart(breakdown),
            ],
        },
    )


# --- feedback inbox -----------------------------------------------------------------------------------------


@staff_member_required
@require_GET
def feedback_inbox(request: HttpRequest) -> HttpResponse:
    form = forms.FeedbackFilterForm(request.GET or {})
    if not form.is_valid():
        return _page(request, "reports/dashboard/feedback.html", "feedback", {"form": form}, status=400)
    filters = form.feedback_filters()
    items = _paginate(request, feedback_selectors.feedback_item_list(filters=filters))
    for item in items:
        item.topics = [_topic_label(topic) for topic in feedback_selectors.item_topics(item)]
        item.triage_form = forms.TriageForm(
            initial={
                "triage_state": item.triage_state,
                "maintainer_note": item.maintainer_note,
                "next": request.get_full_path(),
            },
            auto_id=f"id_item{item.pk}_%s",
        )
    end = timezone.now().date()
    start = filters.since.date() if filters.since else end - timedelta(weeks=OVERVIEW_WEEKS)
    chart_end = (filters.until.date() - timedelta(days=1)) if filters.until else end
    return _page(
        request,
        "reports/dashboard/feedback.html",
        "feedback",
        {
            "form": form,
            "page": items,
            "query": _query_without_page(request),
            "net": feedback_selectors.feedback_net_sentiment(filters=filters),
            "pain_points": [
                {**point, "topic_label": _topic_label(point["topic"])}
                for point in feedback_selectors.feedback_pain_points(filters=filters)
            ],
            "charts": [sentiment_weekly_chart(start=start, end=max(start, chart_end))],
        },
    )


def _topic_label(topic: str) -> str:
    return str(Topic(topic).label) if topic in Topic.values else topic


def _safe_next(request: HttpRequest, target: str, default: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@staff_member_required
@require_POST
def feedback_triage(request: HttpRequest, item_id: int) -> HttpResponse:
    item = feedback_selectors.feedback_item_get(item_id=item_id)
    if item is None:
        raise Http404("No such feedback item.")
    form = forms.TriageForm(request.POST)
    back = _safe_next(request, request.POST.get("next", ""), reverse("dashboard-feedback"))
    if not form.is_valid():
        messages.error(request, f"Feedback #{item_id} was not changed: {form.errors.as_text()}")
        return HttpResponseRedirect(back)
    try:
        feedback_services.feedback_item_triage(
            item=item,
            actor=request.user,
            triage_state=form.cleaned_data["triage_state"],
            maintainer_note=form.cleaned_data["maintainer_note"],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Feedback #{item_id} is {form.cleaned_data['triage_state']}.")
    return HttpResponseRedirect(f"{back}#item-{item_id}" if "#" not in back else back)


# --- flags and cohorts --------------------------------------------------------------------------------------


def _cohorts() -> dict[str, Any]:
    enrolled = {
        row["ring"]: row["n"]
        for row in Enrollment.objects.filter(left_at__isnull=True)
        .values("ring")
        .annotate(n=Count("id"))
        .order_by()
    }
    rings = []
    for row in (
        Installation.objects.values("ring")
        .annotate(n=Count("id"), consenting=Count("id", filter=Q(telemetry_consent=True)))
        .order_by("ring")
    ):
        rings.append({**row, "enrolled": enrolled.get(row["ring"], 0)})
    seen = {row["ring"] for row in rings}
    rings += [
        {"ring": ring, "n": 0, "consenting": 0, "enrolled": n}
        for ring, n in enrolled.items()
        if ring not in seen
    ]
    oses = list(Installation.objects.values("os").annotate(n=Count("id")).order_by("-n", "os"))
    return {"rings": rings, "oses": oses, "installations": sum(row["n"] for row in rings)}


@staff_member_required
@require_GET
def flags(request: HttpRequest) -> HttpResponse:
    features = list(
        Feature.objects.select_related("current_phase").prefetch_related("phases").order_by("key")
    )
    return _page(
        request, "reports/dashboard/flags.html", "flags", {"features": features, "cohorts": _cohorts()}
    )


def _variants(feature: Feature) -> list[dict[str, Any]]:
    total = sum(int(variant.get("weight", 0)) for variant in feature.variants) or 1
    rows = []
    for variant in feature.variants:
        payload = variant.get("payload") or {}
        value = payload.get("value", "")
        if payload.get("type") == "json":
            with contextlib.suppress(ValueError):
                value = json.dumps(json.loads(value), indent=2, sort_keys=True)
        rows.append(
            {
                "name": variant.get("name", ""),
                "share": int(variant.get("weight", 0)) / total,
                "stickiness": variant.get("stickiness", "default"),
                "payload_type": payload.get("type", ""),
                "payload": value,
            }
        )
    return rows


@staff_member_required
@require_GET
def feature_detail(request: HttpRequest, key: str) -> HttpResponse:
    feature = _feature(key)
    return _page(
        request,
        "reports/dashboard/feature.html",
        "flags",
        {
            "feature": feature,
            "phases": list(rollout_selectors.feature_phases(feature)),
            "next_phase": rollout_selectors.feature_next_phase(feature),
            "variants": _variants(feature),
            "strategies": list(feature.strategies.prefetch_related("segments").order_by("sort_order", "id")),
            "transitions": list(rollout_selectors.feature_transitions(feature)[:10]),
            "policy": AutoRolloutPolicy.objects.filter(feature=feature).first(),
            "cohorts": _cohorts(),
        },
    )


@staff_member_required
@require_http_methods(["GET", "POST"])
def kill_switch(request: HttpRequest, key: str) -> HttpResponse:
    """A confirmation page with a reason, then the kill switch through the rollout service (audited)."""
    feature = _feature(key)
    target_on = not feature.enabled
    form = forms.KillSwitchForm(request.POST or None, initial={"enabled": "on" if target_on else "off"})
    if request.method == "POST" and form.is_valid():
        wanted = bool(form.cleaned_data["enabled"])
        try:
            rollout_services.feature_set_enabled(
                feature=feature, enabled=wanted, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            if wanted == feature.enabled:
                messages.info(
                    request, f"{feature.key} was already {'on' if wanted else 'off'}; nothing changed."
                )
            else:
                messages.success(
                    request,
                    f"{feature.key} is now {'ON' if wanted else 'OFF (kill switch)'} for every installation. "
                    "The change is in the audit log.",
                )
            return redirect("dashboard-feature", key=feature.key)
    return _page(
        request,
        "reports/dashboard/kill_switch.html",
        "flags",
        {"feature": feature, "form": form, "target_on": target_on},
        status=400 if request.method == "POST" else 200,
    )


def _phase_targets(feature: Feature) -> list[tuple[Phase, str]]:
    """Where the feature may go from here: the next phase (a promotion, gated) or back to an earlier one."""
    current = feature.current_phase
    next_phase = rollout_selectors.feature_next_phase(feature)
    targets: list[tuple[Phase, str]] = []
    if next_phase is not None:
        targets.append((next_phase, "promote: the gate decides"))
    if current is not None:
        for phase in (
            rollout_selectors.feature_phases(feature).filter(order__lt=current.order).order_by("-order")
        ):
            targets.append((phase, "roll back"))
    return targets


@staff_member_required
@require_http_methods(["GET", "POST"])
def phase_change(request: HttpRequest, key: str) -> HttpResponse:
    """The gate evaluation first; then a confirmed move with a reason (promotion through the gated service)."""
    feature = _feature(key)
    targets = _phase_targets(feature)
    form = forms.PhaseChangeForm(request.POST or None, phases=targets)
    gate_refusal: dict[str, Any] | None = None
    if request.method == "POST" and form.is_valid():
        target = next(phase for phase, _ in targets if phase.pk == form.cleaned_data["target"])
        next_phase = rollout_selectors.feature_next_phase(feature)
        try:
            if next_phase is not None and target.pk == next_phase.pk:
                services.feature_promote(
                    feature=feature,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    override_gate=form.cleaned_data["override_gate"],
                )
            else:
                rollout_services.feature_move_to_phase(
                    feature=feature,
                    phase=target,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    gate_snapshot={"roll_back": True, "gate_preview": _gate_preview(feature)},
                )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            if exc.code == "gate_not_passed" and "gate" in exc.details:
                gate_refusal = _gate_display(exc.details["gate"])
        else:
            messages.success(
                request, f"{feature.key} moved to {target.name}. The transition is in the audit log."
            )
            return redirect("dashboard-feature", key=feature.key)
    return _page(
        request,
        "reports/dashboard/phase_change.html",
        "flags",
        {
            "feature": feature,
            "form": form,
            "targets": targets,
            "gate": gate_refusal or _gate_preview(feature),
            "gate_is_fresh": gate_refusal is not None,
            "phase_started": inputs.phase_started_at(feature, feature.current_phase)
            if feature.current_phase
            else None,
        },
        status=409 if gate_refusal else 400 if request.method == "POST" else 200,
    )


@staff_member_required
@require_http_methods(["GET", "POST"])
def phase_percentage(request: HttpRequest, key: str, phase_id: int) -> HttpResponse:
    """Set the share of everyone else a phase includes (the preview percentage) through the rollout service."""
    feature = _feature(key)
    phase = get_object_or_404(Phase, pk=phase_id, feature=feature)
    form = forms.PercentageForm(
        request.POST or None, initial={"rollout_percentage": phase.rollout_percentage}
    )
    if request.method == "POST" and form.is_valid():
        try:
            rollout_services.phase_update(
                phase=phase,
                actor=request.user,
                rollout_percentage=form.cleaned_data["rollout_percentage"],
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            live = (
                " It applies now: this is the current phase." if feature.current_phase_id == phase.pk else ""
            )
            messages.success(
                request,
                f"{phase.name} includes {form.cleaned_data['rollout_percentage']} % of everyone else.{live}",
            )
            return redirect("dashboard-feature", key=feature.key)
    return _page(
        request,
        "reports/dashboard/percentage.html",
        "flags",
        {
            "feature": feature,
            "phase": phase,
            "form": form,
            "is_current": feature.current_phase_id == phase.pk,
        },
        status=400 if request.method == "POST" else 200,
    )


# --- reports ------------------------------------------------------------------------------------------------


@staff_member_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    reports = RolloutReport.objects.select_related("feature", "phase").order_by("-created_at", "-id")
    return _page(
        request,
        "reports/dashboard/reports.html",
        "reports",
        {"page": _paginate(request, reports), "form": forms.ReportCreateForm(), "query": ""},
    )


@staff_member_required
@require_POST
def report_create(request: HttpRequest) -> HttpResponse:
    form = forms.ReportCreateForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"No report made: {form.errors.as_text()}")
        return redirect("dashboard-reports")
    try:
        report = services.report_create(
            feature=form.cleaned_data["feature"],
            trigger=ReportTrigger.ON_DEMAND,
            actor=request.user,
            days=form.cleaned_data["days"],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("dashboard-reports")
    messages.success(request, f"Report {report.pk} made.")
    return redirect("dashboard-report", report_id=report.pk)


@staff_member_required
@require_GET
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = get_object_or_404(RolloutReport.objects.select_related("feature", "phase"), pk=report_id)
    return _page(request, "reports/dashboard/report.html", "reports", {"report": report})


@staff_member_required
@require_GET
def report_markdown(request: HttpRequest, report_id: int) -> HttpResponse:
    report = get_object_or_404(RolloutReport, pk=report_id)
    response = HttpResponse(report.markdown, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="rollout-report-{report.pk}.md"'
    return response


# --- audit log ----------------------------------------------------------------------------------------------


@staff_member_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    form = forms.AuditFilterForm(request.GET or {})
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    events = rollout_selectors.audit_events(
        action_prefix=data.get("action", "").strip(), object_type=data.get("object_type", "").strip()
    )
    if data.get("actor", "").strip():
        events = events.filter(actor__icontains=data["actor"].strip())
    return _page(
        request,
        "reports/dashboard/audit.html",
        "audit",
        {"form": form, "page": _paginate(request, events), "query": _query_without_page(request)},
    )
