"""The reports API through HTTP: staff only; promotion refused with the gate's reasons when it does not pass."""

from typing import Any

import pytest

from rollout.models import Feature

pytestmark = pytest.mark.django_db


def test_gate_api__staff__returns_criteria_with_numbers(staff_client: Any, fast_mode: Feature) -> None:
    response = staff_client.post("/api/v1/features/fast-mode/gate")
    assert response.status_code == 200
    body = response.json()
    assert body["phase"] == "beta"
    assert body["recommendation"] == "hold"
    assert {c["key"] for c in body["criteria"]} >= {"rebuild_p50", "improvement", "hot_reload", "samples"}
    assert all("n" in c and "detail" in c for c in body["criteria"])


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/v1/features/fast-mode/gate"),
        ("post", "/api/v1/features/fast-mode/promote"),
        ("get", "/api/v1/features/fast-mode/reports"),
        ("post", "/api/v1/features/fast-mode/reports"),
        ("get", "/api/v1/reports/1"),
    ],
)
def test_reports_api__anonymous_or_installation__refused(
    api: Any, installation_client: Any, fast_mode: Feature, method: str, url: str
) -> None:
    assert getattr(api, method)(url).status_code in (401, 403)
    client, _ = installation_client
    assert getattr(client, method)(url).status_code in (401, 403)


def test_promote_api__gate_holds__409_with_gate(staff_client: Any, fast_mode: Feature) -> None:
    response = staff_client.post(
        "/api/v1/features/fast-mode/promote", {"reason": "go"}, content_type="application/json"
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "gate_not_passed"
    assert error["details"]["gate"]["recommendation"] == "hold"
    fast_mode.refresh_from_db()
    assert fast_mode.current_phase is not None and fast_mode.current_phase.key == "beta"


def test_promote_api__override__moves_to_preview(staff_client: Any, fast_mode: Feature) -> None:
    response = staff_client.post(
        "/api/v1/features/fast-mode/promote",
        {"reason": "maintainers agreed", "override_gate": True},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["phase"] == "preview"


def test_report_api__create_list_detail(staff_client: Any, fast_mode: Feature) -> None:
    created = staff_client.post("/api/v1/features/fast-mode/reports")
    assert created.status_code == 201
    report_id = created.json()["id"]
    assert created.json()["markdown"].startswith("<!-- pitwall:rollout-report -->")
    listing = staff_client.get("/api/v1/features/fast-mode/reports").json()
    assert [r["id"] for r in listing["reports"]] == [report_id]
    detail = staff_client.get(f"/api/v1/reports/{report_id}").json()
    assert detail["data"]["feature"] == "fast-mode"


def test_report_api__unknown_feature__404(staff_client: Any, db: Any) -> None:
    assert staff_client.get("/api/v1/features/nope/reports").status_code == 404


# --- found by tests/test_api_fuzz.py ----------------------------------------------------------------------------


def test_reports_api__refusals_and_bodies_documented(api: Any) -> None:
    import json

    paths = json.loads(api.get("/api/schema/?format=json").content)["paths"]
    operations = [("/api/v1/features/{key}/gate", "post", "200"), ("/api/v1/features/{key}/promote", "post", "200"),
                  ("/api/v1/features/{key}/reports", "get", "200"), ("/api/v1/features/{key}/reports", "post", "201"),
                  ("/api/v1/reports/{report_id}", "get", "200")]
    for path, method, success in operations:
        responses = paths[path][method]["responses"]
        assert {"401", "403", "404"} <= set(responses), path  # the anonymous and installation answers above
        assert "schema" in responses[success]["content"]["application/json"], path  # checked, not just described


def test_gate_api__body_matches_documented_criteria(staff_client: Any, fast_mode: Feature) -> None:
    body = staff_client.post("/api/v1/features/fast-mode/gate").json()
    assert set(body) == {"id", "phase", "passed", "recommendation", "reasons", "criteria"}
    assert {"key", "label", "status", "detail", "measured", "threshold", "n", "guard"} == set(body["criteria"][0])
