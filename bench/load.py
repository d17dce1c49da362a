"""Load test (issue 8): OFREP bulk evaluation and telemetry batch ingest at 25 %, 50 % and 80 % of peak.

Usage:
    .venv/bin/python bench/load.py                         # both targets, 15 s per run: about 3 minutes
    .venv/bin/python bench/load.py --skip-ingest           # OFREP only (or --targets ofrep)
    .venv/bin/python bench/load.py --targets ofrep-flag    # the single-flag endpoint instead of the bulk one
    .venv/bin/python bench/load.py --duration 30 --steps 0.25,0.5,0.8,0.9
Needs PostgreSQL and Redis on 127.0.0.1 (--database-url, default a database of its own that it drops and
recreates; --redis-url, default DB 11, flushed before and after), `wrk` on PATH, and two cores or more.
Exit status 1 if any run, the peak included, saw a socket error, a non-2xx answer, or a rejected or duplicate event.

Server: gunicorn as the Procfile runs it (pitwall.wsgi, 3 sync workers, access log on, DEBUG off, PostgreSQL,
the cache, rate limits and Celery broker on Redis; no Celery worker, so rollup messages just queue), pinned to
core 0 with taskset. Plain HTTP on loopback, so SECURE_SSL_REDIRECT is off (a TLS proxy would sit in front).
Load generator: wrk 4.1 with bench/load.lua, pinned to core 1. PostgreSQL and Redis are not pinned.

Traffic: --installations registered, consenting installations with synthetic machines and rings (a 25 % preview
rollout of fast mode), requests spread round-robin over their tokens as real shims would be:
- OFREP: POST /ofrep/v1/evaluate/flags with the shim's context, without If-None-Match (a full evaluation, never
  a 304).
- Ingest: POST /api/v1/telemetry/batch, --batch-size synthetic events per batch from one installation
  (telemetry/synthetic.py), not gzipped; every event id is new for every request (wrk fills the body in per
  request), so ingest always stores rows and never takes the duplicate path. Events/s counts the server's own
  `accepted`. The API limits batches per installation (THROTTLE_TELEMETRY_BATCH, 120/min by default), so the
  default of 300 installations keeps each one far below it; the table shows any 429 anyway.

Per target: a closed-loop warm-up, then the peak (closed loop: --connections connections, each sending as soon
as its previous answer arrives), then paced runs at each --steps fraction of that peak. Pacing is a fixed
schedule in the wrk script: request n leaves at start + n / rate whatever the server does, on the first free
connection (wrk's delay() hook, clock_gettime through LuaJIT's FFI). A request that finds every connection busy
past its slot leaves at once and counts as "late": wrk times a request from its actual send, so the late share
says how far p50/p99 are from an open-loop figure (0 % late = identical).

Columns: req/s counts every completed answer, events/s the server's `accepted`; the steps are fractions of the
peak's 2xx/s. Socket errors are wrk's connect/read/write errors and timeouts (--timeout); non-2xx includes 429.
CPU: the server's processes and the load generator in shares of one core, and how busy the server's core was
with anything (PostgreSQL, other work on the machine): server cpu well under core 0 busy means the server was
sharing its core, so read its figures as a floor. The server's access log is summed at the end as a cross-check.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.flags import prepare_database  # noqa: E402 - needs the repo on sys.path
from bench.ingest import _recreate_database, _setup_django  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/pitwall_bench_load"
DEFAULT_REDIS = "redis://127.0.0.1:6379/11"
SCRIPT = Path(__file__).with_name("load.lua")
SERVER_CORE, CLIENT_CORE = 0, 1
EVENT_ID_PLACEHOLDER = "@EVENT_ID@"


@dataclass(frozen=True)
class Target:
    key: str
    title: str
    path: str
    data_file: Path  # "token<TAB>body" per line, one per installation
    ingest: bool


@dataclass
class Run:
    """One wrk run, from the JSON line bench/load.lua prints."""

    step: str
    target_rate: float | None  # None: closed loop
    figures: dict[str, float]
    server_cpu: float = 0.0  # share of one core used by gunicorn (master and workers)
    server_core_busy: float = 0.0  # share of the server's core busy with anything (PostgreSQL, other work)
    client_cpu: float = 0.0  # share of one core used by wrk

    @property
    def seconds(self) -> float:
        return self.figures["duration_us"] / 1e6

    @property
    def rate(self) -> float:
        return self.figures["requests"] / self.seconds

    @property
    def ok_rate(self) -> float:
        """2xx answers per second: what the steps are fractions of (a throttled or failing peak is not a peak)."""
        return self.figures["status_2xx"] / self.seconds

    @property
    def events_rate(self) -> float:
        return self.figures["accepted"] / self.seconds

    @property
    def socket_errors(self) -> int:
        return int(sum(self.figures[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts")))

    @property
    def non_2xx(self) -> int:
        return int(self.figures["status_429"] + self.figures["status_other"])

    @property
    def failed(self) -> bool:
        return bool(self.socket_errors or self.non_2xx or self.figures["rejected"] or self.figures["duplicates"])


def prepare(workdir: Path, db_url: str, installations: int, batch_size: int) -> tuple[Path, Path]:
    """Installations and their request bodies: (OFREP data file, ingest data file)."""
    from rollout import services as rollout_services
    from rollout.models import Installation
    from telemetry.synthetic import generate_events, make_installations

    prepare_database(db_url, installations=0)  # migrations, fast mode, preview at 25 %
    ofrep_lines, ingest_lines = [], []
    for synthetic in make_installations(installations, days=14, seed=8):
        installation, token = rollout_services.installation_register(
            os=synthetic.os, arch=synthetic.arch, shim_version="0.1.0")
        rollout_services.installation_set_consent(installation=installation, telemetry_consent=True,
                                                  consent_version="1")
        Installation.objects.filter(pk=installation.pk).update(ring=synthetic.ring)  # as its enrollment would
        context = {"targetingKey": str(installation.id), "shimVersion": "0.1.0", "os": synthetic.os,
                   "arch": synthetic.arch}
        ofrep_lines.append(f"{token}\t{json.dumps({'context': context})}")
        events = sorted((event for _, event in generate_events(count=batch_size, days=14, installations=[synthetic],
                                                                seed=synthetic.index)),
                        key=lambda event: event["occurred_at"])
        for event in events:
            event["event_id"] = EVENT_ID_PLACEHOLDER
        ingest_lines.append(f"{token}\t{json.dumps({'schema': 1, 'events': events})}")
    ofrep_file, ingest_file = workdir / "ofrep.tsv", workdir / "ingest.tsv"
    ofrep_file.write_text("\n".join(ofrep_lines) + "\n")
    ingest_file.write_text("\n".join(ingest_lines) + "\n")
    return ofrep_file, ingest_file


def _pinned(core: int, command: list[str]) -> list[str]:
    return ["taskset", "-c", str(core), *command] if (os.cpu_count() or 1) >= 2 else command


def start_server(workdir: Path, port: int, workers: int, db_url: str, redis_url: str,
                 base_env: dict[str, str]) -> subprocess.Popen[bytes]:
    env = {**base_env, "DJANGO_SETTINGS_MODULE": "pitwall.settings", "DEBUG": "0", "SECRET_KEY": "bench-only",
           "DATABASE_URL": db_url, "CACHE_URL": redis_url, "CELERY_BROKER_URL": redis_url,
           "SECURE_SSL_REDIRECT": "0"}
    command = [sys.executable, "-m", "gunicorn", "pitwall.wsgi", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--access-logfile", str(workdir / "access.log")]
    with (workdir / "server.log").open("wb") as log:
        server = subprocess.Popen(_pinned(SERVER_CORE, command), cwd=REPO, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                return server
        except urllib.error.HTTPError as exc:  # up but broken: waiting will not help
            server.kill()
            raise SystemExit(f"/healthz answered {exc.code}; see {workdir / 'server.log'}") from None
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise SystemExit(f"gunicorn did not start; see {workdir / 'server.log'}") from None
            time.sleep(0.2)


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _process_tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and its children (gunicorn's workers)."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += _process_tree_cpu(int(child))
    except (OSError, IndexError, ValueError):
        pass  # a worker that exited between the listing and the read
    return total


def _core_busy_and_total(core: int) -> tuple[int, int]:
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith(f"cpu{core} "):
            ticks = [int(value) for value in line.split()[1:]]
            idle = ticks[3] + ticks[4]  # idle, iowait
            return sum(ticks) - idle, sum(ticks)
    return 0, 0


def run_wrk(target: Target, port: int, server_pid: int, *, step: str, rate: float | None, seconds: int,
            connections: int, threads: int, timeout: int) -> Run:
    env = {**os.environ, "PITWALL_LOAD_DATA": str(target.data_file), "PITWALL_LOAD_PATH": target.path,
           "PITWALL_LOAD_RATE": f"{rate or 0:.3f}", "PITWALL_LOAD_THREADS": str(threads),
           "PITWALL_LOAD_NONCE": str(secrets.randbelow(2**31))}
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", f"{timeout}s",
               "-s", str(SCRIPT), f"http://127.0.0.1:{port}{target.path}"]
    # CPU shares over the run say who was short of CPU: the server, its core's other tenants, or wrk
    server_before, (busy_before, total_before) = _process_tree_cpu(server_pid), _core_busy_and_total(SERVER_CORE)
    client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(_pinned(CLIENT_CORE, command), env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy_after, total_after = _core_busy_and_total(SERVER_CORE)
    for line in completed.stdout.splitlines():
        if line.startswith("PITWALL_LOAD "):
            return Run(
                step=step, target_rate=rate, figures=json.loads(line.removeprefix("PITWALL_LOAD ")),
                server_cpu=(_process_tree_cpu(server_pid) - server_before) / wall,
                server_core_busy=(busy_after - busy_before) / max(1, total_after - total_before),
                client_cpu=(client_after.ru_utime + client_after.ru_stime - client_before.ru_utime
                            - client_before.ru_stime) / wall,
            )
    raise SystemExit(f"wrk failed (exit {completed.returncode}):\n{completed.stdout}\n{completed.stderr}")


def _ms(microseconds: float) -> str:
    return f"{microseconds / 1000:.2f}"


def print_table(target: Target, runs: list[Run]) -> None:
    header = (f"{'step':>5}  {'target req/s':>12}  {'req/s':>9}  {'events/s':>9}  {'p50 ms':>8}  {'p99 ms':>8}  "
              f"{'late %':>6}  {'socket errors c/r/w/t':>21}  {'non-2xx':>7}  {'429':>5}  "
              f"{'server cpu':>10}  {'core 0 busy':>11}  {'wrk cpu':>7}")
    print(header)
    print("-" * len(header))
    for run in runs:
        f = run.figures
        target_rate = f"{run.target_rate:,.0f}" if run.target_rate else "closed"
        late = f"{100 * f['late'] / max(1, f['sent']):.1f}" if run.target_rate else "-"
        events = f"{run.events_rate:,.0f}" if target.ingest else "-"
        sockets = (f"{f['connect_errors']:.0f}/{f['read_errors']:.0f}/{f['write_errors']:.0f}/"
                   f"{f['timeouts']:.0f}")
        print(f"{run.step:>5}  {target_rate:>12}  {run.rate:>9,.1f}  {events:>9}  {_ms(f['p50_us']):>8}  "
              f"{_ms(f['p99_us']):>8}  {late:>6}  {sockets:>21}  {run.non_2xx:>7}  {f['status_429']:>5.0f}  "
              f"{run.server_cpu:>10.0%}  {run.server_core_busy:>11.0%}  {run.client_cpu:>7.0%}")
    for run in runs:
        if run.target_rate and run.rate < 0.97 * run.target_rate:
            print(f"  note: {run.step} reached {run.rate / run.target_rate:.0%} of its target rate "
                  f"(generator or server behind; max lag {run.figures['max_lag_ms']:.0f} ms)")
        if run.figures["rejected"] or run.figures["duplicates"]:
            print(f"  {run.step}: {run.figures['rejected']:.0f} batches with rejected events, "
                  f"{run.figures['duplicates']:.0f} duplicate events")


def access_log_summary(path: Path) -> str:
    """Answers per path and status as the server logged them: a cross-check on wrk's counts."""
    counts: Counter[tuple[str, str]] = Counter()
    for line in path.read_text().splitlines():
        fields = line.split()
        if len(fields) > 8:
            counts[(fields[6], fields[8])] += 1
    return "; ".join(f"{url_path} {status}: {n:,}" for (url_path, status), n in sorted(counts.items()))


def _stored_events() -> int:
    from telemetry.models import BuildEvent

    return BuildEvent.objects.count()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=15, help="seconds per run (peak and each step)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of closed-loop warm-up per target")
    parser.add_argument("--targets", default="ofrep,ingest",
                        help="comma-separated: ofrep, ingest, ofrep-flag (POST /ofrep/v1/evaluate/flags/fast-mode)")
    parser.add_argument("--skip-ingest", action="store_true", help="same as --targets ofrep")
    parser.add_argument("--steps", default="0.25,0.5,0.8", help="fractions of the measured peak")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (3 sync workers serve)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (all on the generator's core)")
    parser.add_argument("--timeout", type=int, default=10, help="seconds before wrk counts a request as timed out")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (the Procfile's default)")
    parser.add_argument("--installations", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=100, help="events per ingest batch")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_LOAD_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_LOAD_REDIS_URL", DEFAULT_REDIS),
                        help="cache, rate limits and Celery broker of the server")
    args = parser.parse_args()
    keys = [key.strip() for key in args.targets.split(",") if key.strip()]
    if args.skip_ingest:
        keys = [key for key in keys if key != "ingest"]
    if not keys or set(keys) - {"ofrep", "ofrep-flag", "ingest"}:
        parser.error("--targets takes ofrep, ofrep-flag and/or ingest")
    steps = [float(step) for step in args.steps.split(",")]
    if (os.cpu_count() or 1) < 2:
        print("warning: one core only, server and load generator are not pinned apart", file=sys.stderr)

    import redis

    cache = redis.Redis.from_url(args.redis_url)
    workdir = Path(tempfile.mkdtemp(prefix="pitwall-load-"))
    server_env = dict(os.environ)  # before _setup_django quiets this process's logging (LOG_LEVEL=WARNING)
    _recreate_database(args.database_url)
    _setup_django(args.database_url)
    from django.db import connection

    ofrep_file, ingest_file = prepare(workdir, args.database_url, args.installations, args.batch_size)
    connection.close()
    targets = {
        "ofrep": Target("ofrep", "OFREP bulk evaluation", "/ofrep/v1/evaluate/flags", ofrep_file, ingest=False),
        "ofrep-flag": Target("ofrep-flag", "OFREP single-flag evaluation", "/ofrep/v1/evaluate/flags/fast-mode",
                             ofrep_file, ingest=False),
        "ingest": Target("ingest", f"telemetry batch ingest, {args.batch_size} events per batch, not gzipped",
                         "/api/v1/telemetry/batch", ingest_file, ingest=True),
    }
    cache.flushdb()
    port = 19000 + os.getpid() % 1000
    server = start_server(workdir, port, args.workers, args.database_url, args.redis_url, server_env)
    failed = behind = False
    try:
        print(f"gunicorn {args.workers} sync workers on core {SERVER_CORE}, wrk {args.threads} thread(s) x "
              f"{args.connections} connections on core {CLIENT_CORE}, {args.installations} installations, "
              f"{args.duration} s per run; logs in {workdir}")
        for key in keys:
            target = targets[key]

            def run(step: str, rate: float | None, seconds: int, target: Target = target) -> Run:
                result = run_wrk(target, port, server.pid, step=step, rate=rate, seconds=seconds,
                                 connections=args.connections, threads=args.threads, timeout=args.timeout)
                time.sleep(1)  # let requests wrk abandoned at its deadline drain before the next run
                return result

            warmup = run("warm", None, args.warmup)
            peak = run("peak", None, args.duration)
            runs = [peak, *(run(f"{step:.0%}", step * peak.ok_rate, args.duration) for step in steps)]
            print(f"\n{target.title} (POST {target.path}): peak {peak.ok_rate:,.1f} req/s (2xx)"
                  + (f", {peak.events_rate:,.0f} events/s" if target.ingest else ""))
            if target.ingest:
                per_installation = 60 * peak.rate / args.installations
                print(f"  at the peak rate each installation sends {per_installation:.0f} batches/min "
                      f"(rate limit {server_env.get('THROTTLE_TELEMETRY_BATCH', '120/min')})")
            print_table(target, runs)
            if warmup.failed:
                print(f"  warm-up: {warmup.socket_errors} socket errors, {warmup.non_2xx} non-2xx")
            if target.ingest:
                accepted = int(sum(r.figures["accepted"] for r in [warmup, *runs]))
                print(f"  stored events: {_stored_events():,}; accepted as seen by the clients: {accepted:,} "
                      "(more stored = batches committed after wrk stopped waiting)")
                connection.close()
            failed = failed or any(r.failed for r in runs)
            behind = behind or any(r.target_rate and r.rate < 0.97 * r.target_rate for r in runs)
    finally:
        server.terminate()
        server.wait(timeout=30)
        cache.flushdb()  # throttle counters, cached flags and the rollup messages nobody consumed
        for data_file in (ofrep_file, ingest_file):
            data_file.unlink()  # tens of MB; the logs stay for a look afterwards
    print(f"\nserver access log: {access_log_summary(workdir / 'access.log')}")
    if behind:
        print("\nSome steps missed their rate: if core 0 was busy beyond the server's own CPU, the machine was "
              "shared during the run; rerun it on a quiet machine.")
    if failed:
        print("\nFAIL: errors under load (see the tables)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
