"""Gate evaluations, rollout reports and the automatic-rollout policy."""

from django.conf import settings
from django.db import models

from rollout.models import Feature, Phase


class Recommendation(models.TextChoices):
    PROMOTE = "promote", "Promote"
    HOLD = "hold", "Hold"
    ROLL_BACK = "roll_back", "Roll back"


class GateEvaluation(models.Model):
    """One evaluation of the current phase's gate: the inputs and the verdict, for the trail and auto mode."""

    feature = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="gate_evaluations")
    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="gate_evaluations")
    inputs = models.JSONField()
    result = models.JSONField()
    recommendation = models.CharField(max_length=10, choices=Recommendation.choices)
    passed = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.feature_id} {self.phase_id} {self.recommendation} {self.created_at:%Y-%m-%d %H:%M}"


class ReportTrigger(models.TextChoices):
    SCHEDULED = "scheduled", "Daily schedule"
    ON_DEMAND = "on_demand", "On demand"


class RolloutReport(models.Model):
    """A frozen snapshot of the rollout: the data (JSON) and its Markdown and HTML renderings."""

    feature = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="reports")
    phase = models.ForeignKey(Phase, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    gate_evaluation = models.ForeignKey(
        GateEvaluation, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    trigger = models.CharField(max_length=10, choices=ReportTrigger.choices)
    created_by = models.CharField(max_length=200)
    recommendation = models.CharField(max_length=10, choices=Recommendation.choices)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    data = models.JSONField()
    markdown = models.TextField()
    html = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Report {self.pk} for {self.feature_id} ({self.created_at:%Y-%m-%d})"


class AutoRolloutPolicy(models.Model):
    """Optional automatic mode for a feature: promote after N passing evaluations, pause when a guard fails."""

    feature = models.OneToOneField(Feature, on_delete=models.CASCADE, related_name="auto_policy")
    promote_enabled = models.BooleanField(default=False)
    consecutive_passes_required = models.PositiveSmallIntegerField(default=3)
    pause_on_guard_failure = models.BooleanField(default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Auto rollout for {self.feature_id}"
