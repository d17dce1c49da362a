"""Celery tasks of the bots: take ids, call a service.

Processing a delivery is idempotent (a processed delivery is skipped, checked under a row lock), so it is
acknowledged late: a task whose worker dies is run again, at once when only its pool process died
(reject_on_worker_lost), after CELERY_VISIBILITY_TIMEOUT when the whole worker did. Transient database errors are
retried with backoff, a bounded number of times; anything else fails the delivery for good, recorded on it, and
is logged.
"""

import logging

import discord
from celery import Task, shared_task
from django.db import InterfaceError, OperationalError
from github import GithubException

from bots import services
from bots.github.client import RateLimitStop

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OperationalError, InterfaceError)
# GitHub or Discord failing after the client's own bounded retries, or a rate limit that stopped a run.
REMOTE_ERRORS = (GithubException, RateLimitStop, discord.HTTPException, OSError)
MAX_RETRIES = 5
# The longest countdown a retry waits here; CELERY_VISIBILITY_TIMEOUT must exceed it (tests/test_worker_faults.py).
RETRY_COUNTDOWN_MAX = 300


@shared_task(
    bind=True,
    name="bots.process_github_delivery",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    max_retries=MAX_RETRIES,
)
def process_github_delivery(self: Task, delivery_id: int) -> str:  # type: ignore[type-arg]
    try:
        return services.webhook_delivery_process(delivery_id=delivery_id)
    except TRANSIENT_ERRORS as error:
        final = self.request.retries >= MAX_RETRIES
        services.webhook_delivery_note_error(delivery_id=delivery_id, error=error, final=final)
        if final:
            raise
        raise self.retry(exc=error, countdown=min(RETRY_COUNTDOWN_MAX, 10 * 2**self.request.retries)) from error
    except Exception as error:
        services.webhook_delivery_note_error(delivery_id=delivery_id, error=error, final=True)
        logger.exception("bots.github_delivery.crashed delivery_pk=%s", delivery_id)
        raise


@shared_task(name="bots.requeue_github_deliveries", ignore_result=True)
def requeue_github_deliveries() -> int:
    return services.webhook_deliveries_requeue()


@shared_task(name="bots.purge_github_deliveries", ignore_result=True)
def purge_github_deliveries() -> int:
    return services.webhook_deliveries_purge()


@shared_task(
    name="bots.github_backfill",
    ignore_result=True,
    autoretry_for=(*TRANSIENT_ERRORS, GithubException, OSError),
    retry_backoff=60,
    max_retries=3,
)
def github_backfill() -> str:
    return services.github_backfill().status


@shared_task(
    name="bots.publish_report",
    ignore_result=True,
    autoretry_for=(*TRANSIENT_ERRORS, *REMOTE_ERRORS),
    retry_backoff=60,
    max_retries=3,
)
def publish_report(report_id: int | None = None) -> str:
    """Publish rollout report `report_id` (queued when the reports app makes one), or the latest report."""
    from bots import selectors

    report = None
    if report_id is not None:
        rollout_report = selectors.rollout_report_get(report_id)
        if rollout_report is None:
            return "missing"
        report = selectors.report_from_rollout_report(rollout_report)
    result = services.report_publish(report=report)
    return f"github={result.github} discord={result.discord}"


@shared_task(
    name="bots.announce_pause",
    ignore_result=True,
    autoretry_for=(discord.HTTPException, OSError),
    retry_backoff=30,
    max_retries=3,
)
def announce_pause(feature_key: str, reasons: list[str]) -> str:
    """Tell the Discord report channel that automatic mode paused a feature (reports.signals.feature_paused)."""
    return services.pause_announce(feature_key=feature_key, reasons=reasons)
