"""Celery tasks of the telemetry app: thin wrappers over services."""

from celery import shared_task

from telemetry import services


@shared_task(name="telemetry.prune_raw_events", ignore_result=False)
def prune_raw_events() -> int:
    """Retention (Celery beat): raw events past TELEMETRY_RAW_RETENTION_DAYS go; rollups stay."""
    return services.raw_events_prune()


# Idempotent by construction (a pending batch is consumed in the same transaction that adds it), hence acks_late:
# a worker killed mid-run leaves the batch pending and the message is delivered again.
@shared_task(name="telemetry.apply_pending_rollups", ignore_result=True, acks_late=True)
def apply_pending_rollups() -> int:
    """Add committed batches to the rollups (queued on commit by the ingest, and by beat as a safety net)."""
    result = services.rollups_apply_pending()
    if result.more:
        apply_pending_rollups.delay()
    return result.events
