"""Many threads upload overlapping batches at once, on PostgreSQL: every event is stored and counted once."""

import random
import threading
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from rollout import services as rollout_services
from telemetry.models import BuildEvent, Rollup
from telemetry.tests.factories import wire_event

THREADS = 8
EVENTS = 400
BATCHES_PER_THREAD = 6


@pytest.fixture
def postgres_only(transactional_db: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises every writer); "
                    "run with DATABASE_URL=postgres://... (make test-postgres)")


@pytest.fixture(params=["inline", "task"])
def rollup_mode(request: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """inline: the embedded default (each ingest applies its batch in its transaction); task: production, with the
    rollup task run by each uploader's thread right after its commit - so runs of it overlap like workers'."""
    if request.param == "task":
        from telemetry import services

        settings.CELERY_TASK_ALWAYS_EAGER = False
        monkeypatch.setattr(services, "_schedule_rollups", lambda: services.rollups_apply_pending())
    return str(request.param)


def test_concurrent_overlapping_batches__each_event_stored_and_rolled_up_once(
    postgres_only: None, rollup_mode: str, make_installation: Any, settings: Any
) -> None:
    settings.TELEMETRY_BATCH_RATE = "100000/min"
    installation, token = make_installation(os="linux")
    rollout_services.installation_set_consent(installation=installation, telemetry_consent=True, consent_version="1")
    kinds = ["build", "rebuild", "hot_reload", "bench"]
    events = [wire_event(kinds[i % 4], mode=("fast", "normal")[i % 2], duration_ms=1000 + i) for i in range(EVENTS)]
    # every thread sends random, overlapping slices: each event goes out several times, from several threads
    plans = []
    rng = random.Random(11)
    for _ in range(THREADS):
        plans.append([rng.sample(events, k=rng.randint(40, 120)) for _ in range(BATCHES_PER_THREAD)])
    sent = {e["event_id"] for plan in plans for batch in plan for e in batch}
    barrier = threading.Barrier(THREADS)
    results: list[dict[str, int]] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def run(plan: list[list[dict[str, Any]]]) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            barrier.wait(timeout=60)
            for batch in plan:
                response = client.post("/api/v1/telemetry/batch", {"schema": 1, "events": batch}, format="json")
                assert response.status_code == 200, response.content
                with lock:
                    results.append(response.json())
        except BaseException as exc:  # reported below, in the test's thread
            with lock:
                failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert sum(r["accepted"] for r in results) == len(sent) == BuildEvent.objects.count()
    assert sum(r["accepted"] + r["duplicates"] for r in results) == sum(len(b) for p in plans for b in p)
    for grouping, copies in (("compact", 1), ("cohort", 1), ("platform", 1), ("full", 1), ("version_compact", 3),
                             ("version", 3)):
        rows = Rollup.objects.filter(grouping=grouping)
        assert sum(row.events for row in rows) == copies * len(sent), grouping


def test_rebuild_during_concurrent_ingest__rollups_equal_a_rebuild_from_raw(
    postgres_only: None, rollup_mode: str, make_installation: Any, settings: Any
) -> None:
    """Rebuilds interleaved with live uploads neither lose nor double count: the rollups end equal to what a
    quiet rebuild computes from the raw events."""
    from telemetry import services
    from telemetry.rollups import Measures

    settings.TELEMETRY_BATCH_RATE = "100000/min"
    installation, token = make_installation(os="linux")
    rollout_services.installation_set_consent(installation=installation, telemetry_consent=True, consent_version="1")
    batches = [[wire_event(("build", "rebuild", "hot_reload")[i % 3], duration_ms=500 + 37 * i) for i in range(30)]
               for _ in range(24)]
    stop = threading.Event()
    failures: list[BaseException] = []

    def upload(part: list[list[dict[str, Any]]]) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            for batch in part:
                response = client.post("/api/v1/telemetry/batch", {"schema": 1, "events": batch}, format="json")
                assert response.status_code == 200, response.content
        except BaseException as exc:  # reported below
            failures.append(exc)
        finally:
            connection.close()

    def rebuild() -> None:
        try:
            while not stop.is_set():
                services.rollups_rebuild()
        except BaseException as exc:  # reported below
            failures.append(exc)
        finally:
            connection.close()

    uploaders = [threading.Thread(target=upload, args=(batches[i::4],)) for i in range(4)]
    rebuilder = threading.Thread(target=rebuild)
    rebuilder.start()
    for thread in uploaders:
        thread.start()
    for thread in uploaders:
        thread.join()
    stop.set()
    rebuilder.join()
    assert not failures, failures

    def snapshot() -> dict[str, tuple[str, Measures]]:
        return {r.key_digest: (r.grouping, Measures.from_row([getattr(r, c) for c in Measures.COLUMNS]))
                for r in Rollup.objects.all()}

    services.rollups_apply_pending()  # what a worker does next
    live = snapshot()
    services.rollups_rebuild()
    assert live == snapshot()
    assert sum(m.events for grouping, m in live.values() if grouping == "full") == 24 * 30
