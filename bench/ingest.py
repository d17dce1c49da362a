"""Ingest benchmark: events per second through HTTP against a raw COPY of the same rows into the same table.

1. Through HTTP: POST /api/v1/telemetry/batch on gunicorn (sync workers) with PostgreSQL, batches of 100 and of
   500 events, from --connections keep-alive clients; every batch authenticated, validated, stored with
   ON CONFLICT and queued for the rollups in its transaction, the rollup task published to Redis on commit (the
   production configuration). The table starts empty each time.
2. The rollup task then catches up (in this process, as a worker would): its events per second are printed too,
   and every event is checked to be stored and rolled up exactly once.
3. Baseline: the same events, turned into the same rows (telemetry.services.event_row), in one psycopg COPY into
   the same (emptied) table, with its indexes - raw rows only, no validation, no rollups.
Events are synthetic and realistic (telemetry/synthetic.py): each batch comes from one installation, in time
order, as a shim sends them; bodies are encoded before the clock starts.

Target (issue 3): HTTP ingest at least 0.3 of COPY's events per second.
Usage: .venv/bin/python bench/ingest.py [--events 100000] [--connections 4] [--workers 3] [--gzip]
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/pitwall_bench_ingest"
DEFAULT_BROKER = "redis://127.0.0.1:6379/12"


def _setup_django(db_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _recreate_database(db_url: str) -> None:
    import psycopg

    name = db_url.rsplit("/", 1)[1]
    with psycopg.connect(db_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def prepare(count: int) -> dict[Any, tuple[str, Any, list[dict[str, Any]]]]:
    """{synthetic installation index: (token, installation, its events in time order)}, all consenting."""
    from django.core.management import call_command

    from rollout import services as rollout_services
    from rollout.models import Installation
    from telemetry.synthetic import generate_events, make_installations

    call_command("migrate", verbosity=0)
    synthetic = make_installations(max(50, count // 2000), days=14, seed=42)
    by_installation: dict[Any, tuple[str, Any, list[dict[str, Any]]]] = {}
    for inst in synthetic:
        installation, token = rollout_services.installation_register(os=inst.os, arch=inst.arch,
                                                                     shim_version="0.1.0")
        installation = rollout_services.installation_set_consent(installation=installation, telemetry_consent=True,
                                                                 consent_version="1")
        Installation.objects.filter(pk=installation.pk).update(ring=inst.ring)  # as its enrollment would
        installation.ring = inst.ring
        by_installation[inst.index] = (token, installation, [])
    for inst, event in generate_events(count=count, days=14, installations=synthetic, seed=42):
        by_installation[inst.index][2].append(event)
    for _, _, events in by_installation.values():
        events.sort(key=lambda e: e["occurred_at"])
    return by_installation


def _empty_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE telemetry_buildevent, telemetry_rollup, telemetry_pendingrollup")
        cursor.execute("VACUUM ANALYZE telemetry_buildevent")
        cursor.execute("VACUUM ANALYZE telemetry_rollup")


def _post_all(port: int, bodies: list[tuple[str, bytes]], connections: int, use_gzip: bool) -> tuple[int, float]:
    work: queue.SimpleQueue[tuple[str, bytes] | None] = queue.SimpleQueue()
    for item in bodies:
        work.put(item)
    for _ in range(connections):
        work.put(None)
    accepted = [0] * connections
    errors: list[str] = []

    def run(slot: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while (item := work.get()) is not None:
            token, body = item
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
            if use_gzip:
                headers["Content-Encoding"] = "gzip"
            conn.request("POST", "/api/v1/telemetry/batch", body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            if response.status != 200:
                errors.append(f"HTTP {response.status}: {payload[:200]!r}")
                continue
            result = json.loads(payload)
            accepted[slot] += result["accepted"]
            if result["rejected"]:
                errors.append(f"rejected: {result['rejected'][:1]}")
        conn.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} failed requests, first: {errors[0]}")
    return sum(accepted), elapsed


def _batches(by_installation: dict[Any, tuple[str, Any, list[dict[str, Any]]]], size: int,
             ) -> list[tuple[str, Any, list[dict[str, Any]]]]:
    """(token, installation, events) per batch: each installation's events in order, installations interleaved."""
    queues = [[(token, installation, events[i:i + size]) for i in range(0, len(events), size)]
              for token, installation, events in by_installation.values()]
    batches = []
    while any(queues):
        for queue_ in queues:
            if queue_:
                batches.append(queue_.pop(0))
    return batches


def _bodies(batches: list[tuple[str, Any, list[dict[str, Any]]]], use_gzip: bool) -> list[tuple[str, bytes]]:
    bodies = []
    for token, _, events in batches:
        body = json.dumps({"schema": 1, "events": events}).encode()
        bodies.append((token, gzip.compress(body) if use_gzip else body))
    return bodies


def catch_up() -> tuple[int, float]:
    """Run the rollup task until nothing is pending, as a worker would; (events added, seconds)."""
    from telemetry import services

    events = 0
    started = time.perf_counter()
    while True:
        result = services.rollups_apply_pending()
        events += result.events
        if not result.batches:
            return events, time.perf_counter() - started


def copy_rows(batches: list[tuple[str, Any, list[dict[str, Any]]]]) -> tuple[int, float]:
    """The same events as the HTTP run (same installation per batch), as rows, in one COPY."""
    import msgspec
    from django.conf import settings
    from django.db import connection

    from telemetry.schema import Event
    from telemetry.services import EVENT_COLUMNS, event_row

    decoder = msgspec.json.Decoder(list[Event])
    received_at = datetime.now(UTC)
    rows: list[list[Any]] = []
    for _, installation, events in batches:
        batch = decoder.decode(json.dumps(events).encode())
        rows.extend(event_row(e, installation_id=installation.pk, ring=installation.ring,
                              feature=settings.TELEMETRY_FEATURE_KEY, received_at=received_at) for e in batch)
    connection.ensure_connection()
    raw: Any = connection.connection
    started = time.perf_counter()
    with raw.cursor() as cursor, cursor.copy(
        f"COPY telemetry_buildevent ({', '.join(EVENT_COLUMNS)}) FROM STDIN"
    ) as copy:
        for row in rows:
            copy.write_row(row)
    raw.commit()
    return len(rows), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument("--gzip", action="store_true", help="send the batches gzip-compressed")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_INGEST_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--broker", default=os.environ.get("BENCH_BROKER_URL", DEFAULT_BROKER),
                        help="Redis for the rollup task's messages (purged after the run); '' = eager rollups "
                             "inside each request, the embedded default")
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        raise SystemExit("bench/ingest.py needs PostgreSQL (COPY)")

    _recreate_database(args.database_url)
    _setup_django(args.database_url)
    from django.db import connection

    by_installation = prepare(args.events)
    total = sum(len(events) for _, _, events in by_installation.values())
    connection.close()

    port = 18500 + os.getpid() % 1000
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.bench_settings", "DATABASE_URL": args.database_url,
           "DEBUG": "0", "SECURE_SSL_REDIRECT": "0", "LOG_LEVEL": "WARNING",
           "THROTTLE_TELEMETRY_BATCH": "1000000/min", "CELERY_BROKER_URL": args.broker}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "bench.bench_wsgi:application", "--workers", str(args.workers),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "120"],
        cwd=REPO, env=env,
    )
    results: dict[str, float] = {}
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                probe.request("GET", "/healthz")
                probe.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.1)
        # warm every worker (imports, connections, the auth path) with throwaway events
        warm = {key: (token, inst, [dict(e, event_id=str(uuid.uuid4())) for e in events[:20]])
                for key, (token, inst, events) in list(by_installation.items())[:20]}
        _post_all(port, _bodies(_batches(warm, 10), args.gzip), args.connections, args.gzip)

        rollups = "rollups by the task, published to Redis" if args.broker else "rollups eager, in each request"
        print(f"{total:,} synthetic events, {len(by_installation)} installations, gunicorn {args.workers} sync "
              f"workers, {args.connections} client connections{', gzip' if args.gzip else ''}, {rollups}; "
              f"{os.cpu_count()} cores shared by client, server and PostgreSQL")
        for size in (100, 500):
            _empty_tables()
            batches = _batches(by_installation, size)
            accepted, elapsed = _post_all(port, _bodies(batches, args.gzip), args.connections, args.gzip)
            assert accepted == total, (accepted, total)
            rate = accepted / elapsed
            results[f"http{size}"] = rate
            print(f"HTTP, batches of {size:3d}: {accepted:,} events in {elapsed:6.1f} s = {rate:8,.0f} events/s "
                  f"({len(batches) / elapsed:6.1f} batches/s)")
            rolled, catch_up_s = catch_up()
            if rolled:
                print(f"  rollup task catch-up: {rolled:,} events in {catch_up_s:5.1f} s = "
                      f"{rolled / catch_up_s:8,.0f} events/s (HTTP + rollups end to end: "
                      f"{accepted / (elapsed + catch_up_s):,.0f} events/s)")
            _check_stored(total)
        _empty_tables()
        copied, elapsed = copy_rows(_batches(by_installation, 500))
        results["copy"] = copied / elapsed
        print(f"COPY (raw rows only)  : {copied:,} events in {elapsed:6.1f} s = {results['copy']:8,.0f} events/s")
        for size in (100, 500):
            ratio = results[f"http{size}"] / results["copy"]
            print(f"HTTP {size} / COPY: {ratio:.2f} (target >= 0.30) -> {'PASS' if ratio >= 0.3 else 'FAIL'}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        if args.broker:
            import redis

            redis.Redis.from_url(args.broker).flushdb()  # the rollup messages nobody consumed


def _check_stored(expected: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM telemetry_buildevent")
        stored = cursor.fetchone()[0]
        cursor.execute("SELECT coalesce(sum(events), 0) FROM telemetry_rollup WHERE grouping = 'full'")
        rolled = cursor.fetchone()[0]
    assert stored == rolled == expected, (stored, rolled, expected)


if __name__ == "__main__":
    main()
