"""Writes of the reports app: gate evaluations, promotion, automatic mode, reports. One transaction each."""

import logging
from dataclasses import asdict
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from pitwall.errors import ApplicationError
from reports import inputs, render, signals
from reports.gates import evaluate_gate
from reports.models import AutoRolloutPolicy, GateEvaluation, Recommendation, ReportTrigger, RolloutReport
from rollout import selectors as rollout_selectors
from rollout import services as rollout_services
from rollout.audit import Actor, actor_label, audit_record
from rollout.models import Feature, PhaseTransition

logger = logging.getLogger(__name__)


@transaction.atomic
def gate_evaluate(*, feature: Feature) -> GateEvaluation:
    """Evaluate the current phase's gate on the data of the phase so far and record it."""
    phase = feature.current_phase
    if phase is None:
        raise ApplicationError("The feature has no current phase.", code="no_phase")
    gate_inputs = inputs.gate_inputs(feature=feature, phase=phase)
    result = evaluate_gate(gate_inputs, phase.gate_thresholds)
    return GateEvaluation.objects.create(
        feature=feature,
        phase=phase,
        inputs=asdict(gate_inputs),
        result=result.to_dict(),
        recommendation=result.recommendation,
        passed=result.passed,
    )


@transaction.atomic
def feature_promote(
    *, feature: Feature, actor: Actor, reason: str, override_gate: bool = False
) -> PhaseTransition:
    """Move to the next phase after a fresh gate evaluation; a gate that does not pass needs an explicit override."""
    next_phase = rollout_selectors.feature_next_phase(feature)
    if next_phase is None:
        raise ApplicationError("The feature is already in its last phase.", code="no_next_phase")
    evaluation = gate_evaluate(feature=feature)
    if evaluation.recommendation != Recommendation.PROMOTE and not override_gate:
        raise ApplicationError(
            f"The gate recommends {evaluation.get_recommendation_display().lower()}; "
            "confirm an override to promote anyway.",
            code="gate_not_passed",
            status_code=409,
            details={"gate": evaluation.result},
        )
    snapshot = {"evaluation_id": evaluation.pk, "overridden": override_gate, **evaluation.result}
    return rollout_services.feature_move_to_phase(
        feature=feature, phase=next_phase, actor=actor, reason=reason, gate_snapshot=snapshot
    )


@transaction.atomic
def auto_policy_update(
    *,
    feature: Feature,
    actor: Actor,
    promote_enabled: bool,
    consecutive_passes_required: int,
    pause_on_guard_failure: bool,
) -> AutoRolloutPolicy:
    if not 1 <= consecutive_passes_required <= 30:
        raise ApplicationError("Consecutive passes must be between 1 and 30.", code="invalid_policy")
    policy, _ = AutoRolloutPolicy.objects.get_or_create(feature=feature)
    before = {
        "promote_enabled": policy.promote_enabled,
        "consecutive_passes_required": policy.consecutive_passes_required,
        "pause_on_guard_failure": policy.pause_on_guard_failure,
    }
    policy.promote_enabled = promote_enabled
    policy.consecutive_passes_required = consecutive_passes_required
    policy.pause_on_guard_failure = pause_on_guard_failure
    policy.save()
    audit_record(
        actor=actor,
        action="reports.auto_policy.updated",
        instance=policy,
        before=before,
        after={
            "promote_enabled": promote_enabled,
            "consecutive_passes_required": consecutive_passes_required,
            "pause_on_guard_failure": pause_on_guard_failure,
        },
    )
    return policy


@transaction.atomic
def auto_rollout_tick(*, feature: Feature) -> str:
    """One step of automatic mode: evaluate; pause on a failed guard; promote after N passes in a row."""
    feature = Feature.objects.select_for_update(of=("self",)).select_related("current_phase").get(pk=feature.pk)
    policy = AutoRolloutPolicy.objects.filter(feature=feature).first()
    if feature.current_phase is None or not feature.enabled:
        return "skipped"
    evaluation = gate_evaluate(feature=feature)
    if policy is None:
        return "evaluated"
    if evaluation.recommendation == Recommendation.ROLL_BACK and policy.pause_on_guard_failure:
        reasons = list(evaluation.result.get("reasons", []))
        rollout_services.feature_set_enabled(
            feature=feature, enabled=False, actor="auto-rollout", reason="Guard failed: " + "; ".join(reasons)
        )
        transaction.on_commit(
            lambda: signals.feature_paused.send(sender=Feature, feature=feature, reasons=reasons)
        )
        logger.warning("reports.feature.paused feature=%s reasons=%s", feature.key, reasons)
        return "paused"
    if not policy.promote_enabled:
        return "evaluated"
    recent = list(
        GateEvaluation.objects.filter(feature=feature, phase=feature.current_phase)
        .order_by("-created_at", "-id")
        .values_list("passed", flat=True)[: policy.consecutive_passes_required]
    )
    if len(recent) == policy.consecutive_passes_required and all(recent):
        if rollout_selectors.feature_next_phase(feature) is None:
            return "evaluated"
        feature_promote(
            feature=feature,
            actor="auto-rollout",
            reason=f"Gate passed {policy.consecutive_passes_required} evaluations in a row.",
        )
        return "promoted"
    return "evaluated"


@transaction.atomic
def report_create(*, feature: Feature, trigger: str, actor: Actor, days: int = 14) -> RolloutReport:
    """Snapshot the rollout (gate, trends, reliability, bottlenecks, sentiment, pain points) in JSON, Markdown, HTML."""
    if trigger not in ReportTrigger.values:
        raise ApplicationError(f"Unknown trigger {trigger!r}.", code="invalid_trigger")
    window_end = timezone.now()
    window_start = window_end - timedelta(days=days)
    evaluation = gate_evaluate(feature=feature) if feature.current_phase is not None else None
    data = inputs.report_data(feature=feature, window_start=window_start, window_end=window_end)
    data["gate"] = evaluation.result if evaluation else None
    data["recommendation"] = evaluation.recommendation if evaluation else Recommendation.HOLD
    report = RolloutReport.objects.create(
        feature=feature,
        phase=feature.current_phase,
        gate_evaluation=evaluation,
        trigger=trigger,
        created_by=actor_label(actor),
        recommendation=data["recommendation"],
        window_start=window_start,
        window_end=window_end,
        data=data,
        markdown=render.report_markdown(data),
        html=render.report_html(data),
    )
    audit_record(
        actor=actor,
        action="reports.report.created",
        instance=report,
        after={"recommendation": report.recommendation, "trigger": trigger},
    )
    transaction.on_commit(lambda: signals.report_created.send(sender=RolloutReport, report=report))
    return report
