"""The maintainers' read-only metrics endpoints: staff only, filters, shapes, documented in the schema."""

import json
from typing import Any

import pytest
from django.test import Client

from telemetry.tests.factories import wire_event

pytestmark = pytest.mark.django_db
ENDPOINTS = ["build-times", "improvement", "hot-reload", "failures", "trend", "phases", "regressions",
             "recommendations"]


@pytest.fixture
def some_data(upload: Any) -> None:
    assert upload([wire_event(kind) for kind in ("build", "rebuild", "hot_reload") for _ in range(35)]).json()[
        "accepted"] == 105


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_metrics__staff__200_with_window_source_and_sample_sizes(staff_client: Client, some_data: None,
                                                                 endpoint: str) -> None:
    response = staff_client.get(f"/api/v1/metrics/{endpoint}", {"days": 7})
    assert response.status_code == 200, response.content
    body = response.json()
    assert {"start", "end", "filters", "source", "min_sample"} <= set(body)
    assert body["min_sample"] == 30 and body["source"] in ("compact", "cohort", "platform", "full", "version_compact", "version", "raw")
    text = json.dumps(body)
    assert '"n":' in text or endpoint == "recommendations"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_metrics__not_staff__refused(client: Client, django_user_model: Any, endpoint: str) -> None:
    assert client.get(f"/api/v1/metrics/{endpoint}").status_code in (401, 403)
    user = django_user_model.objects.create_user("dev", "d@example.com", "pw")
    client.force_login(user)
    response = client.get(f"/api/v1/metrics/{endpoint}")
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


def test_metrics__installation_token__refused(consenting_client: Any) -> None:
    client, _ = consenting_client
    assert client.get("/api/v1/metrics/build-times").status_code == 403


def test_metrics__filters__applied_and_echoed(staff_client: Client, some_data: None) -> None:
    response = staff_client.get("/api/v1/metrics/build-times", {
        "start": "2020-01-01", "ring": "general", "mode": "fast", "os": "linux", "size_bucket": "medium",
        "toolchain": "stable", "command": "watch", "variant": "builtin-default", "profile": "dev",
    })
    body = response.json()
    assert body["start"] == "2020-01-01" and body["source"] == "full"
    assert body["filters"]["ring"] == "general" and body["filters"]["variant"] == "builtin-default"
    rebuild = next(g for g in body["groups"] if g["kind"] == "rebuild")
    assert rebuild["timing"]["n"] == 35 and rebuild["timing"]["p50_ms"] is not None


def test_metrics__variant_empty__events_without_variant(staff_client: Client, upload: Any) -> None:
    upload([wire_event("rebuild", variant=None) for _ in range(31)] + [wire_event("rebuild") for _ in range(3)])
    body = staff_client.get("/api/v1/metrics/build-times", {"variant": "", "kind": "rebuild", "mode": "fast"}).json()
    assert body["groups"][0]["timing"]["n"] == 31


def test_metrics__version_filter__from_version_rollup(staff_client: Client, some_data: None) -> None:
    body = staff_client.get("/api/v1/metrics/improvement", {"cargo_leptos_version": "0.2.22"}).json()
    assert body["source"] == "version_compact" and body["fast"]["n"] == 35


@pytest.mark.parametrize(
    ("params", "field"),
    [({"ring": "alpha"}, "ring"), ({"days": 0}, "days"), ({"start": "2026-02-30"}, "start"),
     ({"start": "2026-03-02", "end": "2026-03-01"}, "start"), ({"start": "2026-03-01", "days": 3}, "days"),
     ({"kind": "compile"}, "kind")],
)
def test_metrics__bad_filter__400_with_field(staff_client: Client, params: dict[str, Any], field: str) -> None:
    response = staff_client.get("/api/v1/metrics/build-times", params)
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]


def test_metrics_trend__weekly(staff_client: Client, some_data: None) -> None:
    body = staff_client.get("/api/v1/metrics/trend", {"period": "week", "days": "28"}).json()
    assert body["period"] == "week" and body["kind"] == "rebuild"
    assert sum(p["events"] for p in body["points"]) == 35


def test_metrics__query_count__bounded(staff_client: Client, some_data: None,
                                       django_assert_max_num_queries: Any) -> None:
    with django_assert_max_num_queries(6):
        staff_client.get("/api/v1/metrics/build-times")
    with django_assert_max_num_queries(20):
        staff_client.get("/api/v1/metrics/recommendations")


def test_schema__documents_batch_and_metrics(api: Any) -> None:
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = json.loads(response.content)
    batch = schema["paths"]["/api/v1/telemetry/batch"]["post"]
    for status in ("200", "400", "401", "403", "413", "415", "429"):
        assert status in batch["responses"]
    request = batch["requestBody"]["content"]["application/json"]["schema"]
    assert request["properties"]["events"]["items"]["anyOf"]  # the four kinds
    assert "$defs" not in json.dumps(request) and "$ref" not in json.dumps(request)
    for endpoint in ENDPOINTS:
        operation = schema["paths"][f"/api/v1/metrics/{endpoint}"]["get"]
        assert "200" in operation["responses"]
        names = {p["name"] for p in operation["parameters"]}
        assert {"start", "end", "days", "ring", "mode", "variant", "size_bucket", "command", "os", "toolchain",
                "cargo_leptos_version", "leptos_version"} <= names


# --- found by tests/test_api_fuzz.py ----------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    "params",
    [{"end": "0001-01-01"}, {"end": "0001-01-03", "days": "30"}, {"end": "9999-12-31"},
     {"start": "9999-12-20", "end": "9999-12-31", "period": "week"}],
)
def test_metrics__window_at_the_ends_of_the_calendar__200_not_500(
    staff_client: Client, endpoint: str, params: dict[str, str]
) -> None:
    response = staff_client.get(f"/api/v1/metrics/{endpoint}", params)
    assert response.status_code == 200
    if "days" in params:  # a window reaching back past the calendar's first day starts there
        assert response.json()["start"] == "0001-01-01"


@pytest.mark.parametrize(
    "params",
    [{"leptos_version": "\t"}, {"rustc_version": "1.84"}, {"cargo_leptos_version": "\u0661.\u0662.\u0663"},
     {"variant": "nul\x00"}],
)
def test_metrics__filter_values_events_never_carry__400(staff_client: Client, params: dict[str, str]) -> None:
    response = staff_client.get("/api/v1/metrics/build-times", params)
    assert response.status_code == 400 and set(params) <= set(response.json()["error"]["details"])


def test_metrics__version_and_variant_rules_documented(api: Any) -> None:
    schema = json.loads(api.get("/api/schema/?format=json").content)
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/metrics/build-times"]["get"]["parameters"]}
    assert parameters["leptos_version"]["schema"]["pattern"].startswith("^[0-9]{1,6}")
    assert "not with `days`" in parameters["start"]["description"]
    assert parameters["ring"]["allowEmptyValue"] is True  # ?ring= means no ring filter
