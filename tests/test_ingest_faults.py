"""Ingest under faults, scaled down (issue 8): shims - the shim's own spool and sender, each in a process of its
own - upload to gunicorn on the test database while the server is SIGKILLed (master and workers) mid-upload.
Every event is stored once, rolled up once, and every spool ends empty.

bench/ingest_faults.py is the full run: 50 shims, 100,000 events, two kills and a PostgreSQL restart (not here:
restarting the test run's own database would break its other connections).
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SHIMS = 5
EVENTS = 1200


@pytest.fixture
def live_database_url(transactional_db: Any) -> str:
    """A URL for processes of their own (gunicorn) to reach the test database; PostgreSQL only."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("gunicorn runs in processes of its own, which cannot open SQLite's in-memory test database; "
                    "runs on PostgreSQL (make test-postgres)")
    from tests.live_db import url_for_other_processes

    return url_for_other_processes()


@pytest.fixture
def server(live_database_url: str, tmp_path: Path) -> Iterator[Any]:
    from bench import ingest_faults as faults

    # memory:// keeps the production path (rollups deferred to the task, queued on commit) without a broker;
    # the test runs the task itself afterwards
    gunicorn = faults.Gunicorn(port=faults.free_port(),
                               env=faults.server_env(live_database_url, broker="memory://", cache=None),
                               workers=2, log=tmp_path / "gunicorn.log")
    try:
        gunicorn.start()
        yield gunicorn
    finally:
        gunicorn.stop()


def test_ingest__server_sigkilled_mid_upload__every_event_stored_and_rolled_up_once(
    server: Any, tmp_path: Path
) -> None:
    from bench import ingest_faults as faults
    from telemetry.models import BuildEvent

    shards = faults.synthetic_shards(shims=SHIMS, events=EVENTS, seed=8)
    expected = {event["event_id"] for shard in shards for event in shard}
    # backoff x0.02: the shim's first retry after 0.6 s instead of 30 s
    fleet = faults.ShimFleet(tmp_path / "shims", server.url, shards, produce_seconds=4, backoff_scale=0.02,
                             timeout=90)
    try:
        fleet.launch()
        fleet.wait_ready(timeout=60)
        run = faults.drive(fleet, faults.fault_plan(kills=1, db_restarts=0, total=EVENTS),
                           stored=BuildEvent.objects.count, actions={"kill": server.kill_and_restart},
                           timeout=120)
    finally:
        fleet.stop()
    summary = faults.summarize(fleet.results())
    storage = faults.check_storage(expected)

    assert not run.timed_out and summary.errors == []
    [kill] = run.faults
    assert kill.stored_before is not None and kill.stored_before < EVENTS, "the kill must land mid-upload"
    assert summary.retries > 0, f"no shim felt the kill: {summary.requests}"
    assert (storage.stored, storage.missing, storage.extra) == (EVENTS, 0, 0)
    assert summary.leftover == 0
    assert (summary.removed_unacked, summary.removed_twice, summary.cleared, summary.vanished) == (0, 0, 0, 0)
    assert summary.rejected == 0
    assert (storage.rolled_up, storage.pending_left) == (EVENTS, 0)
