"""Public pages, no account needed and no personal data shown: beta enrollment and the rollout status.

/join/ enrolls through the same services as the enrollment API (rollout.api.EnrollmentCreateApi) and the Discord
command: participant_upsert, then enrollment_create, which issues the code. It is CSRF-protected and rate limited
per client address with the feedback form's helpers, at the enrollment API's rate (THROTTLE_ENROLLMENT_CREATE).

/status/ shows aggregates only (phase, kill switch, fast vs normal timings with n, hot-reload reliability, how many
people enrolled); its figures are computed at most once a minute, since anyone can ask for them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from feedback.ratelimit import client_address, rate_limit_hit
from pitwall.errors import ApplicationError
from reports import forms, inputs, simulation
from reports.views_charts import headline_figures, trend_chart
from rollout import selectors as rollout_selectors
from rollout import services as rollout_services
from rollout.models import EnrollmentSource
from telemetry import selectors as telemetry

STATUS_CACHE_KEY = "reports:public-status:v1"
STATUS_CACHE_SECONDS = 60
STATUS_WEEKS = 8
DEFAULT_SHIM_INSTALL = "pipx install ./shim   # from a checkout of the Pitwall repository"


def _shim_install_command() -> str:
    return str(getattr(settings, "PITWALL_SHIM_INSTALL_COMMAND", "") or DEFAULT_SHIM_INSTALL)


def _join_rate() -> str:
    return str(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["enrollment_create"])


def _join_page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    context = {
        "nav": "join",
        "consent_version": settings.PITWALL_CONSENT_VERSION,
        "code_ttl_hours": settings.PITWALL_ENROLLMENT_CODE_TTL_HOURS,
        "shim_install": _shim_install_command(),
        **context,
    }
    response = render(request, "reports/public/join.html", context, status=status)
    # The answer to a POST holds a single-use code: never keep it in a shared or back/forward cache.
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _join_page(request, {"form": forms.JoinForm()})
    allowed, retry_after = rate_limit_hit(scope="join", ident=client_address(request), rate=_join_rate())
    form = forms.JoinForm(request.POST)
    if not allowed:
        response = _join_page(request, {"form": form, "rate_limited": True}, status=429)
        response["Retry-After"] = str(retry_after)
        return response
    if not form.is_valid():
        return _join_page(request, {"form": form}, status=400)
    try:
        participant = rollout_services.participant_upsert(handle=form.cleaned_data["handle"])
        enrollment, code = rollout_services.enrollment_create(
            participant=participant,
            ring=form.cleaned_data["ring"],
            source=EnrollmentSource.WEB,
            consent_text_version=settings.PITWALL_CONSENT_VERSION,
            actor="web",
        )
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return _join_page(request, {"form": form}, status=exc.status_code)
    assert code is not None
    shown = code.display
    return _join_page(
        request,
        {
            "enrolled": True,
            "ring": enrollment.get_ring_display(),
            "code": shown,
            "expires_at": code.expires_at,
            "shim_command": f"leptos-fast enroll {shown}",
        },
    )


def _status_figures() -> dict[str, Any]:
    """Aggregates only: nothing here names or quotes anyone."""
    feature = rollout_selectors.feature_by_key(rollout_selectors.FAST_MODE_KEY)
    days = int(settings.TELEMETRY_DEFAULT_WINDOW_DAYS)
    window = telemetry.MetricsFilter.last_days(days, feature=feature.key if feature else "")
    medium_rebuilds = replace(window, size_bucket="medium", kind="rebuild")
    improvement = telemetry.improvement(medium_rebuilds)
    hot = {group.mode: group for group in telemetry.hot_reload(window).groups}
    trend_window = telemetry.MetricsFilter.last_days(STATUS_WEEKS * 7, feature=window.feature)
    participation = inputs.participation()
    return {
        "has_feature": feature is not None,
        "phase": feature.current_phase.name if feature and feature.current_phase else "",
        "phase_key": feature.current_phase.key if feature and feature.current_phase else "",
        "phase_description": feature.current_phase.description if feature and feature.current_phase else "",
        "enabled": bool(feature and feature.enabled),
        "days": days,
        "headline": headline_figures(improvement, hot),
        "enrolled": participation["enrolled"],
        "consenting_installations": participation["consenting_installations"],
        "chart": trend_chart(
            replace(trend_window, size_bucket="medium", kind="rebuild"),
            period="week",
            key="status-rebuilds",
            title="Rebuild p50 per week, medium projects",
        ),
        "simulated": simulation.simulated_data_exists(),
    }


@require_GET
def status(request: HttpRequest) -> HttpResponse:
    figures = cache.get(STATUS_CACHE_KEY)
    if figures is None:
        figures = _status_figures()
        cache.set(STATUS_CACHE_KEY, figures, STATUS_CACHE_SECONDS)
    return render(request, "reports/public/status.html", {"nav": "status", **figures})
