"""POST /api/v1/telemetry/batch through HTTP: every answer of the contract (TELEMETRY.md)."""

import gzip
import json
import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from rollout import services as rollout_services
from rollout.models import Installation
from telemetry import services
from telemetry.models import BuildEvent, PendingRollup, Rollup
from telemetry.tests.factories import wire_event

pytestmark = pytest.mark.django_db
URL = "/api/v1/telemetry/batch"


def body(events: list[dict[str, Any]]) -> bytes:
    return json.dumps({"schema": 1, "events": events}).encode()


def error_code(response: Any) -> str:
    payload = response.json()
    assert set(payload) == {"error"} and set(payload["error"]) == {"code", "message", "details"}
    return str(payload["error"]["code"])


def test_batch__valid__200_counts_and_stores_each_event(upload: Any, consenting_client: Any) -> None:
    _, installation = consenting_client
    events = [wire_event("rebuild"), wire_event("build"), wire_event("hot_reload"), wire_event("bench")]
    response = upload(events)
    assert response.status_code == 200
    assert response.json() == {"accepted": 4, "duplicates": 0, "rejected": []}
    stored = BuildEvent.objects.get(pk=events[2]["event_id"])
    assert stored.installation_id == installation.pk and stored.kind == "hot_reload"
    assert stored.ring == installation.ring == "general"  # stamped from the server's record, never the client
    assert stored.received_at is not None and stored.day == stored.occurred_at.date()
    assert stored.time_to_patch_ms == 300 and stored.trigger == "view"
    assert Rollup.objects.filter(grouping="full").count() == 4


def test_batch__retry_after_timeout__duplicates_not_counted_twice(upload: Any) -> None:
    events = [wire_event() for _ in range(5)]
    assert upload(events).json()["accepted"] == 5
    again = upload([*events, wire_event()])
    assert again.json() == {"accepted": 1, "duplicates": 5, "rejected": []}
    assert BuildEvent.objects.count() == 6
    full = Rollup.objects.filter(grouping="full")
    assert sum(row.events for row in full) == 6


def test_batch__same_event_twice_in_one_batch__stored_once(upload: Any) -> None:
    event = wire_event()
    assert upload([event, event]).json() == {"accepted": 1, "duplicates": 1, "rejected": []}


def test_batch__bad_event__refused_with_reason_rest_kept(upload: Any) -> None:
    good, bad = wire_event(), wire_event(duration_ms=0, hostname="secret-box")
    response = upload([good, bad])
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 1 and body["duplicates"] == 0
    [rejection] = body["rejected"]
    assert rejection["index"] == 1 and rejection["event_id"] == bad["event_id"]
    assert list(rejection["errors"]) in (["hostname"], ["duration_ms"])
    assert not BuildEvent.objects.filter(pk=bad["event_id"]).exists()


def test_batch__unknown_field__not_stored_anywhere(upload: Any) -> None:
    event = wire_event(env_overrides={"hostname": "dev-laptop.example.org"})
    response = upload([event])
    assert response.json()["rejected"][0]["errors"] == {"env.hostname": "Object contains unknown field `hostname`"}
    assert not BuildEvent.objects.exists() and not Rollup.objects.exists()


def test_batch__gzip__accepted(consenting_client: Any) -> None:
    client, _ = consenting_client
    response = client.generic("POST", URL, gzip.compress(body([wire_event()])), content_type="application/json",
                              HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 200 and response.json()["accepted"] == 1


def test_batch__no_token__401(api: APIClient) -> None:
    response = api.post(URL, {"schema": 1, "events": []}, format="json")
    assert response.status_code == 401 and error_code(response) == "not_authenticated"


def test_batch__bad_token__401(api: APIClient) -> None:
    api.credentials(HTTP_AUTHORIZATION="Bearer pwi_not-a-token")
    response = api.post(URL, {"schema": 1, "events": [wire_event()]}, format="json")
    assert response.status_code == 401 and error_code(response) == "bad_token"


def test_batch__no_consent__403_nothing_stored(installation_client: Any) -> None:
    client, _ = installation_client
    response = client.post(URL, {"schema": 1, "events": [wire_event()]}, format="json")
    assert response.status_code == 403 and error_code(response) == "consent_required"
    assert not BuildEvent.objects.exists()


def test_batch__consent_withdrawn_but_cached_installation__403_nothing_stored(
    consenting_client: Any, upload: Any
) -> None:
    """Consent is checked again where the events are written: a stale copy of the installation cannot win."""
    _, installation = consenting_client
    assert upload([wire_event()]).status_code == 200  # the installation is now in the auth cache
    Installation.objects.filter(pk=installation.pk).update(telemetry_consent=False)  # behind the cache's back
    response = upload([wire_event()])
    assert response.status_code == 403 and error_code(response) == "consent_required"
    assert BuildEvent.objects.count() == 1


def test_batch__consent_withdrawn__403(consenting_client: Any, upload: Any) -> None:
    _, installation = consenting_client
    rollout_services.installation_set_consent(installation=installation, telemetry_consent=False,
                                              consent_version="1")
    assert upload([wire_event()]).status_code == 403


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"{not json", "malformed_json"),
        (b'{"events": []}', "malformed_batch"),
        (b'{"schema": 1, "events": "all of them"}', "malformed_batch"),
        (b'{"schema": 2, "events": []}', "unsupported_schema"),
        (b"", "malformed_json"),
    ],
)
def test_batch__malformed_body__400_error_shape(consenting_client: Any, payload: bytes, code: str) -> None:
    client, _ = consenting_client
    response = client.generic("POST", URL, payload, content_type="application/json")
    assert response.status_code == 400 and error_code(response) == code


def test_batch__broken_gzip__400(consenting_client: Any) -> None:
    client, _ = consenting_client
    truncated = gzip.compress(body([wire_event()]))[:-8]
    response = client.generic("POST", URL, truncated, content_type="application/json", HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 400 and error_code(response) == "malformed_gzip"
    response = client.generic("POST", URL, b"plain", content_type="application/json", HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 400


def test_batch__body_over_cap__413_before_parsing(consenting_client: Any, settings: Any) -> None:
    client, _ = consenting_client
    settings.TELEMETRY_MAX_BODY_BYTES = 10_000
    big = body([wire_event() for _ in range(40)])
    assert len(big) > 10_000
    response = client.generic("POST", URL, big, content_type="application/json")
    assert response.status_code == 413 and error_code(response) == "too_large"
    assert not BuildEvent.objects.exists()


def test_batch__gzip_inflating_past_cap__413(consenting_client: Any) -> None:
    client, _ = consenting_client
    bomb = gzip.compress(b'{"schema": 1, "events": [' + b" " * (2 * 1024 * 1024) + b"]}")
    assert len(bomb) < 10_000
    response = client.generic("POST", URL, bomb, content_type="application/json", HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 413 and error_code(response) == "too_large"


def test_batch__more_than_1000_events__413(consenting_client: Any) -> None:
    client, _ = consenting_client
    payload = json.dumps({"schema": 1, "events": [{} for _ in range(1001)]}).encode()
    response = client.generic("POST", URL, payload, content_type="application/json")
    assert response.status_code == 413 and error_code(response) == "too_many_events"


def test_batch__1000_events__accepted(upload: Any) -> None:
    response = upload([wire_event() for _ in range(1000)])
    assert response.status_code == 200 and response.json()["accepted"] == 1000


def test_batch__wrong_media_type__415(consenting_client: Any) -> None:
    client, _ = consenting_client
    response = client.generic("POST", URL, body([wire_event()]), content_type="text/plain")
    assert response.status_code == 415 and error_code(response) == "unsupported_media_type"


def test_batch__unknown_content_encoding__415(consenting_client: Any) -> None:
    client, _ = consenting_client
    response = client.generic("POST", URL, body([wire_event()]), content_type="application/json",
                              HTTP_CONTENT_ENCODING="br")
    assert response.status_code == 415 and error_code(response) == "unsupported_content_encoding"


def test_batch__over_rate__429_with_retry_after_per_installation(
    consenting_client: Any, upload: Any, make_installation: Any, settings: Any
) -> None:
    settings.TELEMETRY_BATCH_RATE = "2/min"
    assert upload([]).status_code == 200
    assert upload([]).status_code == 200
    limited = upload([wire_event()])
    assert limited.status_code == 429 and error_code(limited) == "throttled"
    assert int(limited["Retry-After"]) > 0
    other, token = make_installation(os="linux")
    rollout_services.installation_set_consent(installation=other, telemetry_consent=True, consent_version="1")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.post(URL, {"schema": 1, "events": []}, format="json").status_code == 200


def test_batch__get__405(consenting_client: Any) -> None:
    client, _ = consenting_client
    assert client.get(URL).status_code == 405


def test_batch__failure_before_commit__nothing_stored(upload: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    real = services._insert_and_queue

    def insert_then_crash(rows: Any, installation_id: Any) -> int:
        real(rows, installation_id)
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_insert_and_queue", insert_then_crash)
    with pytest.raises(RuntimeError):
        upload([wire_event()])
    assert not BuildEvent.objects.exists() and not PendingRollup.objects.exists()


@pytest.mark.parametrize(("mode", "most"), [("task", 6), ("eager", 14)])
def test_batch__query_count__independent_of_batch_size(
    consenting_client: Any, django_assert_max_num_queries: Any, settings: Any, monkeypatch: pytest.MonkeyPatch,
    mode: str, most: int,
) -> None:
    if mode == "task":
        settings.CELERY_TASK_ALWAYS_EAGER = False
        monkeypatch.setattr(services, "_schedule_rollups", lambda: None)
    client, _ = consenting_client

    def post(events: list[dict[str, Any]]) -> Any:
        return client.post(URL, {"schema": 1, "events": events}, format="json")

    post([wire_event()])
    with django_assert_max_num_queries(most):
        assert post([wire_event() for _ in range(10)]).json()["accepted"] == 10
    with django_assert_max_num_queries(most):
        assert post([wire_event() for _ in range(1000)]).json()["accepted"] == 1000


def test_batch__committed__queued_once_for_the_rollups(consenting_client: Any, deferred: list[int]) -> None:
    client, _ = consenting_client
    events = [wire_event() for _ in range(3)]
    client.post(URL, {"schema": 1, "events": events}, format="json")
    client.post(URL, {"schema": 1, "events": events}, format="json")  # a retry: nothing new to queue
    [pending] = PendingRollup.objects.all()
    assert len(pending.event_ids) == 3 * 16


def test_batch__event_id_case_or_format__same_event(upload: Any) -> None:
    event = wire_event()
    upload([event])
    again = dict(event, event_id=uuid.UUID(event["event_id"]).hex.upper())
    assert upload([again]).json()["duplicates"] == 1


def test_opt_out__installation_delete__no_telemetry_row_refers_to_it(consenting_client: Any, upload: Any) -> None:
    _, installation = consenting_client
    upload([wire_event() for _ in range(3)])
    rollups_before = sum(r.events for r in Rollup.objects.filter(grouping="full"))
    rollout_services.installation_delete(installation=installation)
    assert not BuildEvent.objects.filter(installation_id=installation.pk).exists()
    assert not BuildEvent.objects.exists()
    # rollups keep only counts, with no installation link at all
    assert sum(r.events for r in Rollup.objects.filter(grouping="full")) == rollups_before == 3
    assert not any(f.is_relation for f in Rollup._meta.get_fields())
    assert str(installation.pk) not in json.dumps(list(Rollup.objects.values()), default=str)


# --- found with tests/test_api_fuzz.py --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "env_overrides", "field"),
    [
        ({"variant": "fast-linker\n"}, {}, "variant"),  # Python's $ matched before the final newline
        ({}, {"linker": "mold\n"}, "env.linker"),
        ({}, {"arch": "x86_64\n"}, "env.arch"),
        ({}, {"rustc_version": "1.84.0\n"}, "env.rustc_version"),
        ({}, {"rustc_version": "\u0661.84.0"}, "env.rustc_version"),  # Python's \d took any Unicode digit
    ],
)
def test_batch__control_character_or_foreign_digit__event_refused(
    upload: Any, overrides: dict[str, Any], env_overrides: dict[str, Any], field: str
) -> None:
    response = upload([wire_event("rebuild", env_overrides=env_overrides, **overrides), wire_event("rebuild")])
    body = response.json()
    assert response.status_code == 200 and body["accepted"] == 1
    assert list(body["rejected"][0]["errors"]) == [field]


def test_batch__documented_request__schema_1_and_at_most_1000_events(api: APIClient) -> None:
    schema = json.loads(api.get("/api/schema/?format=json").content)
    operation = schema["paths"]["/api/v1/telemetry/batch"]["post"]
    body = operation["requestBody"]
    assert body["required"] is True
    envelope = body["content"]["application/json"]["schema"]
    assert envelope["properties"]["schema"] == {"enum": [1]}
    assert envelope["properties"]["events"]["maxItems"] == 1000 and envelope["additionalProperties"] is False
    assert "Content-Encoding" not in json.dumps(operation.get("parameters", []))  # said in the description
    assert "\\Z" not in json.dumps(envelope)  # Python's end of string, shown as ECMA's $
