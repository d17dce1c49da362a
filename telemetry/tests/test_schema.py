"""The wire contract: what a batch may hold, and how each refusal is reported (no database)."""

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest

from telemetry import schema
from telemetry.tests.factories import rfc3339, wire_event

NOW = datetime.now(UTC)


def parse(*events: Any, **body: Any) -> schema.ParsedBatch:
    return schema.parse_batch(json.dumps({"schema": 1, "events": list(events), **body}).encode(), received_at=NOW)


def errors_of(event: dict[str, Any]) -> dict[str, str]:
    parsed = parse(event)
    assert not parsed.events, "expected a refusal"
    assert parsed.rejected[0].index == 0
    return parsed.rejected[0].errors


@pytest.mark.parametrize("kind", ["build", "rebuild", "hot_reload", "bench"])
def test_parse__each_kind__accepted(kind: str) -> None:
    event = wire_event(kind)
    parsed = parse(event)
    assert not parsed.rejected
    assert str(parsed.events[0].event_id) == event["event_id"]
    assert type(parsed.events[0]).__struct_config__.tag == kind


@pytest.mark.parametrize("variant", [None, "builtin-default", "plan-dev-fast", "x" * 64])
def test_parse__variant_null_or_name__accepted(variant: str | None) -> None:
    assert not parse(wire_event(variant=variant)).rejected


def test_parse__variant_missing__accepted_as_null() -> None:
    event = wire_event()
    del event["variant"]
    assert parse(event).events[0].variant is None


def test_parse__env_all_null__accepted() -> None:
    event = wire_event()
    event["env"] = dict.fromkeys(event["env"])
    assert not parse(event).rejected


def test_parse__optional_kind_fields_absent__accepted() -> None:
    event = wire_event("rebuild")
    for key in ("incremental", "phases_ms", "crates_compiled"):
        del event[key]
    assert not parse(event).rejected


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hostname": "dev-laptop"}, "hostname"),  # unknown field: never stored
        ({"trigger": "view"}, "trigger"),  # a hot-reload field on a rebuild
        ({"env": {"os": "linux", "user": "me"}}, "env.user"),
        ({"phases_ms": {"server": 1, "link": 2}}, "phases_ms.link"),
    ],
)
def test_parse__unknown_field__refused_with_its_name(change: dict[str, Any], field: str) -> None:
    errors = errors_of(wire_event("rebuild", **change))
    assert field in errors and "unknown field" in errors[field]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"duration_ms": 0}, "duration_ms"),
        ({"duration_ms": 86_400_001}, "duration_ms"),
        ({"duration_ms": 1.5}, "duration_ms"),
        ({"duration_ms": "9000"}, "duration_ms"),
        ({"crates_compiled": -1}, "crates_compiled"),
        ({"phases_ms": {"server": -5}}, "phases_ms.server"),
    ],
)
def test_parse__out_of_range_number__refused(change: dict[str, Any], field: str) -> None:
    assert field in errors_of(wire_event("rebuild", **change))


@pytest.mark.parametrize(
    ("env_change", "field"),
    [
        ({"cpu_count": 0}, "env.cpu_count"),
        ({"cpu_count": 1025}, "env.cpu_count"),
        ({"memory_gb": 12}, "env.memory_gb"),
        ({"os": "beos"}, "env.os"),
        ({"toolchain": "stable-x86_64"}, "env.toolchain"),
        ({"size_bucket": "huge"}, "env.size_bucket"),
        ({"cargo_leptos_version": "latest"}, "env.cargo_leptos_version"),
        ({"rustc_version": "1.84.0-" + "x" * 60}, "env.rustc_version"),
        ({"linker": "/usr/bin/mold"}, "env.linker"),  # a path: refused
        ({"arch": "x" * 21}, "env.arch"),
    ],
)
def test_parse__bad_env_value__refused(env_change: dict[str, Any], field: str) -> None:
    assert field in errors_of(wire_event(env_overrides=env_change))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "compile"}, "kind"),
        ({"mode": "turbo"}, "mode"),
        ({"command": "dev"}, "command"),
        ({"outcome": "ok"}, "outcome"),
        ({"profile": "bench"}, "profile"),
        ({"variant": "x" * 65}, "variant"),
        ({"variant": ""}, "variant"),
        ({"variant": "bad\nname"}, "variant"),
        ({"event_id": "not-a-uuid"}, "event_id"),
        ({"occurred_at": "2025-01-01T00:00:00"}, "occurred_at"),  # no timezone
    ],
)
def test_parse__wrong_enum_or_string__refused(change: dict[str, Any], field: str) -> None:
    assert field in errors_of(wire_event(**change))


def test_parse__missing_required_field__refused() -> None:
    event = wire_event()
    del event["duration_ms"]
    assert "duration_ms" in errors_of(event)


def test_parse__occurred_long_ago_or_in_future__refused() -> None:
    old = wire_event(occurred_at=rfc3339(NOW - timedelta(days=31)))
    future = wire_event(occurred_at=rfc3339(NOW + timedelta(days=2)))
    assert "occurred_at" in errors_of(old) and "occurred_at" in errors_of(future)
    assert not parse(wire_event(occurred_at=rfc3339(NOW + timedelta(hours=3)))).rejected


def test_parse__offset_timestamp__normalised_to_utc() -> None:
    moment = (NOW - timedelta(hours=1)).astimezone(timezone(timedelta(hours=2)))
    event = wire_event(occurred_at=moment.isoformat())
    assert parse(event).events[0].occurred_at.astimezone(UTC) == moment.astimezone(UTC)


def test_parse__bad_events_among_good__good_kept_bad_reported_with_index_and_id() -> None:
    good = [wire_event(), wire_event()]
    bad = wire_event(duration_ms=-1)
    parsed = parse(good[0], bad, 42, good[1], {"event_id": 7})
    assert [str(e.event_id) for e in parsed.events] == [g["event_id"] for g in good]
    assert parsed.indexes == [0, 3]
    assert [(r.index, r.event_id) for r in parsed.rejected] == [(1, bad["event_id"]), (2, None), (4, None)]
    assert parsed.rejected[1].errors == {"event": "Expected `object`, got `int`"}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "malformed_json"),
        (b"[]", "malformed_batch"),
        (b'{"schema": 1}', "malformed_batch"),
        (b'{"schema": 1, "events": {}}', "malformed_batch"),
        (b'{"schema": 1, "events": [], "extra": 1}', "malformed_batch"),
        (b'{"schema": 2, "events": []}', "unsupported_schema"),
    ],
)
def test_parse__unusable_body__batch_error(body: bytes, code: str) -> None:
    with pytest.raises(schema.BatchError) as caught:
        schema.parse_batch(body, received_at=NOW)
    assert caught.value.code == code and not caught.value.too_large


def test_parse__too_many_events__too_large() -> None:
    body = msgspec.json.encode({"schema": 1, "events": [{} for _ in range(schema.MAX_EVENTS + 1)]})
    with pytest.raises(schema.BatchError) as caught:
        schema.parse_batch(body, received_at=NOW)
    assert caught.value.too_large


def test_parse__empty_batch__nothing() -> None:
    parsed = parse()
    assert parsed.events == [] and parsed.rejected == []


def test_parse__shim_event_shape__accepted() -> None:
    """The shim's own event builder (shim/leptos_fast/events.py) produces what the service accepts."""
    shim_events = pytest.importorskip("leptos_fast.events", reason="the shim is installed by `make setup`")
    ENV_FIELDS, EventContext = shim_events.ENV_FIELDS, shim_events.EventContext

    context = EventContext(command="watch", mode="fast", variant=None, profile="dev",
                           env=dict.fromkeys(ENV_FIELDS) | {"os": "linux", "toolchain": "stable"})
    events = [
        context.make({"kind": "rebuild", "outcome": "success", "duration_ms": 8123.4,
                      "phases_ms": {"server": 5000, "front": 2000}, "incremental": True}),
        context.make({"kind": "hot_reload", "outcome": "failure", "duration_ms": 900, "trigger": "view",
                      "patch_sent": False, "time_to_patch_ms": None, "time_to_reload_ms": None}),
    ]
    parsed = parse(*events)
    assert not parsed.rejected and len(parsed.events) == 2
    assert uuid.UUID(events[0]["event_id"]) == parsed.events[0].event_id
