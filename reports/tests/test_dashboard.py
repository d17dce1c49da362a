"""The staff dashboard through HTTP: every page renders with real (simulated) data, every write goes through its
service with CSRF and lands in the audit log, and refusals are shown to the maintainer."""

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from feedback import services as feedback_services
from feedback.models import FeedbackItem
from reports import simulation
from reports.forms import TelemetryFilterForm
from reports.models import RolloutReport
from reports.views_charts import trend_chart
from rollout import services as rollout_services
from rollout.models import AuditEvent, Feature, Phase, PhaseKey, PhaseTransition
from telemetry.selectors import MetricsFilter

pytestmark = pytest.mark.django_db

# A figure with its sample size, as the chart tables print it: "8.9 s (n 412)" or "88 % (95 % CI ..., n 93)".
FIGURE_WITH_N = re.compile(r"\d+(\.\d+)? (s|ms|%)[^<]*n \d+")


@pytest.fixture
def community(fast_mode: Feature) -> simulation.SimulationResult:
    """A small simulated community, through the same services as the command."""
    return simulation.simulate_rollout(installations=16, weeks=2, events=1500, feedback=12, seed=3)


def _feature(key: str = "fast-mode") -> Feature:
    return Feature.objects.select_related("current_phase").get(key=key)


def _phase_key() -> str:
    phase = _feature().current_phase
    assert phase is not None
    return phase.key


# --- overview -------------------------------------------------------------------------------------------------


def test_overview__simulated_community__figures_charts_tables_and_banner(
    staff_client: Any, community: simulation.SimulationResult
) -> None:
    response = staff_client.get("/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Includes simulated data" in html
    assert "Gate criteria" in html and "INCONCLUSIVE" in html
    for key in ("rebuild-trend", "hot-reload", "sentiment"):
        assert f'data-chart="chart-{key}-data"' in html
        assert f'id="chart-{key}-data"' in html  # the json_script with the chart's numbers
        assert f'data-chart-table="{key}"' in html  # ... and the same numbers as a table
    rebuild_table = html.split('data-chart-table="rebuild-trend"', 1)[1].split("</table>", 1)[0]
    assert FIGURE_WITH_N.search(rebuild_table)
    # Charts load the vendored library, never a CDN; no inline event handlers.
    assert "/static/vendor/chart.js/chart.umd.min.js" in html
    assert "cdn" not in html.lower()
    assert not re.search(r"\son[a-z]+=", html)


def test_overview__no_feature__says_how_to_start(staff_client: Any) -> None:
    response = staff_client.get("/dashboard/")
    assert response.status_code == 200
    assert "manage.py bootstrap" in response.content.decode()
    assert "Includes simulated data" not in response.content.decode()


def test_chart__table__same_numbers_as_the_chart(community: simulation.SimulationResult) -> None:
    chart = trend_chart(
        MetricsFilter.last_days(14, kind="rebuild", size_bucket="medium"), period="week", key="t", title="t"
    )
    assert chart.has_data
    for series in chart.series:
        for value, cell in zip(series.values, series.cells, strict=True):
            if value is None:
                assert "insufficient data" in cell or cell == "no data"
            else:
                assert f"{value:.1f} s" in cell


# --- telemetry explorer ---------------------------------------------------------------------------------------


def test_telemetry_explorer__defaults__every_section(
    staff_client: Any, community: simulation.SimulationResult
) -> None:
    response = staff_client.get("/dashboard/telemetry/")
    assert response.status_code == 200
    html = response.content.decode()
    for heading in ("Build and rebuild times", "Hot reload", "Failures", "Tool versions", "Recommendations"):
        assert heading in html
    for key in ("percentiles", "trend", "phases"):
        assert f'data-chart-table="{key}"' in html
    assert '<option value="30" selected>' in html  # the default window is shown as such


def test_telemetry_filter_form__every_filter__becomes_the_selectors_filter() -> None:
    form = TelemetryFilterForm(
        TelemetryFilterForm.with_defaults(
            {
                "days": "14",
                "ring": "beta",
                "mode": "fast",
                "variant": "(none)",
                "size_bucket": "medium",
                "command": "watch",
                "os": "linux",
                "toolchain": "nightly",
                "cargo_leptos_version": "0.2.24",
                "leptos_version": "0.8.0",
            }
        )
    )
    assert form.is_valid(), form.errors
    metrics_filter = form.metrics_filter()
    assert (metrics_filter.end - metrics_filter.start).days == 13
    assert metrics_filter.ring == "beta" and metrics_filter.mode == "fast" and metrics_filter.variant == ""
    assert metrics_filter.size_bucket == "medium" and metrics_filter.command == "watch"
    assert metrics_filter.os == "linux" and metrics_filter.toolchain == "nightly"
    assert metrics_filter.cargo_leptos_version == "0.2.24" and metrics_filter.leptos_version == "0.8.0"


def test_telemetry_explorer__filters__shown_and_applied(
    staff_client: Any, community: simulation.SimulationResult
) -> None:
    response = staff_client.get("/dashboard/telemetry/?days=14&ring=beta&mode=fast&os=linux&period=week")
    assert response.status_code == 200
    html = response.content.decode()
    assert "ring = beta" in html and "mode = fast" in html and "os = linux" in html


def test_telemetry_explorer__invalid_filter__400_says_why(staff_client: Any, fast_mode: Feature) -> None:
    response = staff_client.get("/dashboard/telemetry/?cargo_leptos_version=latest&days=5")
    assert response.status_code == 400
    html = response.content.decode()
    assert "A version like 0.2.24" in html
    assert "Select a valid choice" in html


def test_telemetry_explorer__no_events__insufficient_data(staff_client: Any, fast_mode: Feature) -> None:
    response = staff_client.get("/dashboard/telemetry/")
    assert response.status_code == 200
    assert "insufficient data" in response.content.decode()


# --- feedback inbox -------------------------------------------------------------------------------------------


def _item(text: str, external_id: str, **extra: Any) -> FeedbackItem:
    return feedback_services.feedback_item_upsert(
        source="web", external_id=external_id, text=text, **extra
    ).item


def test_feedback_inbox__search_and_triage_filter__only_matching_items(
    staff_client: Any, fast_mode: Feature
) -> None:
    wanted = _item("Hot reload drops the websocket every few edits.", "t-1", author_handle="ana")
    _item("Rebuilds are much faster now.", "t-2")
    response = staff_client.get("/dashboard/feedback/?search=websocket&triage_state=new")
    assert response.status_code == 200
    html = response.content.decode()
    assert "drops the websocket" in html and "much faster" not in html
    assert f'id="item-{wanted.pk}"' in html
    assert (
        staff_client.get("/dashboard/feedback/?triage_state=dismissed")
        .content.decode()
        .count('feedback-item"')
        == 0
    )


def test_feedback_inbox__bad_dates__400(staff_client: Any, fast_mode: Feature) -> None:
    response = staff_client.get("/dashboard/feedback/?since=2026-05-02&until=2026-05-01")
    assert response.status_code == 400
    assert "The end is before the start." in response.content.decode()


def test_feedback_triage__post__through_service_audited_and_back_to_the_filters(
    staff_client: Any, fast_mode: Feature
) -> None:
    item = _item("The docs don't explain what --fast changes.", "t-3")
    response = staff_client.post(
        f"/dashboard/feedback/{item.pk}/triage/",
        {
            "triage_state": "actioned",
            "maintainer_note": "Docs PR opened.",
            "next": "/dashboard/feedback/?search=docs",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/dashboard/feedback/?search=docs#item-{item.pk}"
    item.refresh_from_db()
    assert item.triage_state == "actioned" and item.maintainer_note == "Docs PR opened."
    assert item.triaged_by == staff_client.user
    event = AuditEvent.objects.get(action="feedback.item.triaged", object_id=str(item.pk))
    assert event.actor == "user:maintainer"


def test_feedback_triage__offsite_next__back_to_the_inbox(staff_client: Any, fast_mode: Feature) -> None:
    item = _item("Fine.", "t-4")
    response = staff_client.post(
        f"/dashboard/feedback/{item.pk}/triage/",
        {"triage_state": "dismissed", "next": "https://evil.example/"},
    )
    assert response["Location"].startswith("/dashboard/feedback/")


def test_feedback_triage__unknown_state__nothing_changes(staff_client: Any, fast_mode: Feature) -> None:
    item = _item("Fine.", "t-5")
    response = staff_client.post(
        f"/dashboard/feedback/{item.pk}/triage/", {"triage_state": "burnt"}, follow=True
    )
    assert "was not changed" in response.content.decode()
    item.refresh_from_db()
    assert item.triage_state == "new"


def test_feedback_triage__get__405(staff_client: Any, fast_mode: Feature) -> None:
    item = _item("Fine.", "t-6")
    assert staff_client.get(f"/dashboard/feedback/{item.pk}/triage/").status_code == 405


# --- kill switch ----------------------------------------------------------------------------------------------


def test_kill_switch__get__confirmation_page_first(staff_client: Any, fast_mode: Feature) -> None:
    response = staff_client.get("/dashboard/flags/fast-mode/kill-switch/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "for every installation" in html and 'name="reason"' in html and 'name="confirm"' in html
    assert _feature().enabled


def test_kill_switch__confirmed_with_reason__off_and_audited(staff_client: Any, fast_mode: Feature) -> None:
    response = staff_client.post(
        "/dashboard/flags/fast-mode/kill-switch/",
        {"enabled": "off", "reason": "Linker crashes on Windows.", "confirm": "on"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/dashboard/flags/fast-mode/"
    assert "OFF (kill switch)" in response.content.decode()
    assert not _feature().enabled
    event = AuditEvent.objects.get(action="rollout.feature.killed")
    assert event.reason == "Linker crashes on Windows." and event.actor == "user:maintainer"
    audit = staff_client.get("/dashboard/audit/?action=rollout.feature").content.decode()
    assert "rollout.feature.killed" in audit and "Linker crashes on Windows." in audit


def test_kill_switch__submitted_twice__stays_off(staff_client: Any, fast_mode: Feature) -> None:
    form = {"enabled": "off", "reason": "Pause.", "confirm": "on"}
    staff_client.post("/dashboard/flags/fast-mode/kill-switch/", form)
    response = staff_client.post("/dashboard/flags/fast-mode/kill-switch/", form, follow=True)
    assert "already off" in response.content.decode()
    assert not _feature().enabled
    assert AuditEvent.objects.filter(action="rollout.feature.killed").count() == 1


@pytest.mark.parametrize(
    "form",
    [
        {"enabled": "off", "reason": "Pause."},  # not confirmed
        {"enabled": "off", "reason": "   ", "confirm": "on"},  # no reason
    ],
)
def test_kill_switch__unconfirmed_or_no_reason__refused(
    staff_client: Any, fast_mode: Feature, form: dict[str, str]
) -> None:
    response = staff_client.post("/dashboard/flags/fast-mode/kill-switch/", form)
    assert response.status_code == 400
    assert _feature().enabled
    assert not AuditEvent.objects.filter(action="rollout.feature.killed").exists()


def test_kill_switch__back_on__enabled_and_audited(staff_client: Any, fast_mode: Feature) -> None:
    rollout_services.feature_set_enabled(feature=fast_mode, enabled=False, actor="test", reason="pause")
    page = staff_client.get("/dashboard/flags/fast-mode/kill-switch/").content.decode()
    assert 'name="enabled" value="on"' in page
    staff_client.post(
        "/dashboard/flags/fast-mode/kill-switch/", {"enabled": "on", "reason": "Fixed.", "confirm": "on"}
    )
    assert _feature().enabled
    assert AuditEvent.objects.filter(action="rollout.feature.enabled", reason="Fixed.").exists()


def test_dashboard_write__without_csrf_token__403(fast_mode: Feature) -> None:
    user = get_user_model().objects.create_user("csrf", is_staff=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(
        "/dashboard/flags/fast-mode/kill-switch/", {"enabled": "off", "reason": "x", "confirm": "on"}
    )
    assert response.status_code == 403
    assert _feature().enabled


# --- phase change and percentage ------------------------------------------------------------------------------


def test_phase_change__get__gate_shown_before_the_form(staff_client: Any, fast_mode: Feature) -> None:
    html = staff_client.get("/dashboard/flags/fast-mode/phase/").content.decode()
    assert html.index("Gate criteria") < html.index('name="reason"')
    assert "Community preview (promote: the gate decides)" in html
    assert not PhaseTransition.objects.exclude(to_phase__key="beta").exists()


def _target(key: str) -> int:
    return Phase.objects.get(feature__key="fast-mode", key=key).pk


def test_phase_change__gate_holds__409_with_the_fresh_gate_and_no_move(
    staff_client: Any, fast_mode: Feature
) -> None:
    response = staff_client.post(
        "/dashboard/flags/fast-mode/phase/",
        {"target": _target(PhaseKey.PREVIEW), "reason": "Looks good.", "confirm": "on"},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "The gate recommends hold" in html
    assert "Evaluated (and recorded) just now" in html
    assert _phase_key() == "beta"


def test_phase_change__override__promoted_with_the_override_recorded(
    staff_client: Any, fast_mode: Feature
) -> None:
    response = staff_client.post(
        "/dashboard/flags/fast-mode/phase/",
        {
            "target": _target(PhaseKey.PREVIEW),
            "reason": "Conference demo.",
            "override_gate": "on",
            "confirm": "on",
        },
    )
    assert response.status_code == 302
    assert _phase_key() == "preview"
    transition = PhaseTransition.objects.filter(to_phase__key="preview").get()
    assert transition.gate_snapshot["overridden"] is True and transition.actor == "user:maintainer"
    assert AuditEvent.objects.filter(action="rollout.feature.phase_moved", reason="Conference demo.").exists()


def test_phase_change__roll_back__moves_without_the_gate(staff_client: Any, fast_mode: Feature) -> None:
    preview = Phase.objects.get(feature=fast_mode, key=PhaseKey.PREVIEW)
    rollout_services.feature_move_to_phase(feature=fast_mode, phase=preview, actor="test", reason="up")
    response = staff_client.post(
        "/dashboard/flags/fast-mode/phase/",
        {"target": _target(PhaseKey.BETA), "reason": "Hot reload regressed.", "confirm": "on"},
    )
    assert response.status_code == 302
    assert _phase_key() == "beta"


def test_phase_change__unconfirmed__400_no_move(staff_client: Any, fast_mode: Feature) -> None:
    response = staff_client.post(
        "/dashboard/flags/fast-mode/phase/",
        {"target": _target(PhaseKey.PREVIEW), "reason": "x", "override_gate": "on"},
    )
    assert response.status_code == 400
    assert _phase_key() == "beta"


def test_phase_percentage__current_phase__strategies_follow_and_audited(
    staff_client: Any, fast_mode: Feature
) -> None:
    preview = Phase.objects.get(feature=fast_mode, key=PhaseKey.PREVIEW)
    rollout_services.feature_move_to_phase(feature=fast_mode, phase=preview, actor="test", reason="up")
    response = staff_client.post(
        f"/dashboard/flags/fast-mode/phases/{preview.pk}/percentage/",
        {"rollout_percentage": "25", "reason": "Widen the preview."},
    )
    assert response.status_code == 302
    preview.refresh_from_db()
    assert preview.rollout_percentage == 25
    assert any(s.parameters.get("rollout") == "25" for s in _feature().strategies.all())
    assert AuditEvent.objects.filter(action="rollout.phase.updated", reason="Widen the preview.").exists()


@pytest.mark.parametrize("value", ["101", "-1", "ten"])
def test_phase_percentage__out_of_range__400(staff_client: Any, fast_mode: Feature, value: str) -> None:
    preview = Phase.objects.get(feature=fast_mode, key=PhaseKey.PREVIEW)
    response = staff_client.post(
        f"/dashboard/flags/fast-mode/phases/{preview.pk}/percentage/",
        {"rollout_percentage": value, "reason": "x"},
    )
    assert response.status_code == 400
    preview.refresh_from_db()
    assert preview.rollout_percentage == 0


def test_phase_percentage__phase_of_another_feature__404(staff_client: Any, fast_mode: Feature) -> None:
    other = rollout_services.feature_create(key="other", actor="test")
    phase = rollout_services.phase_create(
        feature=other, key="beta", order=1, name="Beta", actor="test", rings=["beta"]
    )
    assert staff_client.get(f"/dashboard/flags/fast-mode/phases/{phase.pk}/percentage/").status_code == 404


# --- flags, reports, audit ------------------------------------------------------------------------------------


def test_flags__community__features_variants_and_cohorts(
    staff_client: Any, community: simulation.SimulationResult
) -> None:
    listing = staff_client.get("/dashboard/flags/").content.decode()
    assert "fast-mode" in listing and "plan-dev-fast" in listing and "Cohorts" in listing
    detail = staff_client.get("/dashboard/flags/fast-mode/").content.decode()
    assert "tuned-line-tables" in detail and "Rings: beta" in detail and "Set percentage" in detail
    assert "Installations by OS" in detail


def test_report_create__post__report_made_and_shown(
    staff_client: Any, community: simulation.SimulationResult
) -> None:
    response = staff_client.post(
        "/dashboard/reports/new/", {"feature": "fast-mode", "days": "14"}, follow=True
    )
    report = RolloutReport.objects.get()
    assert report.trigger == "on_demand" and report.created_by == "user:maintainer"
    assert response.redirect_chain[-1][0] == f"/dashboard/reports/{report.pk}/"
    html = response.content.decode()
    assert "Recommendation:" in html and "Gate" in html
    assert AuditEvent.objects.filter(action="reports.report.created").exists()
    listing = staff_client.get("/dashboard/reports/").content.decode()
    assert f"/dashboard/reports/{report.pk}/" in listing
    markdown = staff_client.get(f"/dashboard/reports/{report.pk}/markdown/")
    assert (
        markdown["Content-Type"].startswith("text/markdown") and markdown.content.decode() == report.markdown
    )


def test_report_create__unknown_feature__nothing_made(staff_client: Any, fast_mode: Feature) -> None:
    response = staff_client.post("/dashboard/reports/new/", {"feature": "nope", "days": "14"}, follow=True)
    assert "No report made" in response.content.decode()
    assert not RolloutReport.objects.exists()


def test_audit_log__filters__by_action_and_actor(staff_client: Any, fast_mode: Feature) -> None:
    rollout_services.feature_set_enabled(feature=fast_mode, enabled=False, actor="ops-bot", reason="pause")
    html = staff_client.get("/dashboard/audit/?action=rollout.feature.killed&actor=ops").content.decode()
    assert "rollout.feature.killed" in html and "rollout.phase.created" not in html
    html = staff_client.get("/dashboard/audit/?actor=nobody-like-this").content.decode()
    assert "Nothing matches." in html


def test_audit_log__many_events__paginated(staff_client: Any, fast_mode: Feature) -> None:
    for n in range(60):
        rollout_services.feature_set_enabled(
            feature=fast_mode, enabled=n % 2 == 1, actor="test", reason=f"r{n}"
        )
    html = staff_client.get("/dashboard/audit/?page=2").content.decode()
    assert "Page 2 of" in html
