"""Reads of the bots: who a Discord or GitHub user is to Pitwall, the headline figures, the report to publish.

`status_summary` is the plain status summary (phase, kill switch, enrollment, headline figures from telemetry and
feedback); `latest_report` is the newest rollout report of the reports app, or that summary while there is none.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone

from bots.models import DeliveryOutcome, SyncState, WebhookDelivery
from feedback import selectors as feedback_selectors
from feedback.models import FeedbackItem
from reports import selectors as reports_selectors
from reports.models import RolloutReport
from rollout import selectors as rollout_selectors
from rollout.models import Enrollment, EnrollmentRing, Participant
from telemetry import selectors as telemetry_selectors

# Discord embeds take at most 4096 characters of description.
EMBED_DESCRIPTION_MAX = 4096


def participant_by_discord_id(discord_id: int | str) -> Participant | None:
    return Participant.objects.filter(discord_id=str(discord_id)).first()


def participant_by_github_login(login: str) -> Participant | None:
    if not login:
        return None
    return Participant.objects.filter(github_login__iexact=login).first()


def feedback_item_by_external_id(*, source: str, external_id: str) -> FeedbackItem | None:
    return FeedbackItem.objects.filter(source=source, external_id=external_id).first()


def sync_state(key: str) -> SyncState | None:
    return SyncState.objects.filter(key=key).first()


def deliveries_to_requeue(*, older_than: timedelta, limit: int = 200) -> list[int]:
    """Pending deliveries whose task should long have run (the broker was down when they arrived)."""
    cutoff = timezone.now() - older_than
    return list(
        WebhookDelivery.objects.filter(outcome=DeliveryOutcome.PENDING, received_at__lt=cutoff)
        .order_by("received_at", "id")
        .values_list("id", flat=True)[:limit]
    )


# --- a Discord member's own status --------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberStatus:
    enrolled: bool
    ring: str  # "beta", "preview", or "general" when not enrolled
    joined_at: datetime | None
    installations: int


def member_status(*, discord_id: int | str) -> MemberStatus:
    participant = participant_by_discord_id(discord_id)
    if participant is None:
        return MemberStatus(enrolled=False, ring="general", joined_at=None, installations=0)
    active = Enrollment.objects.filter(participant=participant, left_at__isnull=True).first()
    return MemberStatus(
        enrolled=active is not None,
        ring=active.ring if active is not None else "general",
        joined_at=active.joined_at if active is not None else None,
        installations=participant.installations.count(),
    )


# --- the plain status summary -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    """One headline figure, already worded ("—" with the reason when there is not enough data)."""

    name: str
    value: str


@dataclass(frozen=True)
class StatusSummary:
    feature_key: str
    feature_exists: bool
    phase_key: str
    phase_name: str
    enabled: bool
    enrolled_by_ring: dict[str, int]
    headlines: list[Headline] = field(default_factory=list)
    generated_at: datetime = field(default_factory=timezone.now)

    @property
    def enrolled_total(self) -> int:
        return sum(self.enrolled_by_ring.values())


def _seconds(ms: float | None) -> str:
    return "—" if ms is None else f"{ms / 1000:.1f} s"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


HEADLINES_CACHE_KEY = "bots:status-headlines:v1"
HEADLINES_CACHE_SECONDS = 60


def _headlines() -> list[Headline]:
    """Telemetry percentiles come with bootstrap intervals: worth a minute's cache behind a chat command."""
    cached: list[Headline] | None = cache.get(HEADLINES_CACHE_KEY)
    if cached is None:
        cached = _compute_headlines()
        cache.set(HEADLINES_CACHE_KEY, cached, HEADLINES_CACHE_SECONDS)
    return cached


def _compute_headlines() -> list[Headline]:
    window = telemetry_selectors.MetricsFilter.last_days()
    days = (window.end - window.start).days + 1
    improvement = telemetry_selectors.improvement(window)
    fast, normal = improvement.fast, improvement.normal
    rebuild = (
        f"{_seconds(fast.p50_ms)} fast vs {_seconds(normal.p50_ms)} normal "
        f"({_percent(improvement.p50_improvement.value)} faster; n = {fast.n} / {normal.n})"
        if not improvement.p50_improvement.insufficient_data
        else f"not enough builds yet (n = {fast.n} fast / {normal.n} normal, {improvement.min_sample} needed)"
    )
    reload_rate = next(
        (group.success_rate for group in telemetry_selectors.hot_reload(window).groups if group.mode == "fast"), None
    )
    hot_reload = (
        "no hot reloads yet"
        if reload_rate is None or reload_rate.insufficient_data
        else f"{_percent(reload_rate.rate)} (n = {reload_rate.n}; target 90 %)"
    )
    performance = feedback_selectors.feedback_net_sentiment(
        filters=feedback_selectors.FeedbackFilters(topics=feedback_selectors.PERFORMANCE_TOPICS)
    )
    sentiment = (
        "no scored feedback on performance yet"
        if performance["net"] is None
        else f"{performance['net']:+.2f} (n = {performance['n']}; {performance['positive']} positive, "
        f"{performance['negative']} negative)"
    )
    return [
        Headline(f"Rebuild p50, last {days} days", rebuild),
        Headline("Hot-reload success (fast mode)", hot_reload),
        Headline("Net sentiment on performance", sentiment),
        Headline("Feedback items", str(FeedbackItem.objects.count())),
    ]


def status_summary() -> StatusSummary:
    feature = rollout_selectors.feature_by_key(rollout_selectors.FAST_MODE_KEY)
    counts = dict(
        Enrollment.objects.filter(left_at__isnull=True, participant__isnull=False)
        .values_list("ring")
        .annotate(n=Count("id"))
        .values_list("ring", "n")
    )
    enrolled = {ring: counts.get(ring, 0) for ring in EnrollmentRing.values}
    phase = feature.current_phase if feature is not None else None
    return StatusSummary(
        feature_key=rollout_selectors.FAST_MODE_KEY,
        feature_exists=feature is not None,
        phase_key=phase.key if phase is not None else "",
        phase_name=phase.name if phase is not None else "not started",
        enabled=bool(feature and feature.enabled),
        enrolled_by_ring=enrolled,
        headlines=_headlines(),
    )


# --- the report the publisher and /fastmode report show ------------------------------------------------------


@dataclass(frozen=True)
class PublishableReport:
    """What is published: a title, Markdown for GitHub, a description for a Discord embed."""

    title: str
    markdown: str
    embed_description: str
    # "report:<id>" for a rollout report, "status-summary" for the plain summary.
    origin: str
    created_at: datetime

    @property
    def content_hash(self) -> str:
        """Changes when what the report says changes (not when only the time it was made does)."""
        return hashlib.sha256(f"{self.title}\n{self.markdown}".encode()).hexdigest()


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def report_from_rollout_report(report: RolloutReport) -> PublishableReport:
    phase = report.phase.name if report.phase is not None else "no phase"
    return PublishableReport(
        title=f"Fast-mode rollout report — {phase}: {report.get_recommendation_display()}",
        markdown=report.markdown,
        embed_description=_truncate(report.markdown, EMBED_DESCRIPTION_MAX),
        origin=f"report:{report.pk}",
        created_at=report.created_at,
    )


def report_from_summary(summary: StatusSummary) -> PublishableReport:
    context = {"summary": summary}
    return PublishableReport(
        title=f"Fast-mode rollout status — {summary.phase_name}",
        markdown=render_to_string("bots/status_summary.md", context).strip(),
        embed_description=_truncate(
            render_to_string("bots/status_summary_discord.md", context).strip(), EMBED_DESCRIPTION_MAX
        ),
        origin="status-summary",
        created_at=summary.generated_at,
    )


def rollout_report_get(report_id: int) -> RolloutReport | None:
    return RolloutReport.objects.select_related("phase").filter(pk=report_id).first()


def latest_report() -> PublishableReport:
    """The newest fast-mode rollout report, or the plain status summary while the reports app has made none."""
    feature = rollout_selectors.feature_by_key(rollout_selectors.FAST_MODE_KEY)
    report = reports_selectors.latest_report(feature=feature) if feature is not None else None
    if report is not None:
        return report_from_rollout_report(report)
    return report_from_summary(status_summary())
