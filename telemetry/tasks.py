"""Celery tasks of the telemetry app: thin wrappers over services."""

from celery import shared_task

from telemetry import services


@shared_task(name="telemetry.prune_raw_events", ignore_result=False)
def prune_raw_events() -> int:
    """Retention (Celery beat): raw events past TELEMETRY_RAW_RETENTION_DAYS go; rollups stay."""
    return services.raw_events_prune()
