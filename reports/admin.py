"""Reports in the admin: read-only snapshots and evaluations; the auto policy is edited through the services."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from reports import services
from reports.models import AutoRolloutPolicy, GateEvaluation, RolloutReport
from rollout.admin import ReadOnlyAdmin


@admin.register(GateEvaluation)
class GateEvaluationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "feature", "phase", "recommendation", "passed"]
    list_filter = ["feature", "recommendation", "passed"]


@admin.register(RolloutReport)
class RolloutReportAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "feature", "phase", "recommendation", "trigger", "created_by"]
    list_filter = ["feature", "recommendation", "trigger"]


@admin.register(AutoRolloutPolicy)
class AutoRolloutPolicyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["feature", "promote_enabled", "consecutive_passes_required", "pause_on_guard_failure"]
    fields = ["feature", "promote_enabled", "consecutive_passes_required", "pause_on_guard_failure"]

    def save_model(self, request: HttpRequest, obj: AutoRolloutPolicy, form: Any, change: bool) -> None:
        saved = services.auto_policy_update(
            feature=form.cleaned_data["feature"],
            actor=request.user,
            promote_enabled=form.cleaned_data["promote_enabled"],
            consecutive_passes_required=form.cleaned_data["consecutive_passes_required"],
            pause_on_guard_failure=form.cleaned_data["pause_on_guard_failure"],
        )
        obj.pk = saved.pk
