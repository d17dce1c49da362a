"""Pages of the reports app: the staff dashboard under /dashboard/ and the public /join/ and /status/ pages."""

from django.urls import URLPattern, URLResolver, path

from reports import views_dashboard as dashboard
from reports import views_public as public

urlpatterns: list[URLPattern | URLResolver] = [
    path("join/", public.join, name="public-join"),
    path("status/", public.status, name="public-status"),
    path("dashboard/", dashboard.overview, name="dashboard-overview"),
    path("dashboard/telemetry/", dashboard.telemetry_explorer, name="dashboard-telemetry"),
    path("dashboard/feedback/", dashboard.feedback_inbox, name="dashboard-feedback"),
    path(
        "dashboard/feedback/<int:item_id>/triage/",
        dashboard.feedback_triage,
        name="dashboard-feedback-triage",
    ),
    path("dashboard/flags/", dashboard.flags, name="dashboard-flags"),
    path("dashboard/flags/<slug:key>/", dashboard.feature_detail, name="dashboard-feature"),
    path("dashboard/flags/<slug:key>/kill-switch/", dashboard.kill_switch, name="dashboard-kill-switch"),
    path("dashboard/flags/<slug:key>/phase/", dashboard.phase_change, name="dashboard-phase-change"),
    path(
        "dashboard/flags/<slug:key>/phases/<int:phase_id>/percentage/",
        dashboard.phase_percentage,
        name="dashboard-phase-percentage",
    ),
    path("dashboard/reports/", dashboard.report_list, name="dashboard-reports"),
    path("dashboard/reports/new/", dashboard.report_create, name="dashboard-report-create"),
    path("dashboard/reports/<int:report_id>/", dashboard.report_detail, name="dashboard-report"),
    path(
        "dashboard/reports/<int:report_id>/markdown/",
        dashboard.report_markdown,
        name="dashboard-report-markdown",
    ),
    path("dashboard/audit/", dashboard.audit_log, name="dashboard-audit"),
]
