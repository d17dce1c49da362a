"""Reads of the reports app."""

from django.db.models import QuerySet

from reports.models import GateEvaluation, RolloutReport
from rollout.models import Feature


def reports_of(*, feature: Feature) -> QuerySet[RolloutReport]:
    return RolloutReport.objects.filter(feature=feature).select_related("feature", "phase")


def latest_report(*, feature: Feature) -> RolloutReport | None:
    return reports_of(feature=feature).first()


def latest_gate_evaluation(*, feature: Feature) -> GateEvaluation | None:
    return GateEvaluation.objects.filter(feature=feature).select_related("phase").first()
