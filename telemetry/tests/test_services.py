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
from telemetry.models import BuildEvent, PendingRollup, Rollup
from telemetry.rollups import Measures
from telemetry.tasks import apply_pending_rollups, prune_raw_events
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
    ingest_now: Any, installation: Any, events: list[dict[str, Any]], rng: random.Random
) -> None:
    BuildEvent.objects.all().delete()
    Rollup.objects.all().delete()
    ingest_now(installation=installation, events=parsed(events))
    once = rollup_snapshot()

    BuildEvent.objects.all().delete()
    Rollup.objects.all().delete()
    replayed = events + rng.sample(events, k=rng.randint(0, len(events)))
    rng.shuffle(replayed)
    accepted = duplicates = 0
    while replayed:
        size = rng.randint(1, 8)
        batch, replayed = replayed[:size], replayed[size:]
        result = ingest_now(installation=installation, events=parsed(batch))
        accepted += result.accepted
        duplicates += result.duplicates
    assert accepted == len(events) == BuildEvent.objects.count()
    assert rollup_snapshot() == once

    services.rollups_rebuild()
    assert rollup_snapshot() == once


def test_rebuild__after_ingest__same_rollups_and_idempotent(ingest_now: Any, installation: Any) -> None:
    events = [wire_event(kind, mode=mode, outcome=outcome, duration_ms=1000 + 17 * i)
              for i, (kind, mode, outcome) in enumerate(
                  [(k, m, o) for k in ("build", "rebuild", "hot_reload") for m in ("fast", "normal")
                   for o in ("success", "failure", "interrupted")] * 3)]
    ingest_now(installation=installation, events=parsed(events))
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


def test_rebuild_command__prints_summary(ingest_now: Any, installation: Any, capsys: Any) -> None:
    ingest_now(installation=installation, events=parsed([wire_event(), wire_event()]))
    call_command("rebuild_telemetry_rollups")
    assert "2 events" in capsys.readouterr().out


def test_rebuild_command__pruned_range__command_error() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("rebuild_telemetry_rollups", "--since", "2000-01-01")


def test_prune__old_raw_events_go__rollups_stay(ingest_now: Any, installation: Any, settings: Any) -> None:
    settings.TELEMETRY_RAW_RETENTION_DAYS = 180
    old = parsed([wire_event() for _ in range(3)])
    ingest_now(installation=installation, events=old,
                                 received_at=timezone.now() - timedelta(days=181))
    fresh = parsed([wire_event()])
    ingest_now(installation=installation, events=fresh)
    before = rollup_snapshot()
    assert services.raw_events_prune(chunk=2) == 3
    assert list(BuildEvent.objects.values_list("pk", flat=True)) == [fresh[0].event_id]
    assert rollup_snapshot() == before


def test_prune_task__runs_through_celery(ingest_now: Any, installation: Any) -> None:
    ingest_now(installation=installation, events=parsed([wire_event()]),
                                 received_at=timezone.now() - timedelta(days=400))
    assert prune_raw_events.delay().get() == 1
    assert not BuildEvent.objects.exists()


def test_prune_task__scheduled_by_beat() -> None:
    from django.conf import settings as django_settings

    entry = django_settings.CELERY_BEAT_SCHEDULE["telemetry-prune-raw-events"]
    assert entry["task"] == prune_raw_events.name == "telemetry.prune_raw_events"


def test_opt_out__then_rebuild__its_events_no_longer_counted(ingest_now: Any, installation: Any, make_installation: Any) -> None:
    other, _ = make_installation()
    other = rollout_services.installation_set_consent(installation=other, telemetry_consent=True,
                                                      consent_version="1")
    ingest_now(installation=installation, events=parsed([wire_event()]))
    ingest_now(installation=other, events=parsed([wire_event(), wire_event()]))
    rollout_services.installation_delete(installation=other)
    assert sum(r.events for r in Rollup.objects.filter(grouping="full")) == 3  # counts stay, unlinked
    services.rollups_rebuild()
    assert sum(r.events for r in Rollup.objects.filter(grouping="full")) == 1


def full_events() -> int:
    return sum(r.events for r in Rollup.objects.filter(grouping="full"))


def test_apply_pending__twice__adds_each_event_once(
    deferred: list[int], installation: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.build_events_ingest(installation=installation, events=parsed([wire_event() for _ in range(4)]))
    assert not Rollup.objects.exists() and PendingRollup.objects.count() == 1 and deferred == [1]
    first = services.rollups_apply_pending()
    assert (first.batches, first.events, first.more) == (1, 4, False)
    assert services.rollups_apply_pending().events == 0
    assert full_events() == 4 and not PendingRollup.objects.exists()


def test_apply_pending__failure__nothing_applied_then_retry_once(
    deferred: list[int], installation: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.build_events_ingest(installation=installation, events=parsed([wire_event(), wire_event()]))
    real = services._rollups_add

    def crash(deltas: Any) -> None:
        real(deltas)
        raise RuntimeError("worker killed")

    monkeypatch.setattr(services, "_rollups_add", crash)
    with pytest.raises(RuntimeError):
        services.rollups_apply_pending()
    assert not Rollup.objects.exists() and PendingRollup.objects.count() == 1
    monkeypatch.setattr(services, "_rollups_add", real)
    services.rollups_apply_pending()
    assert full_events() == 2


def test_apply_pending__over_the_limit__task_requeues_until_done(
    deferred: list[int], installation: Any, settings: Any
) -> None:
    for _ in range(5):
        services.build_events_ingest(installation=installation, events=parsed([wire_event()]))
    assert services.rollups_apply_pending(limit=2).more
    settings.CELERY_TASK_ALWAYS_EAGER = True
    apply_pending_rollups.delay()  # eager: it queues itself again while batches remain
    assert not PendingRollup.objects.exists() and full_events() == 5


def test_apply_pending__installation_opted_out_meanwhile__its_events_not_counted(
    deferred: list[int], installation: Any
) -> None:
    services.build_events_ingest(installation=installation, events=parsed([wire_event()]))
    rollout_services.installation_delete(installation=installation)
    assert services.rollups_apply_pending().events == 0
    assert not Rollup.objects.exists() and not PendingRollup.objects.exists()


def test_rebuild__with_pending_batches__leaves_them_to_the_task(
    deferred: list[int], installation: Any, settings: Any
) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    services.build_events_ingest(installation=installation, events=parsed([wire_event() for _ in range(3)]))
    settings.CELERY_TASK_ALWAYS_EAGER = False
    services.build_events_ingest(installation=installation, events=parsed([wire_event() for _ in range(2)]))
    result = services.rollups_rebuild()
    assert result.events == 3 and full_events() == 3
    services.rollups_apply_pending()
    assert full_events() == 5


def test_apply_task__scheduled_by_beat() -> None:
    from django.conf import settings as django_settings

    entry = django_settings.CELERY_BEAT_SCHEDULE["telemetry-apply-pending-rollups"]
    assert entry["task"] == apply_pending_rollups.name == "telemetry.apply_pending_rollups"


def test_ingest__eager_inside_a_larger_transaction__rollups_exact_at_once(installation: Any) -> None:
    """The embedded default has no worker: callers such as the simulation see rollups before they commit."""
    from django.db import transaction

    with transaction.atomic():
        services.build_events_ingest(installation=installation, events=parsed([wire_event() for _ in range(3)]))
        assert full_events() == 3 and not PendingRollup.objects.exists()
