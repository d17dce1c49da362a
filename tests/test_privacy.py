"""Privacy promises, proved on the whole database:

- after an installation opts out, no row anywhere refers to it (its id, its token's digest, its events' and
  feedback's ids), while another installation's rows stay;
- telemetry takes exactly the contract's fields (../shared/TELEMETRY.md): any other field, at any level, is
  rejected and never stored; the shim builds events with exactly those fields.
"""

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from rest_framework.test import APIClient

from rollout import services as rollout_services
from rollout.models import Feature, Installation
from telemetry import schema
from telemetry.models import BuildEvent
from telemetry.tests.factories import wire_event
from tests.db_scan import cells_containing
from tests.shared import shared_data

pytestmark = pytest.mark.django_db

BATCH = "/api/v1/telemetry/batch"


def _register() -> tuple[APIClient, str, str]:
    response = APIClient().post("/api/v1/installations", {"platform": {"os": "linux", "arch": "x86_64"}},
                                format="json")
    assert response.status_code == 201
    token, installation_id = response.json()["token"], response.json()["installation_id"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client, token, installation_id


def _traces(token: str, installation_id: str, ids: list[str]) -> dict[str, list[str]]:
    """Where each thing that identifies the installation still appears (UUIDs in both stored spellings)."""
    needles = {
        "installation id": installation_id,
        "installation id (hex)": uuid.UUID(installation_id).hex,
        "token digest": hashlib.sha256(token.encode()).hexdigest(),
        "token": token,
    }
    for value in ids:
        needles[f"id {value}"] = value
        needles[f"id {value} (hex)"] = uuid.UUID(value).hex
    return {what: found for what, needle in needles.items() if (found := cells_containing(needle))}


def _use_everything(client: APIClient) -> list[str]:
    """Consent, a beta enrollment by code, flags, every kind of telemetry, feedback: the ids it sent."""
    assert client.patch("/api/v1/installations/me", {"telemetry_consent": True, "consent_version": "1"},
                        format="json").status_code == 200
    participant = rollout_services.participant_upsert(handle=f"dev-{uuid.uuid4().hex[:6]}")
    _, code = rollout_services.enrollment_create(
        participant=participant, ring="beta", source="web", consent_text_version="1", actor="t"
    )
    assert code is not None
    assert client.post("/api/v1/installations/me/link", {"code": code.display}, format="json").status_code == 200
    assert client.post("/ofrep/v1/evaluate/flags", {"context": {}}, format="json").status_code == 200
    events = [wire_event(kind) for kind in ("build", "rebuild", "hot_reload", "bench")]
    answer = client.post(BATCH, {"schema": 1, "events": events}, format="json").json()
    assert answer["accepted"] == 4
    feedback_id = str(uuid.uuid4())
    assert client.post("/api/v1/feedback", {"text": "hot reload broke twice", "client_id": feedback_id},
                       format="json").status_code == 201
    return [*(event["event_id"] for event in events), feedback_id, *(event["session_id"] for event in events)]


def test_opt_out__no_row_anywhere_refers_to_the_installation(fast_mode: Feature) -> None:
    leaving, token, installation_id = _register()
    staying, other_token, other_id = _register()
    ids = _use_everything(leaving)
    other_ids = _use_everything(staying)

    present = _traces(token, installation_id, ids)
    # The scan finds it where it lives: else "nothing found" afterwards would prove nothing.
    assert {"rollout_installation.id", "telemetry_buildevent.installation_id"} <= {
        place for places in present.values() for place in places
    }, present

    assert leaving.delete("/api/v1/installations/me").status_code == 204

    assert _traces(token, installation_id, ids) == {}
    assert leaving.get("/api/v1/installations/me").status_code == 401
    # The other installation is untouched.
    assert Installation.objects.filter(pk=other_id).exists()
    assert BuildEvent.objects.filter(installation_id=other_id).count() == 4
    assert _traces(other_token, other_id, other_ids)


def test_consent_withdrawn__nothing_more_taken(fast_mode: Feature) -> None:
    """`telemetry off` stops collection (docs/telemetry.md); deleting what was sent is `forget`, tested above."""
    client, _, installation_id = _register()
    _use_everything(client)
    assert client.patch("/api/v1/installations/me", {"telemetry_consent": False},
                        format="json").status_code == 200
    late = wire_event()
    assert client.post(BATCH, {"schema": 1, "events": [late]}, format="json").status_code == 403
    assert not BuildEvent.objects.filter(pk=late["event_id"]).exists()
    assert BuildEvent.objects.filter(installation_id=installation_id).count() == 4


# --- the contract: exactly these fields ---------------------------------------------------------------------

COMMON = {"event_id", "kind", "occurred_at", "session_id", "command", "mode", "variant", "profile", "outcome",
          "duration_ms", "env"}
ENV = {"shim_version", "cargo_leptos_version", "rustc_version", "leptos_version", "toolchain", "os", "arch",
       "cpu_count", "memory_gb", "size_bucket", "package_count", "workspace_members", "linker"}
PHASES = {"server", "front", "wasm_bindgen", "wasm_opt", "style", "other"}
BY_KIND = {
    "build": {"incremental", "phases_ms", "crates_compiled"},
    "rebuild": {"incremental", "phases_ms", "crates_compiled"},
    "hot_reload": {"trigger", "patch_sent", "time_to_patch_ms", "time_to_reload_ms"},
    "bench": {"scenario", "run"},
}
# What someone might wish to add, and the contract keeps out: paths, names, hosts, source text.
NOT_IN_CONTRACT = {
    "hostname": "alices-laptop.local",
    "project_path": "/home/alice/secret-project",
    "user": "alice",
    "crate_name": "secret_project_server",
    "error_text": "error[E0308]: mismatched types in src/secret.rs",
}


def test_contract__fields_named_here_are_the_documented_ones() -> None:
    doc = shared_data("..", "TELEMETRY.md", what="the telemetry contract").read_text()
    for field in COMMON | ENV | PHASES | set().union(*BY_KIND.values()):
        assert f"`{field}`" in doc or f"| {field} |" in doc, field


def _struct_fields(struct: Any) -> set[str]:
    return {field.name for field in msgspec.structs.fields(struct)}


def test_contract__server_accepts_exactly_the_contract_fields() -> None:
    structs = {"build": schema.BuildEvent, "rebuild": schema.RebuildEvent, "hot_reload": schema.HotReloadEvent,
               "bench": schema.BenchEvent}
    for kind, struct in structs.items():
        assert _struct_fields(struct) | {"kind"} == COMMON | BY_KIND[kind], kind
    assert _struct_fields(schema.Env) == ENV
    assert _struct_fields(schema.Phases) == PHASES


def test_contract__shim_builds_events_with_exactly_the_contract_fields() -> None:
    from leptos_fast.events import EventContext

    context = EventContext(command="watch", mode="fast", variant=None, profile="dev",
                           env={"os": "linux", "hostname": "alices-laptop", "size_bucket": "small"})
    measurements = {
        "build": {"incremental": True, "phases_ms": {"server": 10}, "crates_compiled": 2},
        "rebuild": {"incremental": True, "phases_ms": {"front": 10}, "crates_compiled": 1},
        "hot_reload": {"trigger": "view", "patch_sent": True, "time_to_patch_ms": 5, "time_to_reload_ms": 9},
        "bench": {"scenario": "cold", "run": 1},
    }
    for kind, extra in measurements.items():
        event = context.make({"kind": kind, "outcome": "success", "duration_ms": 100, **extra,
                              **NOT_IN_CONTRACT})
        assert set(event) == COMMON | BY_KIND[kind], kind
        assert set(event["env"]) == ENV
        parsed = schema.parse_batch(msgspec.json.encode({"schema": 1, "events": [event]}),
                                    received_at=datetime.now(UTC))
        assert not parsed.rejected and len(parsed.events) == 1, kind


def _with_field(event: dict[str, Any], where: str, name: str, value: str) -> dict[str, Any]:
    if where == "event":
        return {**event, name: value}
    return {**event, where: {**event[where], name: value}}


def test_telemetry__any_field_outside_the_contract__rejected_never_stored(installation_client: Any) -> None:
    client, installation = installation_client
    rollout_services.installation_set_consent(installation=installation, telemetry_consent=True,
                                              consent_version="1")
    sent = 0
    for kind in BY_KIND:
        levels = ["event", "env", *(["phases_ms"] if "phases_ms" in BY_KIND[kind] else [])]
        for where in levels:
            events = [_with_field(wire_event(kind), where, name, value) for name, value in NOT_IN_CONTRACT.items()]
            response = client.post(BATCH, {"schema": 1, "events": events}, format="json")
            assert response.status_code == 200, (kind, where)
            answer = response.json()
            assert answer["accepted"] == 0 and len(answer["rejected"]) == len(events), (kind, where, answer)
            sent += len(events)
    # Around the events too: the batch itself takes only `schema` and `events`.
    response = client.post(BATCH, {"schema": 1, "events": [wire_event()], "hostname": "alices-laptop.local"},
                           format="json")
    assert response.status_code == 400
    assert sent == 5 * (3 + 3 + 2 + 2)
    assert not BuildEvent.objects.exists()
    for value in NOT_IN_CONTRACT.values():
        assert cells_containing(value) == [], value
