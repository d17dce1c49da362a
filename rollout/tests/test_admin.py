"""The maintainer admin goes through the services: same validation, same audit trail."""

import json
from typing import Any

import pytest

from rollout.models import AuditEvent, Feature, PhaseKey, Strategy

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "/admin/rollout/feature/",
    "/admin/rollout/strategy/",
    "/admin/rollout/segment/",
    "/admin/rollout/phase/",
    "/admin/rollout/phasetransition/",
    "/admin/rollout/participant/",
    "/admin/rollout/installation/",
    "/admin/rollout/enrollment/",
    "/admin/rollout/enrollmentcode/",
    "/admin/rollout/auditevent/",
    "/admin/rollout/strategy/add/",
    "/admin/rollout/segment/add/",
]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_admin_pages__render_for_staff(staff_client: Any, fast_mode: Feature, url: str) -> None:
    assert staff_client.get(url).status_code == 200


def test_admin__anonymous__redirected_to_login(client: Any, fast_mode: Feature) -> None:
    response = client.get("/admin/rollout/feature/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_move_phase__with_confirmation__moves_and_audits(staff_client: Any, fast_mode: Feature) -> None:
    url = f"/admin/rollout/feature/{fast_mode.pk}/move-phase/"
    assert b"Apply phase" in staff_client.get(url).content
    preview = fast_mode.phases.get(key=PhaseKey.PREVIEW)
    unconfirmed = staff_client.post(url, {"phase": preview.pk, "reason": "gate passed"})
    assert unconfirmed.status_code == 200  # the form asks for the confirmation box
    fast_mode.refresh_from_db()
    assert fast_mode.current_phase is not None and fast_mode.current_phase.key == PhaseKey.BETA
    response = staff_client.post(url, {"phase": preview.pk, "reason": "gate passed", "confirm": "on"})
    assert response.status_code == 302
    fast_mode.refresh_from_db()
    assert fast_mode.current_phase == preview
    event = AuditEvent.objects.get(action="rollout.feature.phase_moved", actor="user:maintainer")
    assert event.reason == "gate passed"


def _feature_form(feature: Feature, **changes: Any) -> dict[str, Any]:
    data = {
        "description": feature.description,
        "enabled": "on" if feature.enabled else "",
        "variants": json.dumps(feature.variants),
        "dependencies": json.dumps(feature.dependencies),
        "change_reason": "",
        "strategies-TOTAL_FORMS": "0",
        "strategies-INITIAL_FORMS": "0",
        "strategies-MIN_NUM_FORMS": "0",
        "strategies-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != "" or k == "change_reason"}


def test_admin_kill_switch__needs_reason__then_audited(staff_client: Any, fast_mode: Feature) -> None:
    url = f"/admin/rollout/feature/{fast_mode.pk}/change/"
    form = _feature_form(fast_mode)
    form.pop("enabled")
    refused = staff_client.post(url, form)
    assert refused.status_code == 200 and b"Say why the kill switch is flipped" in refused.content
    fast_mode.refresh_from_db()
    assert fast_mode.enabled
    form["change_reason"] = "panics on Windows"
    assert staff_client.post(url, form).status_code == 302
    assert Feature.objects.get(pk=fast_mode.pk).enabled is False
    event = AuditEvent.objects.get(action="rollout.feature.killed")
    assert event.actor == "user:maintainer" and event.reason == "panics on Windows"


def test_admin_strategy__invalid_constraint_json__refused(staff_client: Any, fast_mode: Feature) -> None:
    count = Strategy.objects.count()
    response = staff_client.post(
        "/admin/rollout/strategy/add/",
        {
            "feature": fast_mode.pk,
            "sort_order": 5,
            "name": "flexibleRollout",
            "title": "bad",
            "parameters": json.dumps({"rollout": "10"}),
            "constraints": json.dumps([{"contextName": "os", "operator": "LIKE", "values": ["linux"]}]),
            "variants": "[]",
        },
    )
    assert response.status_code == 200
    assert b"errornote" in response.content or b"errorlist" in response.content
    assert Strategy.objects.count() == count


def test_admin_strategy__valid__saved_through_service(staff_client: Any, fast_mode: Feature) -> None:
    response = staff_client.post(
        "/admin/rollout/strategy/add/",
        {
            "feature": fast_mode.pk,
            "sort_order": 5,
            "name": "flexibleRollout",
            "title": "linux 10 %",
            "parameters": json.dumps({"rollout": "10", "stickiness": "default"}),
            "constraints": json.dumps([{"contextName": "os", "operator": "IN", "values": ["linux"]}]),
            "variants": "[]",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert AuditEvent.objects.filter(action="rollout.strategy.created", actor="user:maintainer").exists()


def test_home_page__renders(client: Any, fast_mode: Feature) -> None:
    response = client.get("/")
    assert response.status_code == 200 and b"fast-mode" in response.content
