"""The decision flow through the services: gate evaluation on real ingested data, promotion, automatic mode,
reports. Data goes in through the same telemetry and feedback services the API uses."""

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from feedback import services as feedback_services
from pitwall.errors import ApplicationError
from reports import services, signals
from reports.models import GateEvaluation, RolloutReport
from rollout import services as rollout_services
from rollout.models import AuditEvent, Feature, Installation, PhaseKey, PhaseTransition
from telemetry.schema import parse_batch
from telemetry.services import build_events_ingest

pytestmark = pytest.mark.django_db

SMALL_GATE = {"min_builds": 60, "min_installations": 5, "min_feedback_items": 5}


def _event(kind: str, mode: str, duration_ms: int, outcome: str = "success", **extra: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "kind": kind,
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat().replace("+00:00", "Z"),
        "session_id": str(uuid.uuid4()),
        "command": "watch",
        "mode": mode,
        "variant": "tuned-line-tables" if mode == "fast" else None,
        "profile": "dev",
        "outcome": outcome,
        "duration_ms": duration_ms,
        "env": {"os": "linux", "size_bucket": "medium", "toolchain": "stable", "shim_version": "0.1.0"},
        **extra,
    }


def _ingest(installation: Installation, events: list[dict[str, Any]]) -> None:
    parsed = parse_batch(json.dumps({"schema": 1, "events": events}).encode(), received_at=timezone.now())
    assert not parsed.rejected, parsed.rejected
    build_events_ingest(installation=installation, events=parsed.events)


def _community(
    *,
    count: int = 8,
    fast_ms: int = 6_000,
    normal_ms: int = 25_000,
    fast_failure_share: float = 0.02,
    reload_success_share: float = 0.97,
) -> list[Installation]:
    rng = random.Random(4)
    installations = []
    for _ in range(count):
        installation, _ = rollout_services.installation_register(os="linux")
        rollout_services.installation_set_consent(
            installation=installation, telemetry_consent=True, consent_version="1"
        )
        installation.refresh_from_db()
        events = []
        for _ in range(12):
            failed = rng.random() < fast_failure_share
            events.append(
                _event(
                    "rebuild",
                    "fast",
                    int(fast_ms * rng.uniform(0.8, 1.2)),
                    "failure" if failed else "success",
                )
            )
            events.append(
                _event(
                    "rebuild",
                    "normal",
                    int(normal_ms * rng.uniform(0.8, 1.2)),
                    "failure" if rng.random() < 0.02 else "success",
                )
            )
            ok = rng.random() < reload_success_share
            events.append(
                _event(
                    "hot_reload",
                    "fast",
                    400,
                    "success" if ok else "failure",
                    trigger="view",
                    patch_sent=ok,
                    time_to_patch_ms=300 if ok else None,
                    time_to_reload_ms=None,
                )
            )
        _ingest(installation, events)
        installations.append(installation)
    return installations


def _feedback(texts: list[str]) -> None:
    for n, text in enumerate(texts):
        receipt = feedback_services.feedback_item_upsert(
            source="web", external_id=f"t-{n}", text=text, author_handle=f"dev{n}"
        )
        feedback_services.feedback_item_score(item_id=receipt.item.pk)


POSITIVE = [
    "Fast mode is amazing, rebuilds dropped from 30s to 7s on our medium app!",
    "Hot reload finally works reliably with --fast, love it.",
    "Great work on fast mode, compile times are so much better now.",
    "cargo leptos dev --fast is a huge improvement, thank you!",
    "Really happy with the new fast mode, the dev loop feels snappy.",
    "Excellent: incremental rebuilds are quick and the view patches are instant.",
]
NEGATIVE = [
    "Fast mode keeps crashing the dev server, this is terrible.",
    "Hot reload fails constantly with --fast, completely broken for me.",
    "Awful experience: builds fail with fast mode and the errors are useless.",
    "Fast mode made everything worse, rebuilds fail half the time.",
    "I hate that the hot reload times out every time now.",
    "This is broken, the wasm build fails with fast mode enabled.",
]


@pytest.fixture
def small_gate(fast_mode: Feature) -> Feature:
    assert fast_mode.current_phase is not None
    rollout_services.phase_update(phase=fast_mode.current_phase, actor="t", gate_thresholds=SMALL_GATE)
    for phase in fast_mode.phases.all():
        rollout_services.phase_update(phase=phase, actor="t", gate_thresholds=SMALL_GATE)
    fast_mode.refresh_from_db()
    return fast_mode


def test_gate__no_data__hold_with_inconclusive_criteria(small_gate: Feature) -> None:
    evaluation = services.gate_evaluate(feature=small_gate)
    assert evaluation.recommendation == "hold"
    assert not evaluation.passed
    statuses = {c["key"]: c["status"] for c in evaluation.result["criteria"]}
    assert statuses["rebuild_p50"] == "inconclusive"
    assert statuses["samples"] == "inconclusive"


def test_gate__healthy_community__promote(small_gate: Feature) -> None:
    _community()
    _feedback(POSITIVE)
    evaluation = services.gate_evaluate(feature=small_gate)
    statuses = {c["key"]: c["status"] for c in evaluation.result["criteria"]}
    assert statuses == dict.fromkeys(statuses, "pass"), evaluation.result
    assert evaluation.recommendation == "promote"


def test_promote__gate_passes__moves_to_preview_with_gate_snapshot(small_gate: Feature) -> None:
    _community()
    _feedback(POSITIVE)
    transition = services.feature_promote(feature=small_gate, actor="maintainer", reason="beta gate passed")
    assert transition.to_phase.key == PhaseKey.PREVIEW
    assert transition.gate_snapshot["recommendation"] == "promote"
    assert transition.gate_snapshot["overridden"] is False
    assert AuditEvent.objects.filter(action="rollout.feature.phase_moved", actor="maintainer").exists()


def test_promote__gate_holds__refused_unless_overridden(small_gate: Feature) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        services.feature_promote(feature=small_gate, actor="m", reason="impatient")
    assert excinfo.value.code == "gate_not_passed"
    assert excinfo.value.status_code == 409
    small_gate.refresh_from_db()
    assert small_gate.current_phase is not None and small_gate.current_phase.key == PhaseKey.BETA
    transition = services.feature_promote(
        feature=small_gate, actor="m", reason="known issue", override_gate=True
    )
    assert transition.gate_snapshot["overridden"] is True


def test_gate__fast_builds_fail_often__roll_back(small_gate: Feature) -> None:
    _community(fast_failure_share=0.5)
    _feedback(POSITIVE)
    evaluation = services.gate_evaluate(feature=small_gate)
    assert evaluation.recommendation == "roll_back"
    assert any("failure rate" in reason for reason in evaluation.result["reasons"])


def test_auto_mode__guard_fails__pauses_feature_and_tells_the_bots(
    small_gate: Feature, django_capture_on_commit_callbacks: Any
) -> None:
    services.auto_policy_update(
        feature=small_gate,
        actor="m",
        promote_enabled=True,
        consecutive_passes_required=2,
        pause_on_guard_failure=True,
    )
    _community(reload_success_share=0.4)
    _feedback(NEGATIVE)
    heard: list[dict[str, Any]] = []

    def listener(sender: Any, **kwargs: Any) -> None:
        heard.append(kwargs)

    signals.feature_paused.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            outcome = services.auto_rollout_tick(feature=small_gate)
    finally:
        signals.feature_paused.disconnect(listener)
    assert outcome == "paused"
    small_gate.refresh_from_db()
    assert small_gate.enabled is False
    killed = AuditEvent.objects.get(action="rollout.feature.killed")
    assert killed.actor == "auto-rollout"
    assert "Guard failed" in killed.reason
    assert heard and heard[0]["feature"].pk == small_gate.pk


def test_auto_mode__promotes_after_n_consecutive_passes(small_gate: Feature) -> None:
    services.auto_policy_update(
        feature=small_gate,
        actor="m",
        promote_enabled=True,
        consecutive_passes_required=3,
        pause_on_guard_failure=True,
    )
    _community()
    _feedback(POSITIVE)
    assert services.auto_rollout_tick(feature=small_gate) == "evaluated"
    assert services.auto_rollout_tick(feature=small_gate) == "evaluated"
    assert services.auto_rollout_tick(feature=small_gate) == "promoted"
    small_gate.refresh_from_db()
    assert small_gate.current_phase is not None and small_gate.current_phase.key == PhaseKey.PREVIEW
    transition = PhaseTransition.objects.filter(feature=small_gate).first()
    assert transition is not None and transition.actor == "auto-rollout"
    assert GateEvaluation.objects.filter(feature=small_gate).count() == 4  # three ticks + the promotion's own


def test_auto_mode__disabled__only_evaluates(small_gate: Feature) -> None:
    services.auto_policy_update(
        feature=small_gate,
        actor="m",
        promote_enabled=False,
        consecutive_passes_required=1,
        pause_on_guard_failure=False,
    )
    _community()
    _feedback(POSITIVE)
    assert services.auto_rollout_tick(feature=small_gate) == "evaluated"
    small_gate.refresh_from_db()
    assert small_gate.current_phase is not None and small_gate.current_phase.key == PhaseKey.BETA


def test_report__renders_markdown_and_html_with_every_section(small_gate: Feature) -> None:
    _community()
    _feedback(POSITIVE + NEGATIVE[:2])
    report = services.report_create(feature=small_gate, trigger="on_demand", actor="m")
    assert RolloutReport.objects.count() == 1
    for heading in [
        "### Gate",
        "### Build times",
        "### Hot reload",
        "### Trend",
        "### Where time goes",
        "### Bottlenecks and recommendations",
        "### Developer sentiment",
        "### Top pain points",
        "### Participation",
    ]:
        assert heading in report.markdown, heading
    assert report.markdown.startswith("<!-- pitwall:rollout-report -->")
    assert "Recommendation:" in report.markdown
    assert "<table>" in report.html
    assert report.data["participation"]["consenting_installations"] == 8
    assert json.loads(json.dumps(report.data)) == report.data


def test_report__feedback_html_is_escaped(small_gate: Feature) -> None:
    _feedback(["<script>alert('x')</script> fast mode builds fail and it is awful and broken"] * 1)
    report = services.report_create(feature=small_gate, trigger="on_demand", actor="m")
    assert "<script>" not in report.html


def test_report__unknown_trigger__refused(small_gate: Feature) -> None:
    with pytest.raises(ApplicationError):
        services.report_create(feature=small_gate, trigger="whenever", actor="m")
