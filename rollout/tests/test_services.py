from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from pitwall.errors import ApplicationError
from rollout import services
from rollout.engine import Snapshot
from rollout.mappers import client_features_payload
from rollout.models import AuditEvent, EnrollmentCode, Feature, Installation, Phase, PhaseKey, Ring, Strategy

pytestmark = pytest.mark.django_db


def _enabled_for(feature_key: str, installation_ids: list[str], ring: str = "general") -> set[str]:
    snapshot = Snapshot.from_client_features(client_features_payload())
    return {
        iid
        for iid in installation_ids
        if snapshot.is_enabled(feature_key, {"userId": iid, "properties": {"ring": ring}})
    }


def test_bootstrap__fresh_database__defines_fast_mode_in_beta(fast_mode: Feature) -> None:
    phases = list(fast_mode.phases.order_by("order").values_list("key", flat=True))
    assert phases == [PhaseKey.BETA, PhaseKey.PREVIEW, PhaseKey.GA]
    assert fast_mode.current_phase is not None and fast_mode.current_phase.key == PhaseKey.BETA
    assert [v["name"] for v in fast_mode.variants] == ["plan-dev-fast", "tuned-line-tables"]
    assert all('"panic"' not in v["payload"]["value"] for v in fast_mode.variants)
    strategies = list(fast_mode.strategies.all())
    assert len(strategies) == 1
    assert strategies[0].constraints[0]["values"] == ["beta"]


def test_bootstrap__run_twice__changes_nothing(fast_mode: Feature) -> None:
    from rollout.bootstrap import bootstrap_fast_mode

    before = AuditEvent.objects.count()
    feature, created = bootstrap_fast_mode()
    assert not created and feature.pk == fast_mode.pk
    assert AuditEvent.objects.count() == before


def test_move_to_phase__preview__applies_template_and_records_transition(fast_mode: Feature) -> None:
    preview = fast_mode.phases.get(key=PhaseKey.PREVIEW)
    transition = services.feature_move_to_phase(
        feature=fast_mode, phase=preview, actor="tester", reason="beta gate passed"
    )
    fast_mode.refresh_from_db()
    assert fast_mode.current_phase == preview
    assert transition.from_phase is not None and transition.from_phase.key == PhaseKey.BETA
    assert transition.strategies_before[0]["constraints"][0]["values"] == ["beta"]
    assert transition.strategies_after[0]["constraints"][0]["values"] == ["beta", "preview"]
    event = AuditEvent.objects.filter(action="rollout.feature.phase_moved").first()
    assert event is not None and event.actor == "tester" and event.reason == "beta gate passed"
    assert event.before is not None and event.before["phase"] == "beta"
    assert event.after is not None and event.after["phase"] == "preview"


def test_move_to_phase__ga__everyone_gets_it(fast_mode: Feature) -> None:
    ga = fast_mode.phases.get(key=PhaseKey.GA)
    services.feature_move_to_phase(feature=fast_mode, phase=ga, actor="tester", reason="GA")
    ids = [f"inst-{n}" for n in range(200)]
    assert _enabled_for("fast-mode", ids) == set(ids)


def test_move_to_phase__without_reason__refused(fast_mode: Feature) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        services.feature_move_to_phase(
            feature=fast_mode, phase=fast_mode.phases.get(key=PhaseKey.GA), actor="t", reason=" "
        )
    assert excinfo.value.code == "reason_required"


def test_preview_percentage__raised__only_adds_installations(fast_mode: Feature) -> None:
    preview = fast_mode.phases.get(key=PhaseKey.PREVIEW)
    services.feature_move_to_phase(feature=fast_mode, phase=preview, actor="t", reason="preview")
    ids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(2000)]
    previous: set[str] = set()
    for percentage in (0, 5, 10, 25, 50, 75, 100):
        services.phase_update(phase=preview, actor="t", rollout_percentage=percentage)
        enabled = _enabled_for("fast-mode", ids)
        assert previous <= enabled, f"raising to {percentage} % removed installations"
        assert abs(len(enabled) - len(ids) * percentage / 100) <= len(ids) * 0.04
        previous = enabled


def test_preview__enrolled_rings_always_in(fast_mode: Feature) -> None:
    services.feature_move_to_phase(
        feature=fast_mode, phase=fast_mode.phases.get(key=PhaseKey.PREVIEW), actor="t", reason="preview"
    )
    ids = [f"id-{n}" for n in range(100)]
    assert _enabled_for("fast-mode", ids, ring="preview") == set(ids)
    assert _enabled_for("fast-mode", ids, ring="beta") == set(ids)
    assert _enabled_for("fast-mode", ids, ring="general") == set()


def test_kill_switch__off__everyone_off_and_audited(fast_mode: Feature) -> None:
    services.feature_set_enabled(feature=fast_mode, enabled=False, actor="tester", reason="crash reports")
    assert _enabled_for("fast-mode", ["a", "b"], ring="beta") == set()
    event = AuditEvent.objects.get(action="rollout.feature.killed")
    assert event.before is not None and event.before["enabled"] is True
    assert event.after is not None and event.after["enabled"] is False


def test_strategy_save__invalid_constraint__refused_and_nothing_written(fast_mode: Feature) -> None:
    count = Strategy.objects.count()
    with pytest.raises(ApplicationError) as excinfo:
        services.strategy_save(
            feature=fast_mode,
            actor="t",
            name="flexibleRollout",
            parameters={"rollout": "50"},
            constraints=[{"contextName": "os", "operator": "NOT_AN_OPERATOR", "values": ["linux"]}],
        )
    assert excinfo.value.code == "invalid_constraints"
    assert Strategy.objects.count() == count


def test_phase_update__bad_percentage__refused(fast_mode: Feature) -> None:
    with pytest.raises(ApplicationError):
        services.phase_update(
            phase=fast_mode.phases.get(key=PhaseKey.PREVIEW), actor="t", rollout_percentage=101
        )


def _web_enrollment(ring: str = "beta") -> EnrollmentCode:
    participant = services.participant_upsert(handle="ferris")
    _, code = services.enrollment_create(
        participant=participant, ring=ring, source="web", consent_text_version="1", actor="web"
    )
    assert code is not None
    return code


def test_link__valid_code__installation_joins_ring(make_installation: Any) -> None:
    installation, _ = make_installation()
    code = _web_enrollment("beta")
    services.installation_link(installation=installation, code=code.display.lower())
    installation.refresh_from_db()
    assert installation.ring == Ring.BETA


@pytest.mark.parametrize(
    ("prepare", "expected"),
    [
        ("used", "enrollment_code_used"),
        ("expired", "enrollment_code_expired"),
        ("garbage", "enrollment_code_invalid"),
        ("unknown", "enrollment_code_invalid"),
    ],
)
def test_link__bad_code__refused_without_changes(make_installation: Any, prepare: str, expected: str) -> None:
    installation, _ = make_installation()
    other, _ = make_installation()
    code = _web_enrollment()
    text = code.plaintext
    if prepare == "used":
        services.installation_link(installation=other, code=code.plaintext)
    elif prepare == "expired":
        EnrollmentCode.objects.filter(pk=code.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif prepare == "garbage":
        text = "not a code!"
    elif prepare == "unknown":
        text = "ZZZZZZZZ"
    with pytest.raises(ApplicationError) as excinfo:
        services.installation_link(installation=installation, code=text)
    assert excinfo.value.code == expected
    installation.refresh_from_db()
    assert installation.ring == Ring.GENERAL and installation.participant is None


def test_leave__participant__installations_fall_back_to_general(make_installation: Any) -> None:
    installation, _ = make_installation()
    code = _web_enrollment("preview")
    services.installation_link(installation=installation, code=code.plaintext)
    participant = code.enrollment.participant
    assert participant is not None
    assert services.enrollment_leave(participant=participant, actor="web")
    installation.refresh_from_db()
    assert installation.ring == Ring.GENERAL


def test_enrollment__ring_change__moves_linked_installations(make_installation: Any) -> None:
    installation, _ = make_installation()
    code = _web_enrollment("beta")
    services.installation_link(installation=installation, code=code.plaintext)
    participant = code.enrollment.participant
    assert participant is not None
    services.enrollment_create(
        participant=participant, ring="preview", source="discord", consent_text_version="1", actor="discord"
    )
    installation.refresh_from_db()
    assert installation.ring == Ring.PREVIEW
    assert participant.enrollments.filter(left_at__isnull=True).count() == 1


def test_installation_delete__no_row_keeps_its_id(make_installation: Any) -> None:
    installation, _ = make_installation()
    services.installation_set_consent(installation=installation, telemetry_consent=True, consent_version="1")
    code = _web_enrollment()
    services.installation_link(installation=installation, code=code.plaintext)
    installation_id = installation.pk
    services.installation_delete(installation=installation)
    assert not Installation.objects.filter(pk=installation_id).exists()
    assert not AuditEvent.objects.filter(object_id=str(installation_id)).exists()
    assert not EnrollmentCode.objects.filter(used_by_id=installation_id).exists()
    assert AuditEvent.objects.filter(action="rollout.installation.deleted").count() == 1


def test_token__stored_only_as_digest(make_installation: Any) -> None:
    installation, token = make_installation()
    assert token not in installation.token_hash
    assert not Installation.objects.filter(token_hash=token).exists()


def test_phase_gate_thresholds__defaults_from_plan(fast_mode: Feature) -> None:
    beta = Phase.objects.get(feature=fast_mode, key=PhaseKey.BETA)
    assert beta.gate_thresholds["rebuild_p50_ms_max"] == 10_000
    assert beta.gate_thresholds["hot_reload_success_min"] == 0.9
