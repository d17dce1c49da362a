from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SHIM_DIR, scrubbed_environ, wait_for

from leptos_fast import remote, sender, spool, state
from leptos_fast.events import EventContext, rfc3339
from leptos_fast.paths import Paths


def make_events(n: int, *, age: float = 0.0) -> list[dict]:
    context = EventContext(command="build", mode="fast", variant="plan-dev-fast", profile="dev", env={})
    return [
        context.make(
            {
                "kind": "build",
                "outcome": "success",
                "duration_ms": 1000 + i,
                "at": time.time() - age,
                "incremental": True,
            }
        )
        for i in range(n)
    ]


@pytest.fixture
def paths(home) -> Paths:
    return Paths()


@pytest.fixture
def env(service, home) -> dict[str, str]:
    return {"LEPTOS_FAST_HOME": str(home), "LEPTOS_FAST_SERVER_URL": service.url}


@pytest.fixture
def consented(paths, env) -> Paths:
    remote.register(paths, env)
    remote.patch_consent(paths, env, True)
    state.record_consent(paths, True)
    return paths


def test_spool__append_read_remove(paths):
    events = make_events(3)
    spool.append(paths, events)
    assert [e["event_id"] for e in spool.read(paths)] == [e["event_id"] for e in events]
    spool.remove(paths, [events[1]["event_id"]])
    assert [e["event_id"] for e in spool.read(paths)] == [events[0]["event_id"], events[2]["event_id"]]


def test_spool__torn_line_from_killed_writer__skipped_and_not_glued(paths):
    spool.append(paths, make_events(1))
    with open(paths.spool_file, "ab") as handle:
        handle.write(b'{"event_id": "half')
    spool.append(paths, make_events(1))
    assert len(spool.read(paths)) == 2


def test_spool__read_waits_for_an_event_on_its_way(paths):
    mark = spool.pending_writer(paths)
    assert mark is not None
    try:
        assert not spool.wait_for_writers(paths, timeout=0.05)
        spool.append(paths, make_events(1))  # the writer holding the mark is not held up by it
    finally:
        os.close(mark)
    assert spool.wait_for_writers(paths, timeout=0.05)
    assert len(spool.read(paths)) == 1


def test_spool__append_with_require__dropped_once_the_file_is_gone(paths, tmp_path):
    consent = tmp_path / "consent"
    consent.write_text("yes")
    spool.append(paths, make_events(1), require=str(consent))
    consent.unlink()
    spool.append(paths, make_events(1), require=str(consent))
    assert len(spool.read(paths)) == 1


def test_spool__keeps_14_days_and_5000_events(paths):
    old = make_events(2, age=15 * 86400)
    recent = make_events(3)
    assert spool.prune(old + recent) == recent
    many = [dict(e, event_id=str(i)) for i, e in enumerate(make_events(1) * 5003)]
    assert [e["event_id"] for e in spool.prune(many)][:1] == ["3"]
    assert len(spool.prune(many)) == 5000


def test_spool__concurrent_writers__nothing_corrupted(paths, home):
    code = (
        "import sys, time; sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2]);"
        "from leptos_fast import spool; from leptos_fast.paths import Paths;"
        "from test_spool_sender import make_events;"
        "[spool.append(Paths(), make_events(5)) for _ in range(20)]"
    )
    env = {**scrubbed_environ(), "LEPTOS_FAST_HOME": str(home)}
    workers = [
        subprocess.Popen([sys.executable, "-c", code, str(SHIM_DIR), str(SHIM_DIR / "tests")], env=env)
        for _ in range(4)
    ]
    assert all(w.wait(60) == 0 for w in workers)
    events = spool.read(paths)
    assert len(events) == 400
    assert len({e["event_id"] for e in events}) == 400


def test_sender__delivers_and_empties_queue(consented, env, service):
    events = make_events(3)
    spool.append(consented, events)
    assert sender.run(consented, env) == "sent"
    assert spool.read(consented) == []
    (batch,) = service.batches()
    assert batch["schema"] == 1
    assert [e["event_id"] for e in batch["events"]] == [e["event_id"] for e in events]
    assert set(service.events) == {e["event_id"] for e in events}


def test_sender__large_queue__gzip_and_batches_of_1000(consented, env, service):
    spool.append(consented, make_events(1500))
    assert sender.run(consented, env) == "sent"
    sizes = [len(b["events"]) for b in service.batches()]
    assert sizes == [1000, 500]
    gz = [r for r in service.requests if r["path"] == "/api/v1/telemetry/batch"]
    assert all(r["headers"].get("Content-Encoding") == "gzip" for r in gz)
    assert len(service.events) == 1500


def test_sender__no_local_consent__sends_nothing(paths, env, service):
    remote.register(paths, env)
    spool.append(paths, make_events(2))
    assert sender.run(paths, env) == "idle"
    assert service.batches() == []


@pytest.mark.parametrize("blocker", [{"DO_NOT_TRACK": "1"}, {"CI": "true"}, {"GITHUB_ACTIONS": "true"}])
def test_sender__do_not_track_or_ci__never_contacts_service(consented, env, service, blocker):
    spool.append(consented, make_events(2))
    before = len(service.requests)
    assert sender.run(consented, {**env, **blocker}) == "nothing"
    assert len(service.requests) == before


def test_sender__5xx__kept_backoff_then_retry(consented, env, service):
    spool.append(consented, make_events(2))
    service.script["/api/v1/telemetry/batch"] = [503]
    assert sender.run(consented, env) == "retry"
    assert len(spool.read(consented)) == 2
    saved = json.loads(Path(consented.sender_state).read_text())
    assert saved["failures"] == 1 and saved["next_attempt_at"] > time.time() + 14  # 30 s +- 50 %
    requests = len(service.requests)
    assert sender.upload(consented, env, deadline=time.time() + 10) == "backoff"
    assert len(service.requests) == requests
    assert sender.upload(consented, env, deadline=time.time() + 10, force=True) == "sent"
    assert spool.read(consented) == [] and len(service.events) == 2


def test_sender__429_retry_after__honoured(consented, env, service):
    spool.append(consented, make_events(1))
    service.script["/api/v1/telemetry/batch"] = [(429, {"Retry-After": "120"})]
    assert sender.run(consented, env) == "retry"
    saved = json.loads(Path(consented.sender_state).read_text())
    assert 100 < saved["next_attempt_at"] - time.time() <= 120


def test_sender__garbage_answer__kept_for_later(consented, env, service):
    spool.append(consented, make_events(1))
    service.script["/api/v1/telemetry/batch"] = ["garbage"]
    assert sender.run(consented, env) == "retry"
    assert len(spool.read(consented)) == 1


@pytest.mark.parametrize("answer", ["cut", "empty"])
def test_sender__2xx_without_the_batch_answer__kept_and_retried(consented, env, service, answer):
    # bench/ingest_faults.py: gunicorn SIGKILLed between a 200's headers and its body; the client read an empty
    # body and the sender took it for an acknowledgement
    events = make_events(2)
    spool.append(consented, events)
    service.script["/api/v1/telemetry/batch"] = [answer]
    assert sender.run(consented, env) == "retry"
    assert [e["event_id"] for e in spool.read(consented)] == [e["event_id"] for e in events]
    assert json.loads(Path(consented.sender_state).read_text())["failures"] == 1
    assert sender.upload(consented, env, deadline=time.time() + 10, force=True) == "sent"
    assert spool.read(consented) == [] and set(service.events) == {e["event_id"] for e in events}


def test_sender__server_hangs__gives_up_in_time_keeps_events(consented, env, service, monkeypatch):
    monkeypatch.setattr(sender, "REQUEST_TIMEOUT", 0.3)
    spool.append(consented, make_events(1))
    service.script["/api/v1/telemetry/batch"] = ["hang"]
    started = time.monotonic()
    assert sender.run(consented, env) == "retry"
    assert time.monotonic() - started < 5
    assert len(spool.read(consented)) == 1


def test_sender__413__splits_batch(consented, env, service):
    spool.append(consented, make_events(4))
    service.script["/api/v1/telemetry/batch"] = [413]
    assert sender.run(consented, env) == "sent"
    assert [len(b["events"]) for b in service.batches()] == [4, 2, 2]
    assert len(service.events) == 4


def test_sender__403__queue_emptied_and_consent_dropped(consented, env, service):
    spool.append(consented, make_events(2))
    service.installations[state.read_token(consented)]["telemetry_consent"] = False
    assert sender.run(consented, env) == "no_consent"
    assert spool.read(consented) == [] and not state.consent_given(consented)


def test_sender__never_runs_twice_at_once(consented, env, service):
    spool.append(consented, make_events(1))
    lock = spool.FileLock(consented.sender_lock, blocking=False)
    assert lock.acquire()
    try:
        assert sender.run(consented, env) == "busy"
    finally:
        lock.release()
    assert sender.run(consented, env) == "sent"


def test_sender__killed_mid_upload__loses_nothing(consented, env, service):
    events = make_events(5)
    spool.append(consented, events)
    service.script["/api/v1/telemetry/batch"] = ["hang"]
    child_env = {**scrubbed_environ(), **env, "PYTHONPATH": str(SHIM_DIR)}
    process = subprocess.Popen([sys.executable, "-m", "leptos_fast.sender", "--force"], env=child_env)
    try:
        wait_for(lambda: service.batches())  # the upload is in flight
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(10)
    assert len(spool.read(consented)) == 5
    assert sender.run(consented, env, force=True) == "sent"
    assert set(service.events) == {e["event_id"] for e in events}
    assert spool.read(consented) == []


def test_flags_refresh__etag_and_304(consented, env, service):
    first = remote.refresh_flags(consented, env)
    assert first["flags"]["fast-mode"]["variant"] == "plan-dev-fast"
    assert first["etag"] == service.etag
    second = remote.refresh_flags(consented, env)
    ofrep = [r for r in service.requests if r["path"] == "/ofrep/v1/evaluate/flags"]
    assert ofrep[-1]["headers"].get("If-None-Match") == service.etag
    assert second["flags"] == first["flags"] and second["fetched_at"] >= first["fetched_at"]
    context = ofrep[0]["json"]["context"]
    assert context["targetingKey"] == state.load_installation(consented)["installation_id"]
    assert "ring" not in context


def test_event_shape__exactly_the_contract_fields():
    event = make_events(1)[0]
    assert set(event) == {
        "event_id",
        "kind",
        "occurred_at",
        "session_id",
        "command",
        "mode",
        "variant",
        "profile",
        "outcome",
        "duration_ms",
        "env",
        "incremental",
    }
    assert event["occurred_at"].endswith("Z") and len(event["event_id"]) == 36
    assert rfc3339(0.5) == "1970-01-01T00:00:00.500Z"


def test_backoff__doubles_to_an_hour__spread_by_half_either_way():
    assert sender.backoff_seconds(1, jitter=0.5) == 30
    assert sender.backoff_seconds(3, jitter=0.5) == 120
    assert sender.backoff_seconds(30, jitter=0.5) == 3600
    assert (sender.backoff_seconds(1, jitter=0.0), sender.backoff_seconds(1, jitter=1.0)) == (15, 45)
    drawn = {sender.backoff_seconds(2) for _ in range(200)}
    assert all(30 <= value <= 90 for value in drawn) and len(drawn) > 100
