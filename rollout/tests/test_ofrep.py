"""OFREP through HTTP, every response checked against the OFREP OpenAPI document in ../shared."""

import json
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from rest_framework.test import APIClient

from rollout import services
from rollout.models import Feature, PhaseKey
from tests.shared import shared_data

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def ofrep_doc() -> dict[str, Any]:
    path = shared_data("ofrep", "openapi.yaml", what="the OFREP OpenAPI document, open-feature/protocol")
    doc = dict(yaml.safe_load(path.read_text()))
    # The document's codeDefaultFlag is `properties: {}`, which every object matches, so taken literally no
    # flag with a value could pass the `oneOf`. Its text says what it means: "This schema has no `value`
    # property". Validate with that meaning, as OFREP providers do.
    doc["components"]["schemas"]["codeDefaultFlag"] = {"type": "object", "not": {"required": ["value"]}}
    return doc


def _check(doc: dict[str, Any], schema_name: str, body: Any) -> None:
    registry: Registry = Registry().with_resource("urn:ofrep", DRAFT202012.create_resource(doc))
    schema = {"$ref": f"urn:ofrep#/components/schemas/{schema_name}"}
    jsonschema.Draft202012Validator(schema, registry=registry).validate(body)


def _beta_client(api: APIClient, installation_client: Any) -> APIClient:
    code = api.post("/api/v1/enrollments", {"handle": "beta-tester", "consent": True}, format="json").json()[
        "code"
    ]
    client: APIClient = installation_client[0]
    assert client.post("/api/v1/installations/me/link", {"code": code}, format="json").status_code == 200
    return client


def test_single__beta_installation__enabled_with_settings_payload(
    ofrep_doc: Any, api: APIClient, installation_client: Any, fast_mode: Feature
) -> None:
    client = _beta_client(api, installation_client)
    response = client.post(
        "/ofrep/v1/evaluate/flags/fast-mode", {"context": {"targetingKey": "x"}}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    _check(ofrep_doc, "serverEvaluationSuccess", body)
    assert body["value"] is True and body["variant"] in {"plan-dev-fast", "tuned-line-tables"}
    settings_payload = json.loads(body["metadata"]["payload"])
    assert settings_payload["profile"]["opt-level"] == 0


def test_single__general_ring__off(ofrep_doc: Any, installation_client: Any, fast_mode: Feature) -> None:
    client, _ = installation_client
    body = client.post("/ofrep/v1/evaluate/flags/fast-mode", {"context": {}}, format="json").json()
    _check(ofrep_doc, "serverEvaluationSuccess", body)
    assert body["value"] is False and "payload" not in body["metadata"]


def test_single__client_claims_ring__ignored(installation_client: Any, fast_mode: Feature) -> None:
    client, _ = installation_client
    context = {"targetingKey": "someone-else", "ring": "beta", "properties": {"ring": "beta"}}
    body = client.post("/ofrep/v1/evaluate/flags/fast-mode", {"context": context}, format="json").json()
    assert body["value"] is False


def test_single__unknown_flag__404(ofrep_doc: Any, installation_client: Any, fast_mode: Feature) -> None:
    client, _ = installation_client
    response = client.post("/ofrep/v1/evaluate/flags/nope", {"context": {}}, format="json")
    assert response.status_code == 404
    _check(ofrep_doc, "flagNotFound", response.json())


@pytest.mark.parametrize(
    ("raw", "code"),
    [("{oops", "PARSE_ERROR"), ('{"context": "linux"}', "INVALID_CONTEXT"), ("[1]", "INVALID_CONTEXT")],
)
def test_single__bad_body__400(
    ofrep_doc: Any, installation_client: Any, fast_mode: Feature, raw: str, code: str
) -> None:
    client, _ = installation_client
    response = client.generic(
        "POST", "/ofrep/v1/evaluate/flags/fast-mode", raw, content_type="application/json"
    )
    assert response.status_code == 400
    _check(ofrep_doc, "evaluationFailure", response.json())
    assert response.json()["errorCode"] == code


def test_bulk__etag_then_304_until_flags_change(
    ofrep_doc: Any,
    api: APIClient,
    installation_client: Any,
    fast_mode: Feature,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = _beta_client(api, installation_client)
    first = client.post("/ofrep/v1/evaluate/flags", {"context": {"os": "linux"}}, format="json")
    assert first.status_code == 200
    _check(ofrep_doc, "bulkEvaluationSuccess", first.json())
    etag = first["ETag"]
    again = client.post(
        "/ofrep/v1/evaluate/flags", {"context": {"os": "linux"}}, format="json", HTTP_IF_NONE_MATCH=etag
    )
    assert again.status_code == 304 and again.content == b""
    with django_capture_on_commit_callbacks(execute=True):  # the new version is published on commit
        services.feature_set_enabled(feature=fast_mode, enabled=False, actor="t", reason="incident")
    changed = client.post(
        "/ofrep/v1/evaluate/flags", {"context": {"os": "linux"}}, format="json", HTTP_IF_NONE_MATCH=etag
    )
    assert changed.status_code == 200 and changed["ETag"] != etag
    flag = next(f for f in changed.json()["flags"] if f["key"] == "fast-mode")
    assert flag["value"] is False and flag["reason"] == "DISABLED"


def test_bulk__bad_context__400(ofrep_doc: Any, installation_client: Any, fast_mode: Feature) -> None:
    client, _ = installation_client
    response = client.post("/ofrep/v1/evaluate/flags", {"context": [1, 2]}, format="json")
    assert response.status_code == 400
    _check(ofrep_doc, "bulkEvaluationFailure", response.json())


def test_bulk__no_token__401(api: APIClient, fast_mode: Feature) -> None:
    assert api.post("/ofrep/v1/evaluate/flags", {"context": {}}, format="json").status_code == 401


def test_bulk__served_from_snapshot_without_flag_queries(
    installation_client: Any, fast_mode: Feature, django_assert_max_num_queries: Any
) -> None:
    client, _ = installation_client
    client.post("/ofrep/v1/evaluate/flags", {"context": {}}, format="json")  # builds the snapshot once
    # One query authenticates the installation; nothing reads features, strategies or the flag version.
    with django_assert_max_num_queries(1):
        assert client.post("/ofrep/v1/evaluate/flags", {"context": {}}, format="json").status_code == 200


def test_preview_percentage__visible_to_general_installations(
    make_installation: Any, fast_mode: Feature
) -> None:
    preview = fast_mode.phases.get(key=PhaseKey.PREVIEW)
    services.feature_move_to_phase(feature=fast_mode, phase=preview, actor="t", reason="preview")
    services.phase_update(phase=preview, actor="t", rollout_percentage=100)
    _, token = make_installation()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = client.post("/ofrep/v1/evaluate/flags/fast-mode", {"context": {}}, format="json").json()
    assert body["value"] is True
