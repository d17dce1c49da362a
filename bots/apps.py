import logging
from typing import Any

from django.apps import AppConfig

logger = logging.getLogger(__name__)


def _on_report_created(sender: Any, report: Any, **kwargs: Any) -> None:
    """A new rollout report (sent on commit): publish it. Never fails the maintainer's request that made it."""
    from bots.tasks import publish_report

    try:
        publish_report.delay(report.pk)
    except Exception:
        logger.exception("bots.report.publish_not_queued report=%s", report.pk)


def _on_feature_paused(sender: Any, feature: Any, reasons: list[str], **kwargs: Any) -> None:
    from bots.tasks import announce_pause

    try:
        announce_pause.delay(feature.key, [str(reason) for reason in reasons])
    except Exception:
        logger.exception("bots.report.pause_not_queued feature=%s", feature.key)


class BotsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "bots"

    def ready(self) -> None:
        from reports import signals

        signals.report_created.connect(_on_report_created, dispatch_uid="bots.publish_report")
        signals.feature_paused.connect(_on_feature_paused, dispatch_uid="bots.announce_pause")
