"""Celery tasks of the reports app: thin wrappers over services."""

from celery import shared_task

from reports import services
from reports.models import AutoRolloutPolicy, ReportTrigger
from rollout.models import Feature


@shared_task(name="reports.daily_report")
def daily_report() -> int:
    """The daily rollout report of every feature that is in a phase."""
    made = 0
    for feature in Feature.objects.filter(current_phase__isnull=False).select_related("current_phase"):
        services.report_create(feature=feature, trigger=ReportTrigger.SCHEDULED, actor="schedule")
        made += 1
    return made


@shared_task(name="reports.auto_rollout_tick")
def auto_rollout_tick() -> dict[str, str]:
    """Evaluate the gate of every feature with an automatic-rollout policy; promote or pause as it says."""
    outcomes = {}
    for policy in AutoRolloutPolicy.objects.select_related("feature"):
        outcomes[policy.feature.key] = services.auto_rollout_tick(feature=policy.feature)
    return outcomes
