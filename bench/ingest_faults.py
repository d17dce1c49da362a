"""Ingest under faults (issue 8): many shims upload through the shim's own spool and sender code to gunicorn and
PostgreSQL while the server is SIGKILLed and PostgreSQL restarted; afterwards every event is stored exactly once
(count and id set), rolled up exactly once, and every spool is empty.

What runs:
- PostgreSQL: a throwaway cluster of its own (initdb in a temporary directory, a free port, run as the `postgres`
  user when this runs as root), never the machine's shared server, which other work and CI use. Its restart is
  `pg_ctl restart -m immediate`: every backend is killed without a checkpoint and the server recovers from the
  WAL, as after a crash or an OOM kill - the harsher of the realistic choices (`fast` rolls open transactions back
  politely and checkpoints first). Durability settings are PostgreSQL's defaults (fsync, synchronous_commit on):
  an answered 200 must survive the crash.
- Redis for the rollup task's messages and the shared cache (rate limits, the auth cache): a throwaway server of
  its own too, the production configuration without touching the shared one. Without redis-server: an in-memory
  broker and per-process caches.
- gunicorn (sync workers, pitwall.wsgi) in a process group of its own: a fault is SIGKILL to the whole group,
  master and workers, mid-request; then it is started again on the same port.
- Each shim is a process with its own LEPTOS_FAST_HOME. It opts in with `leptos-fast telemetry on` (the shim's
  CLI: registration, consent, flags); then one thread appends its events to the spool as builds would
  (spool.append under the file lock, 1-8 events at a time, paced over --produce-seconds; 0 = all at once, a shim
  back online with a full queue), while the main thread runs a sender pass (`sender.run`: the sender lock, the
  backoff, batches, removal after a 2xx - what the detached child runs after a build) whenever the launcher would
  start one (`launch.sender_wanted`), until the spool is empty. Wrappers only observe: the HTTP client and
  spool.remove count answers and check that nothing leaves a spool without a 2xx for it. One thing is changed:
  the shim's backoff schedule (30 s, 60 s, ...) is multiplied by --backoff-scale (1 = the real one), so a run
  takes minutes; --request-timeout (default: the shim's REQUEST_TIMEOUT, 20 s) is there to experiment with.
  Not exercised: the detached child and its 30 s alarm (shim/tests kill a sender mid-upload).
- Events: telemetry/synthetic.py, one synthetic machine per shim, in time order, unique UUIDs.
- Faults fire at fixed shares of the events stored (kill at 1/4, PostgreSQL at 1/2, kill at 3/4 by default), so
  they always land mid-upload, each once the previous one has recovered.
- Then the rollup task runs to completion in this process, as a worker would, and everything is checked.

Usage: .venv/bin/python bench/ingest_faults.py [--shims 50] [--events 100000] [--kills 2] [--db-restarts 1]
       [--workers 3] [--produce-seconds 60] [--backoff-scale 0.1] [--request-timeout S] [--timeout 1200] [--keep]
Exits non-zero when any promise fails. tests/test_ingest_faults.py runs a small version in CI.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PG_BIN = Path("/usr/lib/postgresql/15/bin")
POLL_SECONDS = 0.05
# Files in a shim's home (and the fleet's directory) through which the orchestrator and the shims meet.
EVENTS_FILE, READY_FILE, RESULT_FILE, ERR_FILE, GO_FILE = "events.jsonl", "ready", "result.json", "worker.err", "go"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def poll(condition: Callable[[], object], timeout: float, interval: float = POLL_SECONDS) -> bool:
    """Whether `condition` came true before the deadline (checked every `interval`)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


# --- servers of our own ----------------------------------------------------------------------------------------


class PostgresCluster:
    """A PostgreSQL cluster in a directory of its own, on a free port; restarted without mercy, removed after."""

    def __init__(self, root: Path, bin_dir: Path = PG_BIN) -> None:
        self.root = root
        self.data = root / "data"
        self.log = root / "postgres.log"
        self.bin = bin_dir
        self.port = free_port()
        # initdb refuses to run as root: the cluster belongs to the postgres user then.
        self._as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *argv: str) -> None:
        done = subprocess.run([*self._as_owner, *argv], capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(f"{Path(argv[0]).name} failed ({done.returncode}): {done.stderr[-800:]}")

    def _pg_ctl(self, *argv: str) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "120", *argv)

    def start(self) -> None:
        self.root.mkdir(mode=0o700)
        if self._as_owner:
            import pwd

            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                       f"unix_socket_directories = '{self.root}'\nmax_connections = 200\n")
        self._pg_ctl("start")

    def restart(self) -> None:
        self._pg_ctl("-m", "immediate", "restart")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError):
                self._pg_ctl("-m", "immediate", "stop")

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


class RedisServer:
    """redis-server on a free port, nothing persisted."""

    def __init__(self, root: Path, executable: str) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self.executable = executable
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        import redis

        self.root.mkdir()
        self.process = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.root), "--logfile", str(self.root / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        if not poll(answers, 30):
            raise RuntimeError("redis-server did not answer")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def _group_alive(pgid: int) -> bool:
    """Whether a process of the group still runs (zombies do not: they hold no socket, and nobody may reap them)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            return True
    return False


def server_env(database_url: str, *, broker: str, cache: str | None) -> dict[str, str]:
    """gunicorn's environment: production settings, limits that are not under test raised out of the way."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "pitwall.settings", "DATABASE_URL": database_url,
           "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only", "DEBUG": "0", "SECURE_SSL_REDIRECT": "0",
           "LOG_LEVEL": "WARNING", "CELERY_BROKER_URL": broker,
           "THROTTLE_TELEMETRY_BATCH": "1000000/min", "THROTTLE_INSTALLATION_REGISTER": "1000000/hour"}
    if cache:
        env["CACHE_URL"] = cache
    else:
        env.pop("CACHE_URL", None)
    return env


class Gunicorn:
    """gunicorn in a process group of its own, so that a fault can SIGKILL master and workers at once."""

    def __init__(self, *, port: int, env: dict[str, str], workers: int, log: Path) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.env = env
        self.workers = workers
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "pitwall.wsgi:application", "--workers", str(self.workers),
                 "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", "--timeout", "120"],
                cwd=REPO, env=self.env, stdout=log, stderr=log, start_new_session=True,
            )
        if not poll(self._healthy, timeout, 0.1):
            raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s; see {self.log}")

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({self.process.returncode}); see {self.log}")
        try:
            probe = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            probe.request("GET", "/healthz")
            return probe.getresponse().status == 200
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL to the whole group (the group id is the master's pid), then wait until all of it is gone."""
        assert self.process is not None
        group = self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        self.process.wait()
        if not poll(lambda: not _group_alive(group), 30):
            raise RuntimeError("gunicorn workers outlived SIGKILL")

    def kill_and_restart(self) -> None:
        self.kill()
        self.start()

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=30)
        if _group_alive(self.process.pid):
            self.kill()


# --- the shims ---------------------------------------------------------------------------------------------------


def shim_environ(home: Path, server_url: str) -> dict[str, str]:
    """A shim's environment: its own home, the server, nothing that would stop it sending (CI, DO_NOT_TRACK)."""
    from leptos_fast.privacy import CI_VARS

    env = {key: value for key, value in os.environ.items()
           if key not in CI_VARS and key != "DO_NOT_TRACK" and not key.startswith("LEPTOS_FAST_")}
    env.update(LEPTOS_FAST_HOME=str(home), LEPTOS_FAST_SERVER_URL=server_url, PYTHONPATH=str(REPO / "shim"))
    return env


class ShimFleet:
    """One process per shim, each with its home, its events, and a result file it writes at the end."""

    def __init__(self, root: Path, server_url: str, shards: list[list[dict[str, Any]]], *, produce_seconds: float,
                 backoff_scale: float, timeout: float, request_timeout: float | None = None) -> None:
        self.root = root
        self.server_url = server_url
        self.shards = shards
        self.produce_seconds = produce_seconds
        self.backoff_scale = backoff_scale
        self.request_timeout = request_timeout
        self.timeout = timeout
        self.homes = [root / f"shim-{index:03d}" for index in range(len(shards))]
        self.processes: list[subprocess.Popen[bytes]] = []

    def launch(self) -> None:
        for index, (home, events) in enumerate(zip(self.homes, self.shards, strict=True)):
            home.mkdir(parents=True)
            (home / EVENTS_FILE).write_text("".join(json.dumps(event) + "\n" for event in events))
            with open(home / ERR_FILE, "wb") as err:
                self.processes.append(subprocess.Popen(
                    [sys.executable, str(Path(__file__).resolve()), "--shim-worker", str(home),
                     "--produce-seconds", str(self.produce_seconds), "--backoff-scale", str(self.backoff_scale),
                     "--timeout", str(self.timeout), "--seed", str(index),
                     *(["--request-timeout", str(self.request_timeout)] if self.request_timeout else [])],
                    env=shim_environ(home, self.server_url), stdout=subprocess.DEVNULL, stderr=err,
                    start_new_session=True,  # Ctrl-C reaches the orchestrator only, which then ends them
                ))

    def wait_ready(self, timeout: float) -> None:
        """Until every shim has opted in (registered, consented); raises when one failed."""
        def ready() -> bool:
            for home, process in zip(self.homes, self.processes, strict=True):
                if process.poll() is not None and not (home / READY_FILE).exists():
                    raise RuntimeError(f"{home.name} failed to opt in: {self._failure(home, process)}")
            return all((home / READY_FILE).exists() for home in self.homes)

        if not poll(ready, timeout):
            raise RuntimeError("the shims did not all opt in in time")

    def go(self) -> None:
        (self.root / GO_FILE).touch()

    def running(self) -> bool:
        return any(process.poll() is None for process in self.processes)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)

    @staticmethod
    def _failure(home: Path, process: subprocess.Popen[bytes]) -> str:
        err = (home / ERR_FILE).read_text(errors="replace").strip().splitlines()
        return f"exit {process.returncode}: {' | '.join(err[-3:])}"

    def results(self) -> list[dict[str, Any]]:
        results = []
        for home, process in zip(self.homes, self.processes, strict=True):
            try:
                result = json.loads((home / RESULT_FILE).read_text())
            except (OSError, ValueError):
                result = {"errors": [f"no result: {self._failure(home, process)}"]}
            if process.returncode != 0:
                result.setdefault("errors", []).append(f"{home.name}: {self._failure(home, process)}")
            results.append(result)
        return results


def synthetic_shards(*, shims: int, events: int, seed: int) -> list[list[dict[str, Any]]]:
    """Each shim's events (one synthetic machine per shim, TELEMETRY.md v1, unique ids), in time order."""
    from leptos_fast.spool import MAX_EVENTS

    from telemetry.synthetic import generate_events, make_installations

    installations = make_installations(shims, days=14, seed=seed)
    shards: list[list[dict[str, Any]]] = [[] for _ in installations]
    for installation, event in generate_events(count=events, days=14, installations=installations, seed=seed):
        shards[installation.index].append(event)
    for shard in shards:
        shard.sort(key=lambda event: event["occurred_at"])
    largest = max(len(shard) for shard in shards)
    if largest > MAX_EVENTS:
        # The spool keeps the newest 5,000 events by design: more per shim would be dropped, not lost by a fault.
        raise SystemExit(f"one shim would queue {largest:,} events, more than the spool keeps ({MAX_EVENTS:,}); "
                         "use more shims")
    return shards


# --- a shim process ----------------------------------------------------------------------------------------------


class _Observer:
    """Wraps the shim's HTTP client and spool.remove to count what happens; changes nothing they do."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.acked: set[str] = set()
        self.events_posted = 0
        self.accepted = self.duplicates = self.rejected = 0
        self.removed = self.removed_unacked = self.removed_twice = self.cleared = 0
        self.removed_ids: set[str] = set()
        self.other_errors: list[str] = []
        self.odd_answers: list[str] = []

    def install(self) -> None:
        from leptos_fast import api, spool

        request, remove, clear = api.Client.request, spool.remove, spool.clear
        observer = self

        def observed_request(client: Any, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
            if path != "/api/v1/telemetry/batch":
                return request(client, method, path, body, **kwargs)
            ids = [event["event_id"] for event in json.loads(kwargs["raw_body"])["events"]]
            observer.events_posted += len(ids)
            try:
                response = request(client, method, path, body, **kwargs)
            except api.NetworkError as error:
                observer.requests[f"network: {_network_kind(str(error))}"] += 1
                if _network_kind(str(error)) == "other" and len(observer.other_errors) < 5:
                    observer.other_errors.append(str(error))
                raise
            except api.ApiError as error:
                observer.requests[f"HTTP {error.status}"] += 1
                raise
            answer = response.body
            if not (isinstance(answer, dict) and {"accepted", "duplicates", "rejected"} <= answer.keys()):
                # not an acknowledgement: a body cut off by a kill between a 200's headers and its body
                observer.requests[f"HTTP {response.status} without the batch answer"] += 1
                return response
            observer.requests[f"HTTP {response.status}"] += 1
            counts = (int(answer["accepted"]), int(answer["duplicates"]), len(answer["rejected"]))
            if sum(counts) != len(ids) and len(observer.odd_answers) < 5:
                observer.odd_answers.append(f"{len(ids)} events answered {answer}")
            observer.accepted += counts[0]
            observer.duplicates += counts[1]
            observer.rejected += counts[2]
            observer.acked.update(ids)
            return response

        def observed_remove(paths: Any, event_ids: Any) -> None:
            gone = list(event_ids)
            observer.removed += len(gone)
            observer.removed_unacked += sum(1 for event_id in gone if event_id not in observer.acked)
            # an id removed again was sent again after its acknowledgement
            observer.removed_twice += sum(1 for event_id in gone if event_id in observer.removed_ids)
            observer.removed_ids.update(gone)
            remove(paths, gone)

        def observed_clear(paths: Any) -> None:
            observer.cleared += 1
            clear(paths)

        api.Client.request = observed_request  # type: ignore[method-assign,assignment]
        spool.remove = observed_remove
        spool.clear = observed_clear


def _network_kind(message: str) -> str:
    lowered = message.lower()
    if "refused" in lowered:
        return "connection refused"
    if "timed out" in lowered:
        return "timeout"
    if any(word in lowered for word in ("reset", "closed connection", "broken pipe", "remotedisconnected",
                                        "incompleteread", "badstatusline")):
        return "connection reset/closed"
    return "other"


def _produce(events: list[dict[str, Any]], seconds: float, rng: random.Random, errors: list[str]) -> None:
    """Append the events as builds would: a few at a time, under the spool's lock, only while consent holds."""
    from leptos_fast import spool, state
    from leptos_fast.paths import Paths

    paths = Paths()
    groups: list[list[dict[str, Any]]] = []
    start = 0
    while start < len(events):
        size = rng.randint(1, 8)
        groups.append(events[start:start + size])
        start += size
    began = time.monotonic()
    try:
        for index, group in enumerate(groups):
            pause = began + seconds * index / len(groups) - time.monotonic()
            if pause > 0:
                time.sleep(pause)  # pacing: builds happen over time (this waits for nothing)
            spool.append(paths, group, require=state.consent_file(paths))
    except Exception as error:  # reported, and the run fails on it
        errors.append(f"append failed: {error!r}")


def shim_worker(argv: list[str]) -> int:
    """One simulated shim: opt in, then queue events and run sender passes until the spool is empty."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--shim-worker", type=Path, required=True)
    parser.add_argument("--produce-seconds", type=float, required=True)
    parser.add_argument("--backoff-scale", type=float, required=True)
    parser.add_argument("--request-timeout", type=float)
    parser.add_argument("--timeout", type=float, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    home: Path = args.shim_worker
    from leptos_fast import cli, launch, sender, spool, state
    from leptos_fast.paths import Paths

    paths = Paths()  # LEPTOS_FAST_HOME from the environment, as the shim finds it
    errors: list[str] = []
    result: dict[str, Any] = {"errors": errors}
    with contextlib.redirect_stdout(io.StringIO()):
        opted_in = cli.main(["telemetry", "on"]) == 0
    if not (opted_in and state.has_token(paths) and state.consent_given(paths)):
        errors.append("`leptos-fast telemetry on` failed")
        _write_result(home, result)
        return 2
    events = [json.loads(line) for line in (home / EVENTS_FILE).read_text().splitlines()]
    (home / READY_FILE).touch()
    deadline = time.monotonic() + args.timeout
    if not poll(lambda: (home.parent / GO_FILE).exists(), args.timeout):
        errors.append("never told to start")
        _write_result(home, result)
        return 2

    observer = _Observer()
    observer.install()
    real_backoff = sender.backoff_seconds

    def scaled_backoff(failures: int, jitter: float | None = None) -> float:
        return real_backoff(failures, jitter) * float(args.backoff_scale)

    sender.backoff_seconds = scaled_backoff
    if args.request_timeout:
        sender.REQUEST_TIMEOUT = args.request_timeout
    began = time.monotonic()
    writer = threading.Thread(target=_produce, args=(events, args.produce_seconds, random.Random(args.seed), errors))
    writer.start()
    passes: Counter[str] = Counter()
    while writer.is_alive() or spool.has_events(paths):
        if time.monotonic() > deadline:
            errors.append(f"timed out after {args.timeout:.0f} s with events queued")
            break
        if not (spool.has_events(paths) and launch.sender_wanted(paths.state_dir, refresh=False)):
            time.sleep(POLL_SECONDS)  # until the next build queues events, or the backoff ends
            continue
        outcome = sender.run(paths, os.environ)
        passes[outcome] += 1
        if outcome in ("nothing", "unregistered", "unauthorized", "no_consent"):
            errors.append(f"sender pass answered {outcome!r}: it would never deliver")
            break
    writer.join()
    leftover = spool.read(paths)
    try:
        leftover_lines = sum(1 for line in Path(paths.spool_file).read_bytes().splitlines() if line.strip())
    except FileNotFoundError:
        leftover_lines = 0
    # gone from the spool, yet never in a batch answered 2xx: whatever took them, they were not delivered
    accounted = observer.acked | {event["event_id"] for event in leftover}
    vanished = [event for event in events if event["event_id"] not in accounted]
    errors.extend(f"odd answer: {text}" for text in observer.odd_answers)
    errors.extend(f"vanished from the spool without a 2xx: {event['event_id']} (occurred {event['occurred_at']})"
                  for event in vanished[:3])
    result.update(
        appended=len(events), seconds=time.monotonic() - began, passes=dict(passes),
        requests=dict(observer.requests), events_posted=observer.events_posted, acked=len(observer.acked),
        accepted=observer.accepted, duplicates=observer.duplicates, rejected=observer.rejected,
        removed=observer.removed, removed_unacked=observer.removed_unacked, removed_twice=observer.removed_twice,
        cleared=observer.cleared, vanished=len(vanished), leftover=max(len(leftover), leftover_lines),
        other_network_errors=observer.other_errors,
    )
    _write_result(home, result)
    return 0


def _write_result(home: Path, result: dict[str, Any]) -> None:
    tmp = home / (RESULT_FILE + ".tmp")
    tmp.write_text(json.dumps(result))
    tmp.replace(home / RESULT_FILE)


# --- faults and the run ------------------------------------------------------------------------------------------


@dataclass
class Fault:
    kind: str  # "kill" (gunicorn, SIGKILL to the group) or "db" (PostgreSQL, restart -m immediate)
    at_stored: int  # fires once this many events are stored
    stored_before: int | None = None
    at_seconds: float = 0.0
    down_seconds: float = 0.0


def fault_plan(*, kills: int, db_restarts: int, total: int) -> list[Fault]:
    """Kills and restarts alternated (a kill first), spread evenly over the events stored."""
    kinds: list[str] = []
    while len(kinds) < kills + db_restarts:
        if kinds.count("kill") < kills and (not kinds or kinds[-1] == "db" or kinds.count("db") >= db_restarts):
            kinds.append("kill")
        else:
            kinds.append("db")
    return [Fault(kind, total * (index + 1) // (len(kinds) + 1)) for index, kind in enumerate(kinds)]


@dataclass
class Run:
    seconds: float
    faults: list[Fault]
    timed_out: bool


def drive(fleet: ShimFleet, faults: list[Fault], *, stored: Callable[[], int | None],
          actions: dict[str, Callable[[], None]], timeout: float) -> Run:
    """Start the shims and fire each fault once its share of events is stored; until every shim has finished."""
    pending = list(faults)
    fleet.go()
    began = time.monotonic()
    while fleet.running():
        if time.monotonic() - began > timeout:
            return Run(time.monotonic() - began, faults, timed_out=True)
        count = stored() if pending else None
        if pending and count is not None and count >= pending[0].at_stored:
            fault = pending.pop(0)
            fault.stored_before, fault.at_seconds = count, time.monotonic() - began
            actions[fault.kind]()
            fault.down_seconds = time.monotonic() - began - fault.at_seconds
            continue
        time.sleep(0.2 if pending else POLL_SECONDS)  # poll the progress / the shims' exit
    return Run(time.monotonic() - began, faults, timed_out=False)


@dataclass
class FleetSummary:
    shims: int
    appended: int = 0
    events_posted: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    removed_unacked: int = 0
    removed_twice: int = 0
    cleared: int = 0
    vanished: int = 0
    leftover: int = 0
    requests: Counter[str] = field(default_factory=Counter)
    passes: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    @property
    def retries(self) -> int:
        """Requests that left their events queued for a later pass: network errors, 5xx, 429, a 2xx cut off."""
        return sum(n for kind, n in self.requests.items()
                   if kind.startswith(("network", "HTTP 5")) or kind == "HTTP 429" or "without" in kind)


def summarize(results: list[dict[str, Any]]) -> FleetSummary:
    summary = FleetSummary(shims=len(results))
    for result in results:
        for name in ("appended", "events_posted", "accepted", "duplicates", "rejected", "removed_unacked",
                     "removed_twice", "cleared", "vanished", "leftover"):
            setattr(summary, name, getattr(summary, name) + int(result.get(name) or 0))
        summary.requests.update(result.get("requests") or {})
        summary.passes.update(result.get("passes") or {})
        summary.errors.extend(result.get("errors") or [])
        summary.errors.extend(f"unclassified network error: {text}" for text in result.get("other_network_errors")
                              or [])
    return summary


@dataclass
class Storage:
    stored: int
    missing: int
    extra: int
    rolled_up: int
    pending_left: int
    rollup_seconds: float


def check_storage(expected: set[str]) -> Storage:
    """Compare the stored ids with the generated ones, then run the rollup task dry and compare its counts."""
    from django.db import connection

    from bench.ingest import catch_up

    with connection.cursor() as cursor:
        cursor.execute("SELECT event_id::text FROM telemetry_buildevent")
        ids = [row[0] for row in cursor.fetchall()]
    found = set(ids)
    _, rollup_seconds = catch_up()
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(events), 0) FROM telemetry_rollup WHERE grouping = 'full'")
        rolled_up = int(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM telemetry_pendingrollup")
        pending_left = int(cursor.fetchone()[0])
    return Storage(stored=len(ids), missing=len(expected - found), extra=len(found - expected), rolled_up=rolled_up,
                   pending_left=pending_left, rollup_seconds=rollup_seconds)


def promises(*, expected: int, summary: FleetSummary, storage: Storage, run: Run, kills: int,
             db_restarts: int) -> list[tuple[str, bool]]:
    fired = [fault for fault in run.faults if fault.stored_before is not None]
    return [
        ("every shim finished without an error", not summary.errors and not run.timed_out),
        ("every event stored exactly once (count)", storage.stored == expected),
        ("stored id set == generated id set", storage.missing == 0 and storage.extra == 0),
        ("every spool empty", summary.leftover == 0),
        ("nothing left a spool without a 2xx for it",
         summary.removed_unacked == 0 and summary.cleared == 0 and summary.vanished == 0),
        ("nothing removed from a spool twice", summary.removed_twice == 0),
        ("no event rejected", summary.rejected == 0),
        ("every event rolled up exactly once", storage.rolled_up == storage.stored and storage.pending_left == 0),
        (f"{kills} server kill(s) and {db_restarts} database restart(s), all mid-upload",
         sum(f.kind == "kill" for f in fired) == kills and sum(f.kind == "db" for f in fired) == db_restarts
         and all((f.stored_before or 0) < expected for f in fired)),
        ("the faults were felt (retries observed)", summary.retries > 0 or not fired),
    ]


def report(*, expected: int, summary: FleetSummary, storage: Storage, run: Run) -> None:
    names = {"kill": "gunicorn SIGKILL (master + workers)", "db": "PostgreSQL restart -m immediate"}
    for fault in run.faults:
        if fault.stored_before is None:
            print(f"  fault not fired: {names[fault.kind]} (due at {fault.at_stored:,} stored)")
        else:
            print(f"  fault at {fault.at_seconds:5.1f} s, {fault.stored_before:,} stored: {names[fault.kind]}, "
                  f"back after {fault.down_seconds:.1f} s")
    unanswered = storage.stored - summary.accepted
    rows = [
        ("events generated (queued by the shims)", f"{expected:,} ({summary.appended:,} appended)"),
        ("events sent (in all POSTs, retries included)", f"{summary.events_posted:,}"),
        ("events stored", f"{storage.stored:,}"),
        ("  accepted in answers received", f"{summary.accepted:,} (+{unanswered:,} stored, answer lost)"),
        ("  duplicates answered", f"{summary.duplicates:,}"),
        ("missing / extra", f"{storage.missing:,} / {storage.extra:,}"),
        ("spool leftovers", f"{summary.leftover:,}"),
        ("gone from a spool without a 2xx (removed / cleared / vanished)",
         f"{summary.removed_unacked:,} / {summary.cleared:,} / {summary.vanished:,}"),
        ("removed from a spool twice", f"{summary.removed_twice:,}"),
        ("rejected", f"{summary.rejected:,}"),
        ("rolled up (full grouping) / pending left",
         f"{storage.rolled_up:,} / {storage.pending_left:,} (task catch-up {storage.rollup_seconds:.1f} s)"),
        ("server kills / DB restarts", f"{sum(f.kind == 'kill' and f.stored_before is not None for f in run.faults)}"
                                       f" / {sum(f.kind == 'db' and f.stored_before is not None for f in run.faults)}"),
        ("retries observed", f"{summary.retries:,}"),
        ("  requests by answer", ", ".join(f"{kind} {n:,}" for kind, n in sorted(summary.requests.items()))),
        ("  sender passes by outcome", ", ".join(f"{kind} {n:,}" for kind, n in sorted(summary.passes.items()))),
        ("wall time (go to every spool empty)", f"{run.seconds:.1f} s"),
        ("events/s (stored / wall time)", f"{storage.stored / run.seconds:,.0f}"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    for error in summary.errors[:10]:
        print(f"  error: {error}")


# --- the benchmark -----------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _terminated_by_sigterm() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so the servers of our own are torn down either way."""
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Progress:
    """Events stored so far, from a connection of its own that survives the database's restarts."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: Any = None

    def stored(self) -> int | None:
        import psycopg

        try:
            if self.conn is None:
                self.conn = psycopg.connect(self.url, autocommit=True, connect_timeout=3)
            row = self.conn.execute("SELECT count(*) FROM telemetry_buildevent").fetchone()
            return int(row[0])
        except psycopg.Error:
            self.close()
            return None

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.close()
            self.conn = None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shims", type=int, default=50)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--kills", type=int, default=2, help="gunicorn SIGKILLs during the upload")
    parser.add_argument("--db-restarts", type=int, default=1, help="PostgreSQL restarts during the upload")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument("--produce-seconds", type=float, default=60.0,
                        help="the shims queue their events over this long (0: all at once)")
    parser.add_argument("--backoff-scale", type=float, default=0.1,
                        help="factor on the shim's backoff after a failure (30 s, 60 s, ...); 1 = unchanged")
    parser.add_argument("--request-timeout", type=float,
                        help="the sender's timeout per request instead of the shim's own (sender.REQUEST_TIMEOUT), to experiment")
    parser.add_argument("--timeout", type=float, default=1200.0, help="give up on the upload after this long")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--pg-bin", type=Path, default=PG_BIN, help="PostgreSQL binaries (initdb, pg_ctl)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, spools)")
    args = parser.parse_args()
    if not (args.pg_bin / "initdb").exists():
        raise SystemExit(f"no initdb in {args.pg_bin}: pass --pg-bin")

    work = Path(tempfile.mkdtemp(prefix="pitwall-ingest-faults-"))
    os.chmod(work, 0o755)  # noqa: S103 - the postgres user must reach its cluster directory inside
    cluster = PostgresCluster(work / "pg", args.pg_bin)
    redis_binary = shutil.which("redis-server")
    redis_server = RedisServer(work / "redis", redis_binary) if redis_binary else None
    server: Gunicorn | None = None
    fleet: ShimFleet | None = None
    progress: _Progress | None = None
    try:
        with _terminated_by_sigterm():
            cluster.start()
            database_url = cluster.create_database("pitwall")
            if redis_server is not None:
                redis_server.start()
            broker = f"{redis_server.url}/0" if redis_server else "memory://"
            cache = f"{redis_server.url}/1" if redis_server else None
            os.environ.update(DJANGO_SETTINGS_MODULE="pitwall.settings", DATABASE_URL=database_url,
                              CELERY_BROKER_URL=broker, LOG_LEVEL="WARNING")
            os.environ.setdefault("SECRET_KEY", "bench-only")
            import django

            django.setup()
            from django.core.management import call_command
            from django.db import connection

            call_command("migrate", verbosity=0)
            shards = synthetic_shards(shims=args.shims, events=args.events, seed=args.seed)
            expected = {event["event_id"] for shard in shards for event in shard}
            assert len(expected) == args.events, "synthetic event ids must be unique"
            connection.close()  # the database restarts under it; reconnect afterwards

            server = Gunicorn(port=free_port(), env=server_env(database_url, broker=broker, cache=cache),
                              workers=args.workers, log=work / "gunicorn.log")
            server.start()
            fleet = ShimFleet(work / "shims", server.url, shards, produce_seconds=args.produce_seconds,
                              backoff_scale=args.backoff_scale, timeout=args.timeout,
                              request_timeout=args.request_timeout)
            fleet.launch()
            fleet.wait_ready(timeout=300)
            from leptos_fast.sender import REQUEST_TIMEOUT

            request_timeout = f"{args.request_timeout or REQUEST_TIMEOUT:g} s" + ("" if args.request_timeout else " (the shim's)")
            print(f"{args.events:,} synthetic events, {args.shims} shims (processes: the shim's own spool and "
                  f"sender), gunicorn {args.workers} sync workers, PostgreSQL (own cluster), "
                  f"{'Redis (own server)' if redis_server else 'in-memory broker, local caches'}; queued over "
                  f"{args.produce_seconds:.0f} s, backoff x{args.backoff_scale:g}, request timeout {request_timeout}; "
                  f"{os.cpu_count()} cores shared by everything", flush=True)
            progress = _Progress(database_url)
            run = drive(fleet, fault_plan(kills=args.kills, db_restarts=args.db_restarts, total=args.events),
                        stored=progress.stored, actions={"kill": server.kill_and_restart, "db": cluster.restart},
                        timeout=args.timeout + 60)
            progress.close()
            server.stop()
            summary = summarize(fleet.results())
            storage = check_storage(expected)
            report(expected=args.events, summary=summary, storage=storage, run=run)
            results = promises(expected=args.events, summary=summary, storage=storage, run=run, kills=args.kills,
                               db_restarts=args.db_restarts)
            for name, ok in results:
                print(f"{'PASS' if ok else 'FAIL'}  {name}")
            connection.close()
            return 0 if all(ok for _, ok in results) else 1
    finally:
        if progress is not None:
            progress.close()
        if fleet is not None:
            fleet.stop()
        if server is not None:
            server.stop()
        if redis_server is not None:
            redis_server.stop()
        cluster.stop()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if "--shim-worker" in sys.argv:
        sys.exit(shim_worker(sys.argv[1:]))
    sys.exit(main())
