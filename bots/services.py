"""Every write of the bots: GitHub deliveries (stored once, processed by a task), the backfill, the report
publisher, and what Discord commands change. Feedback and enrollment go through the same services the web uses.

The backfill and the publisher talk to GitHub between their writes, so they are not one transaction: each write
(a feedback item, the watermark, the published comment id) is its own, and every step is idempotent, so a run that
stops halfway is finished by the next one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from bots import selectors
from bots.config import discord_config, github_config
from bots.github import events
from bots.models import DeliveryOutcome, SyncState, WebhookDelivery
from feedback import services as feedback_services
from feedback.models import FeedbackSource
from feedback.services import FeedbackReceipt
from pitwall.errors import ApplicationError
from rollout import services as rollout_services
from rollout.models import EnrollmentSource

if TYPE_CHECKING:
    from github import Github

    from bots.github.publisher import CommentPublication
    from bots.selectors import PublishableReport

logger = logging.getLogger(__name__)

BACKFILL_OVERLAP = timedelta(minutes=5)
REPORT_GITHUB_KEY = "report.github"
REPORT_DISCORD_KEY = "report.discord"
REPORT_LOCK_KEY = "bots:report-publish-lock"
REPORT_LOCK_SECONDS = 300


# --- GitHub webhook deliveries ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryReceipt:
    delivery: WebhookDelivery
    created: bool


def _queue_processing(delivery_id: int) -> None:
    """Queued once the delivery is committed; robust, so a broker outage never fails GitHub's request (the
    stored delivery is re-queued by the `bots.requeue_github_deliveries` sweeper)."""
    from bots.tasks import process_github_delivery

    transaction.on_commit(lambda: process_github_delivery.delay(delivery_id), robust=True)


@transaction.atomic
def webhook_delivery_receive(
    *, delivery_id: str, event: str, payload: dict[str, Any], body_sha256: str | None = None
) -> DeliveryReceipt:
    """Store a delivery once by its id and once by its body; queue its processing, or record at once why it is
    ignored.

    A redelivery of a known id, or a known signed body under another id (a replay: the id is not signed), is
    acknowledged and not processed again. Ignored deliveries keep no payload.
    """
    same = Q(delivery_id=delivery_id) | Q(body_sha256=body_sha256) if body_sha256 else Q(delivery_id=delivery_id)
    existing = WebhookDelivery.objects.filter(same).first()
    if existing is not None:
        logger.info("bots.github_delivery.duplicate delivery=%s first=%s", delivery_id, existing.delivery_id)
        return DeliveryReceipt(delivery=existing, created=False)
    reason = events.door_reason(event, payload, repository=github_config().repository)
    action = str(payload.get("action") or "")[:50]
    now = timezone.now()
    if reason:
        fields: dict[str, Any] = {"outcome": DeliveryOutcome.IGNORED, "processed_at": now, "detail": reason[:300]}
    elif event == "ping":
        fields = {"outcome": DeliveryOutcome.PROCESSED, "processed_at": now, "detail": "pong"}
    else:
        fields = {"outcome": DeliveryOutcome.PENDING, "payload": payload}
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                delivery_id=delivery_id, body_sha256=body_sha256, event=event[:50], action=action, **fields
            )
    except IntegrityError:
        # GitHub redelivered (or a replay came) while the first request was still being answered.
        return DeliveryReceipt(delivery=WebhookDelivery.objects.filter(same).earliest("received_at"), created=False)
    logger.info(
        "bots.github_delivery.received delivery=%s event=%s action=%s outcome=%s",
        delivery_id, delivery.event, action, delivery.outcome,
    )
    if delivery.outcome == DeliveryOutcome.PENDING:
        _queue_processing(delivery.pk)
    return DeliveryReceipt(delivery=delivery, created=True)


def _rules() -> events.Rules:
    config = github_config()
    return events.Rules(feedback_label=config.feedback_label, discussion_category=config.discussion_category)


def github_feedback_store(record: events.FeedbackRecord, *, only_if_stored: bool = False) -> str:
    """Store (or update) one piece of GitHub text as feedback; returns what happened, in words."""
    if only_if_stored and selectors.feedback_item_by_external_id(
        source=FeedbackSource.GITHUB, external_id=record.external_id
    ) is None:
        return "not feedback"
    receipt = feedback_services.feedback_item_upsert(
        source=FeedbackSource.GITHUB,
        external_id=record.external_id,
        text=record.text,
        author_handle=record.author_login,
        participant=selectors.participant_by_github_login(record.author_login),
        url=record.url,
        created_at=record.created_at,
        repair_text=True,
    )
    if receipt.created:
        return "feedback stored"
    return "feedback updated" if receipt.text_changed else "feedback unchanged"


def _apply(decision: events.Decision) -> tuple[str, str]:
    if isinstance(decision, events.Pong):
        return DeliveryOutcome.PROCESSED, "pong"
    if isinstance(decision, events.Ignore):
        return DeliveryOutcome.IGNORED, decision.reason
    if isinstance(decision, events.Delete):
        item = selectors.feedback_item_by_external_id(source=FeedbackSource.GITHUB, external_id=decision.external_id)
        if item is None:
            return DeliveryOutcome.IGNORED, "deleted on GitHub; was not stored"
        feedback_services.feedback_item_delete(item=item, actor="github", reason="Deleted on GitHub.")
        return DeliveryOutcome.PROCESSED, "feedback deleted"
    try:
        did = github_feedback_store(decision.record, only_if_stored=decision.only_if_stored)
    except ApplicationError as refusal:
        # The feedback service refuses the text (nothing left after "/feedback"): nothing to retry.
        return DeliveryOutcome.IGNORED, f"not stored: {refusal.message}"
    if did == "not feedback":
        return DeliveryOutcome.IGNORED, "edited, but not feedback and never stored"
    return DeliveryOutcome.PROCESSED, did


@transaction.atomic
def webhook_delivery_process(*, delivery_id: int) -> str:
    """Carry out a stored delivery; running it again (task redelivered) changes nothing. Returns the outcome."""
    delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
    if delivery is None:
        return "missing"
    if delivery.outcome != DeliveryOutcome.PENDING:
        return str(delivery.outcome)
    decision = events.decide(delivery.event, delivery.payload, _rules())
    outcome, detail = _apply(decision)
    delivery.outcome = outcome
    delivery.detail = detail[:300]
    delivery.processed_at = timezone.now()
    delivery.attempts += 1
    delivery.save(update_fields=["outcome", "detail", "processed_at", "attempts"])
    logger.info(
        "bots.github_delivery.processed delivery=%s outcome=%s detail=%s", delivery.delivery_id, outcome, detail
    )
    return outcome


@transaction.atomic
def webhook_delivery_note_error(*, delivery_id: int, error: BaseException, final: bool) -> None:
    """Record a failed attempt (never the payload in the log); `final` marks the delivery failed for good."""
    delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
    if delivery is None or delivery.outcome != DeliveryOutcome.PENDING:
        return
    delivery.attempts += 1
    delivery.detail = f"{type(error).__name__}: {error}"[:300]
    fields = ["attempts", "detail"]
    if final:
        delivery.outcome = DeliveryOutcome.FAILED
        delivery.processed_at = timezone.now()
        fields += ["outcome", "processed_at"]
    delivery.save(update_fields=fields)
    logger.warning(
        "bots.github_delivery.failed delivery=%s attempts=%s final=%s error=%s",
        delivery.delivery_id, delivery.attempts, final, type(error).__name__,
    )


def webhook_deliveries_requeue(*, older_than: timedelta = timedelta(minutes=10)) -> int:
    """Queue again the pending deliveries whose task was lost; processing is idempotent, so a spare run is harmless."""
    from bots.tasks import process_github_delivery

    ids = selectors.deliveries_to_requeue(older_than=older_than)
    for delivery_id in ids:
        process_github_delivery.delay(delivery_id)
    if ids:
        logger.info("bots.github_delivery.requeued count=%s", len(ids))
    return len(ids)


@transaction.atomic
def webhook_deliveries_purge(*, older_than: timedelta | None = None) -> int:
    """Delete finished deliveries older than the retention (their payloads name GitHub users)."""
    age = older_than or timedelta(days=settings.PITWALL_GITHUB_DELIVERY_RETENTION_DAYS)
    deleted, _ = (
        WebhookDelivery.objects.exclude(outcome=DeliveryOutcome.PENDING)
        .filter(received_at__lt=timezone.now() - age)
        .delete()
    )
    return deleted


# --- sync state ---------------------------------------------------------------------------------------------


@transaction.atomic
def sync_state_update(*, key: str, **changes: Any) -> SyncState:
    state, _ = SyncState.objects.select_for_update().get_or_create(key=key)
    for name, value in changes.items():
        setattr(state, name, value)
    state.last_run_at = timezone.now()
    state.save()
    return state


# --- GitHub backfill ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackfillResult:
    status: str  # "done", "partial" (stopped early: rate limit), "off"
    detail: str
    issues: int = 0
    comments: int = 0
    stored: int = 0


def backfill_state_key(repository: str) -> str:
    return f"github.backfill:{repository.lower()}"


def github_backfill(
    *, client: Github | None = None, sleeper: Callable[[float], None] | None = None
) -> BackfillResult:
    """Take labelled issues, their comments and "/feedback" comments updated since the last run.

    The watermark moves only when a run finishes (less an overlap for clock skew); a run stopped by a rate limit
    leaves it, and the next one does the same window again (storing is idempotent).
    """
    from bots.github import backfill
    from bots.github.client import RateLimitStop, github_client

    config = github_config()
    if config.api_off_reason:
        logger.info("bots.github_backfill.off reason=%s", config.api_off_reason)
        return BackfillResult(status="off", detail=config.api_off_reason)
    key = backfill_state_key(config.repository)
    state = selectors.sync_state(key)
    started = timezone.now()
    since = (
        state.watermark
        if state is not None and state.watermark is not None
        else started - timedelta(days=settings.PITWALL_GITHUB_BACKFILL_INITIAL_DAYS)
    )
    gh = client or github_client(sleeper=sleeper)
    counts = {"issues": 0, "comments": 0, "stored": 0}

    def store(record: events.FeedbackRecord, kind: str) -> None:
        counts[kind] += 1
        try:
            outcome = github_feedback_store(record)
        except ApplicationError as refusal:
            logger.info("bots.github_backfill.skipped external_id=%s reason=%s", record.external_id, refusal.code)
            return
        if outcome in ("feedback stored", "feedback updated"):
            counts["stored"] += 1

    try:
        backfill.walk(
            gh,
            repository=config.repository,
            label=config.feedback_label,
            since=since,
            on_issue=lambda record: store(record, "issues"),
            on_comment=lambda record: store(record, "comments"),
        )
    except RateLimitStop as stop:
        detail = f"stopped early: {stop}"
        sync_state_update(key=key, last_outcome=detail[:300])
        logger.warning("bots.github_backfill.partial since=%s %s", since.isoformat(), detail)
        return BackfillResult(status="partial", detail=detail, **counts)
    detail = f"{counts['issues']} issues, {counts['comments']} comments, {counts['stored']} stored or updated"
    sync_state_update(key=key, watermark=started - BACKFILL_OVERLAP, last_outcome=detail)
    logger.info("bots.github_backfill.done since=%s %s", since.isoformat(), detail)
    return BackfillResult(status="done", detail=detail, **counts)


# --- report publisher ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishResult:
    github: str  # "created", "edited", "unchanged", "skipped: ...", "off: ..."
    discord: str  # "posted", "unchanged", "off: ..."
    origin: str


def tracking_comment_body(report: PublishableReport) -> str:
    from bots.github.publisher import MARKER

    stamp = timezone.now().strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{MARKER}\n## {report.title}\n\n{report.markdown}\n\n"
        f"<sub>Updated {stamp} by Pitwall. This comment is edited in place on every new report.</sub>"
    )


def report_publish(
    *,
    report: PublishableReport | None = None,
    force: bool = False,
    client: Github | None = None,
    sleeper: Callable[[float], None] | None = None,
    discord_post: Callable[[PublishableReport], None] | None = None,
) -> PublishResult:
    """Publish the report where it is configured: the one tracking-issue comment (found by its marker, edited in
    place) and a post in the Discord report channel. Each target publishes a report once (by content hash)."""
    report = report or selectors.latest_report()
    if not cache.add(REPORT_LOCK_KEY, "1", REPORT_LOCK_SECONDS):
        # Another publisher is at work; it publishes this report or a newer one.
        return PublishResult(github="skipped: another publish is running", discord="skipped", origin=report.origin)
    try:
        github_outcome = _publish_github(report, force=force, client=client, sleeper=sleeper)
        discord_outcome = _publish_discord(report, force=force, post=discord_post)
    finally:
        cache.delete(REPORT_LOCK_KEY)
    logger.info("bots.report.published origin=%s github=%s discord=%s", report.origin, github_outcome, discord_outcome)
    return PublishResult(github=github_outcome, discord=discord_outcome, origin=report.origin)


def _publish_github(
    report: PublishableReport, *, force: bool, client: Github | None, sleeper: Callable[[float], None] | None
) -> str:
    from bots.github.client import github_client
    from bots.github.publisher import tracking_comment_upsert

    config = github_config()
    if config.publisher_off_reason:
        return f"off: {config.publisher_off_reason}"
    state = selectors.sync_state(REPORT_GITHUB_KEY)
    if not force and state is not None and state.content_hash == report.content_hash and state.external_id:
        return "unchanged"
    gh = client or github_client(sleeper=sleeper)
    publication: CommentPublication = tracking_comment_upsert(
        gh,
        repository=config.repository,
        issue_number=config.tracking_issue,
        body=tracking_comment_body(report),
        known_author=state.author_login if state is not None else "",
    )
    sync_state_update(
        key=REPORT_GITHUB_KEY,
        external_id=str(publication.comment_id),
        author_login=publication.author_login,
        content_hash=report.content_hash,
        last_outcome=f"{publication.action} for {report.origin}",
    )
    return publication.action


def _publish_discord(
    report: PublishableReport, *, force: bool, post: Callable[[PublishableReport], None] | None
) -> str:
    from bots.discord.rest import post_report

    config = discord_config()
    if config.report_channel_off_reason:
        return f"off: {config.report_channel_off_reason}"
    state = selectors.sync_state(REPORT_DISCORD_KEY)
    if not force and state is not None and state.content_hash == report.content_hash:
        return "unchanged"
    (post or post_report)(report)
    sync_state_update(key=REPORT_DISCORD_KEY, content_hash=report.content_hash, last_outcome=f"posted {report.origin}")
    return "posted"


def pause_announce(
    *, feature_key: str, reasons: list[str], post: Callable[[str], None] | None = None
) -> str:
    """Post in the Discord report channel that automatic mode paused a feature (nothing is stored)."""
    from bots.discord.rest import post_text

    config = discord_config()
    if config.report_channel_off_reason:
        return f"off: {config.report_channel_off_reason}"
    lines = "\n".join(f"• {reason}" for reason in reasons) or "• (no reason given)"
    (post or post_text)(f"**{feature_key} was paused by automatic mode.**\n{lines}"[:2000])
    logger.info("bots.report.pause_announced feature=%s", feature_key)
    return "posted"


# --- Discord commands ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiscordEnrollment:
    ring: str
    code: str  # as shown: XXXX-XXXX
    expires_at: datetime
    shim_command: str
    previous_ring: str  # "" when newly enrolled


@transaction.atomic
def discord_enroll(*, discord_id: int, handle: str, ring: str, consent_text_version: str) -> DiscordEnrollment:
    """`/fastmode enroll`: the same participant and enrollment services as the web page, with a fresh code."""
    before = selectors.member_status(discord_id=discord_id)
    participant = rollout_services.participant_upsert(handle=handle[:80], discord_id=str(discord_id))
    _, code = rollout_services.enrollment_create(
        participant=participant,
        ring=ring,
        source=EnrollmentSource.DISCORD,
        consent_text_version=consent_text_version,
        actor="discord",
    )
    assert code is not None  # a participant's enrollment always issues a code
    shown = code.display
    return DiscordEnrollment(
        ring=ring,
        code=shown,
        expires_at=code.expires_at,
        shim_command=f"leptos-fast enroll {shown}",
        previous_ring=before.ring if before.enrolled else "",
    )


def discord_leave(*, discord_id: int) -> bool:
    """`/fastmode leave`: False when the member was not enrolled."""
    participant = selectors.participant_by_discord_id(discord_id)
    if participant is None:
        return False
    return rollout_services.enrollment_leave(actor="discord", participant=participant)


def discord_feedback_store(
    *,
    external_id: str,
    text: str,
    discord_id: int,
    handle: str,
    url: str = "",
    created_at: datetime | None = None,
    repair_text: bool = False,
) -> FeedbackReceipt:
    """Feedback from Discord, credited to its author (their participant when Pitwall knows them).

    `repair_text` is for a message a maintainer forwards (its author cannot be asked to fix it); text typed into
    `/fastmode feedback` is validated, and its author is told what is wrong.
    """
    return feedback_services.feedback_item_upsert(
        source=FeedbackSource.DISCORD,
        external_id=external_id,
        text=text,
        author_handle=handle,
        participant=selectors.participant_by_discord_id(discord_id),
        url=url,
        created_at=created_at,
        repair_text=repair_text,
    )
