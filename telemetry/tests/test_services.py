"""Ingest, rebuild and retention services against the database."""

import json
import random
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pitwall.errors import ApplicationError
from rollout import services as rollout_services
from rollout.models import AuditEvent
from telemetry import schema, services
from telemetry.models import BuildEvent, Rollup
from telemetry.rollups import Measures
from telemetry.tasks import prune_raw_events
from telemetry.tests.factories import wire_event, wire_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def installation(make_installation: Any) -> Any:
    installation, _ = make_installation(os="linux")
    return rollout_services.installation_set_consent(installation=installation, telemetry_consent=True,
                                                     consent_version="1")


def parsed(events: list[dict[str, Any]]) -> list[schema.Event]:
    batch = schema.parse_batch(json.dumps({"schema": 1, "events": events}).encode(), received_at=timezone.now())
    assert not batch.rejected, batch.rejected
    return batch.events


def rollup_snapshot() -> dict[str, tuple[Any, ...]]:
    return {row.key_digest: (row.grouping, row.day, row.kind, row.mode,
                             Measures.from_row([getattr(row, c) for c in Measures.COLUMNS]))
            for row in Rollup.objects.all()}


def test_ingest__without_consent__refused(make_installation: Any) -> None:
    installation, _ = make_installation()
    with pytest.raises(ApplicationError) as refused:
        services.build_events_ingest(installation=installation, events=parsed([wire_event()]))
    assert refused.value.status_code == 403


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(wire_events(), min_size=1, max_size=25, unique_by=lambda e: e["event_id"]),
       st.randoms(use_true_random=False))
def test_ingest__duplicates_order_and_batching__change_nothing(
    installation: Any, events: list[dict[str, Any]], rng: random.Random
) -> None:
    BuildEvent.objects.all().delete()
    Rollup.objects.all().delete()
    services.build_events_ingest(installation=installation, events=parsed(events))
    once = rollup_snapshot()

    BuildEvent.objects.all().delete()
    Rollup.objects.all().delete()
    replayed = events + rng.sample(events, k=rng.randint(0, len(events)))
    rng.shuffle(replayed)
    accepted = duplicates = 0
    while replayed:
        size = rng.randint(1, 8)
        batch, replayed = replayed[:size], replayed[size:]
        result = services.build_events_ingest(installation=installation, events=parsed(batch))
        accepted += result.accepted
        duplicates += result.duplicates
    assert accepted == len(events) == BuildEvent.objects.count()
    assert rollup_snapshot() == once

    services.rollups_rebuild()
    assert rollup_snapshot() == once


def test_rebuild__after_ingest__same_rollups_and_idempotent(installation: Any) -> None:
    events = [wire_event(kind, mode=mode, outcome=outcome, duration_ms=1000 + 17 * i)
              for i, (kind, mode, outcome) in enumerate(
                  [(k, m, o) for k in ("build", "rebuild", "hot_reload") for m in ("fast", "normal")
                   for o in ("success", "failure", "interrupted")] * 3)]
    services.build_events_ingest(installation=installation, events=parsed(events))
    incremental = rollup_snapshot()
    Rollup.objects.filter(grouping="compact").update(events=999)  # drifted or corrupted rollups
    first = services.rollups_rebuild()
    assert rollup_snapshot() == incremental
    second = services.rollups_rebuild()
    assert rollup_snapshot() == incremental
    assert first.events == second.events == len(events) and first.rows == len(incremental)
    assert AuditEvent.objects.filter(action="telemetry.rollups.rebuilt").count() == 2


def test_rebuild__range_before_retention_horizon__refused() -> None:
    too_early = services.rollups_safe_first_day() - timedelta(days=1)
    with pytest.raises(ApplicationError) as refused:
        services.rollups_rebuild(since=too_early)
    assert refused.value.code == "rebuild_range_pruned"


def test_rebuild_command__prints_summary(installation: Any, capsys: Any) -> None:
    services.build_events_ingest(installation=installation, events=parsed([wire_event(), wire_event()]))
    call_command("rebuild_telemetry_rollups")
    assert "2 events" in capsys.readouterr().out


def test_rebuild_command__pruned_range__command_error() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("rebuild_telemetry_rollups", "--since", "2000-01-01")


def test_prune__old_raw_events_go__rollups_stay(installation: Any, settings: Any) -> None:
    settings.TELEMETRY_RAW_RETENTION_DAYS = 180
    old = parsed([wire_event() for _ in range(3)])
    services.build_events_ingest(installation=installation, events=old,
                                 received_at=timezone.now() - timedelta(days=181))
    fresh = parsed([wire_event()])
    services.build_events_ingest(installation=installation, events=fresh)
    before = rollup_snapshot()
    assert services.raw_events_prune(chunk=2) == 3
    assert list(BuildEvent.objects.values_list("pk", flat=True)) == [fresh[0].event_id]
    assert rollup_snapshot() == before


def test_prune_task__runs_through_celery(installation: Any) -> None:
    services.build_events_ingest(installation=installation, events=parsed([wire_event()]),
                                 received_at=timezone.now() - timedelta(days=400))
    assert prune_raw_events.delay().get() == 1
    assert not BuildEvent.objects.exists()


def test_prune_task__scheduled_by_beat() -> None:
    from django.conf import settings as django_settings

    entry = django_settings.CELERY_BEAT_SCHEDULE["telemetry-prune-raw-events"]
    assert entry["task"] == prune_raw_events.name == "telemetry.prune_raw_events"


def test_opt_out__then_rebuild__its_events_no_longer_counted(installation: Any, make_installation: Any) -> None:
    other, _ = make_installation()
    other = rollout_services.installation_set_consent(installation=other, telemetry_consent=True,
                                                      consent_version="1")
    services.build_events_ingest(installation=installation, events=parsed([wire_event()]))
    services.build_events_ingest(installation=other, events=parsed([wire_event(), wire_event()]))
    rollout_services.installation_delete(installation=other)
    assert sum(r.events for r in Rollup.objects.filter(grouping="full")) == 3  # counts stay, unlinked
    services.rollups_rebuild()
    assert sum(r.events for r in Rollup.objects.filter(grouping="full")) == 1
