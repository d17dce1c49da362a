"""The shim's API through HTTP: installations, consent, opt-out, linking, web enrollment."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from rollout.models import AuditEvent, Installation

pytestmark = pytest.mark.django_db


def test_register__returns_token_once_and_stores_digest(api: APIClient) -> None:
    response = api.post(
        "/api/v1/installations",
        {"platform": {"os": "linux", "arch": "x86_64", "shim_version": "0.1.0"}},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    installation = Installation.objects.get(pk=body["installation_id"])
    assert body["token"].startswith("pwi_") and body["token"] not in installation.token_hash
    assert (
        installation.os == "linux" and installation.ring == "general" and not installation.telemetry_consent
    )


def test_register__unknown_os__400_with_machine_readable_error(api: APIClient) -> None:
    response = api.post("/api/v1/installations", {"platform": {"os": "beos"}}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "platform" in response.json()["error"]["details"]
    assert not Installation.objects.exists()


def test_register__malformed_json__400(api: APIClient) -> None:
    response = api.generic("POST", "/api/v1/installations", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


def test_me__bad_token__401(api: APIClient) -> None:
    api.credentials(HTTP_AUTHORIZATION="Bearer pwi_nope")
    response = api.get("/api/v1/installations/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_token"
    assert response["WWW-Authenticate"] == "Bearer"


def test_me__no_token__401(api: APIClient, db: Any) -> None:
    assert api.get("/api/v1/installations/me").status_code == 401


def test_me__consent_on_then_off(installation_client: Any) -> None:
    client, installation = installation_client
    body = client.get("/api/v1/installations/me").json()
    assert body["installation_id"] == str(installation.pk) and body["telemetry_consent"] is False
    response = client.patch(
        "/api/v1/installations/me", {"telemetry_consent": True, "consent_version": "1"}, format="json"
    )
    assert response.status_code == 200 and response.json()["telemetry_consent"] is True
    assert response.json()["consent_version"] == "1" and response.json()["consent_at"]
    response = client.patch("/api/v1/installations/me", {"telemetry_consent": False}, format="json")
    assert response.json()["telemetry_consent"] is False


def test_me__patch_cannot_claim_a_ring(installation_client: Any) -> None:
    client, installation = installation_client
    response = client.patch(
        "/api/v1/installations/me", {"telemetry_consent": True, "ring": "beta"}, format="json"
    )
    assert response.status_code == 200 and response.json()["ring"] == "general"
    installation.refresh_from_db()
    assert installation.ring == "general"


def test_me__delete__opts_out_and_token_stops_working(installation_client: Any) -> None:
    client, installation = installation_client
    assert client.delete("/api/v1/installations/me").status_code == 204
    assert not Installation.objects.filter(pk=installation.pk).exists()
    assert client.get("/api/v1/installations/me").status_code == 401


def test_enroll_on_web_then_link_from_shim(api: APIClient, installation_client: Any) -> None:
    response = api.post(
        "/api/v1/enrollments", {"handle": "gbj", "ring": "beta", "consent": True}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["shim_command"] == f"leptos-fast enroll {body['code']}"
    client, _ = installation_client
    linked = client.post("/api/v1/installations/me/link", {"code": body["code"]}, format="json")
    assert linked.status_code == 200 and linked.json()["ring"] == "beta"
    assert client.get("/api/v1/installations/me").json()["ring"] == "beta"
    again = client.post("/api/v1/installations/me/link", {"code": body["code"]}, format="json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "enrollment_code_used"


def test_enroll__without_consent__refused(api: APIClient) -> None:
    response = api.post("/api/v1/enrollments", {"handle": "gbj", "consent": False}, format="json")
    assert response.status_code == 400
    assert "consent" in response.json()["error"]["details"]


def test_link__garbage_code__400(installation_client: Any) -> None:
    client, _ = installation_client
    response = client.post("/api/v1/installations/me/link", {"code": "!!"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "enrollment_code_invalid"


def test_register__throttled_after_limit(api: APIClient, settings: Any) -> None:
    from rest_framework.settings import api_settings
    from rest_framework.throttling import ScopedRateThrottle

    rates: dict[str, Any] = {**api_settings.DEFAULT_THROTTLE_RATES, "installation_register": "2/hour"}
    original = ScopedRateThrottle.THROTTLE_RATES
    ScopedRateThrottle.THROTTLE_RATES = rates
    try:
        codes = [api.post("/api/v1/installations", {}, format="json").status_code for _ in range(3)]
    finally:
        ScopedRateThrottle.THROTTLE_RATES = original
    assert codes == [201, 201, 429]


def test_token__never_in_audit_log(api: APIClient) -> None:
    token = api.post("/api/v1/installations", {}, format="json").json()["token"]
    for event in AuditEvent.objects.all():
        assert token not in str(event.before) and token not in str(event.after)


def test_schema__documents_every_operation(api: APIClient, db: Any) -> None:
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    import json

    schema = json.loads(response.content)
    paths = schema["paths"]
    for path in [
        "/api/v1/installations",
        "/api/v1/installations/me",
        "/api/v1/installations/me/link",
        "/api/v1/enrollments",
        "/ofrep/v1/evaluate/flags",
        "/ofrep/v1/evaluate/flags/{key}",
    ]:
        assert path in paths, path


def test_docs_page__renders_without_cdn(api: APIClient, db: Any) -> None:
    response = api.get("/api/docs/")
    assert response.status_code == 200
    assert b"cdn." not in response.content and b"jsdelivr" not in response.content


# --- found by tests/test_api_fuzz.py ----------------------------------------------------------------------------


def _operation(api: APIClient, path: str, method: str) -> dict[str, Any]:
    import json

    operation: dict[str, Any] = json.loads(api.get("/api/schema/?format=json").content)["paths"][path][method]
    return operation


@pytest.mark.parametrize(
    "payload",
    [
        {"telemetry_consent": False, "consent_version": 0},  # DRF would store "0"
        {"telemetry_consent": "yes"},  # DRF would read True
        {"telemetry_consent": 1},
    ],
)
def test_me__patch_wrong_json_type__400(installation_client: Any, payload: dict[str, Any]) -> None:
    client, installation = installation_client
    response = client.patch("/api/v1/installations/me", payload, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"
    installation.refresh_from_db()
    assert installation.telemetry_consent is False and installation.consent_version == ""


def test_me__patch_without_consent__400_and_documented_required(installation_client: Any) -> None:
    client, _ = installation_client
    assert client.patch("/api/v1/installations/me", {}, format="json").status_code == 400
    body = _operation(client, "/api/v1/installations/me", "patch")["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("/ConsentInputRequest")  # not a "Patched" copy without `required`


def test_register__number_for_arch__400(api: APIClient, db: Any) -> None:
    response = api.post("/api/v1/installations", {"platform": {"arch": 86}}, format="json")
    assert response.status_code == 400 and "arch" in response.json()["error"]["details"]["platform"]


def test_link__code_that_cannot_be_one__400_and_format_documented(installation_client: Any) -> None:
    client, _ = installation_client
    response = client.post("/api/v1/installations/me/link", {"code": "0000000000000000000"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "enrollment_code_invalid"
    operation = _operation(client, "/api/v1/installations/me/link", "post")
    assert {"400", "401", "403", "429"} <= set(operation["responses"])  # throttled: 429 is documented


@pytest.mark.parametrize(("method", "url"), [("get", "/api/v1/installations/me"),
                                              ("post", "/api/v1/installations/me/link")])
def test_installation_endpoints__staff_session__403_documented(staff_client: Any, method: str, url: str) -> None:
    response = getattr(staff_client, method)(url, {}, content_type="application/json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert "403" in _operation(APIClient(), url, method)["responses"]
