"""Metrics benchmark: the dashboard's questions over millions of synthetic events, rollups vs raw events.

For each scale (number of events over --days days, realistic distributions from telemetry/synthetic.py):
1. generate the events, turn them into rows with the ingest's own code (telemetry.services.event_row, after
   msgspec validation of the wire JSON) and COPY them into the raw table, two processes in parallel;
2. build the rollups with the rebuild service (telemetry.services.rollups_rebuild: the same code as the ingest);
3. answer each question with the selectors (median of --repeat runs after one warm-up) and compute the exact
   figures from the raw events in SQL (percentile_disc = the same nearest-rank definition) in the same run.

Target (issue 3): under 100 ms per question at 10 M events, percentile error under 2 %.
PostgreSQL only (the production database). Scales run in order on one database, topping the events up.
Usage: .venv/bin/python bench/metrics.py [--events 1000000 10000000] [--days 90] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/pitwall_bench_metrics"
CHUNK = 50_000
SEED = 20260301


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
    admin = db_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _installation_id(index: int) -> uuid.UUID:
    return uuid.UUID(int=(0xB0 << 120) | index)


# --- generation -------------------------------------------------------------------------------------------------

_worker: dict[str, Any] = {}


def _worker_init(db_url: str, installations: int, days: int, end: date) -> None:
    _setup_django(db_url)
    from telemetry.synthetic import make_installations

    _worker.update(installations=make_installations(installations, days=days, seed=SEED), days=days, end=end)


def _copy_chunk(chunk: int) -> int:
    """Generate chunk `chunk` (its own seed) and COPY its rows; returns the number of rows."""
    import msgspec
    from django.conf import settings
    from django.db import connection

    from telemetry.models import BuildEvent
    from telemetry.schema import Event
    from telemetry.services import EVENT_COLUMNS, event_row
    from telemetry.synthetic import generate_events

    encoder, decoder = msgspec.json.Encoder(), msgspec.json.Decoder(Event)
    feature = settings.TELEMETRY_FEATURE_KEY
    columns = ", ".join(EVENT_COLUMNS)
    rows = 0
    connection.ensure_connection()
    raw_connection: Any = connection.connection
    with raw_connection.cursor() as cursor, cursor.copy(
        f"COPY {BuildEvent._meta.db_table} ({columns}) FROM STDIN"
    ) as copy:
        for inst, wire in generate_events(count=CHUNK, days=_worker["days"], end=_worker["end"],
                                          installations=_worker["installations"], seed=SEED + chunk):
            event = decoder.decode(encoder.encode(wire))  # the ingest's validation, exactly
            received_at = event.occurred_at.astimezone(UTC) + timedelta(minutes=2)
            copy.write_row(event_row(event, installation_id=_installation_id(inst.index), ring=inst.ring,
                                     feature=feature, received_at=received_at))
            rows += 1
    raw_connection.commit()
    return rows


def generate(db_url: str, *, first_chunk: int, chunks: int, installations: int, days: int, end: date) -> float:
    """COPY the chunks in two processes; the raw table's secondary indexes are dropped during the load and built
    again after it (a bulk load's usual practice; the ingest path keeps them, bench/ingest.py measures that)."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(db_url, autocommit=True) as conn:
        definitions = [row[0] for row in conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'telemetry_buildevent' "
            "AND indexname <> 'telemetry_buildevent_pkey'")]
        for definition in definitions:
            conn.execute("DROP INDEX " + definition.split(" INDEX ", 1)[1].split(" ON ", 1)[0])
        with ProcessPoolExecutor(max_workers=2, initializer=_worker_init,
                                 initargs=(db_url, installations, days, end)) as pool:
            done = sum(pool.map(_copy_chunk, range(first_chunk, first_chunk + chunks)))
        for definition in definitions:
            conn.execute(definition)
    assert done == chunks * CHUNK
    return time.perf_counter() - started


def create_installations(count: int, days: int) -> None:
    from rollout.models import Installation
    from telemetry.synthetic import make_installations

    existing = Installation.objects.count()
    new = [
        Installation(id=_installation_id(inst.index), token_hash=uuid.uuid4().hex + uuid.uuid4().hex,
                     ring=inst.ring, telemetry_consent=True, consent_version="1", os=inst.os, arch=inst.arch,
                     shim_version="0.1.0")
        for inst in make_installations(count, days=days, seed=SEED)[existing:]
    ]
    Installation.objects.bulk_create(new, batch_size=2000)


# --- questions --------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    name: str
    source: str
    rollup_ms: float
    exact_ms: float
    max_error: float | None  # largest relative error of a percentile against the exact one
    counts_equal: bool | None
    compared: int  # number of figures compared


def _raw_where(f: Any, *, kinds: tuple[str, ...] | None = None, success: bool = False) -> tuple[str, list[Any]]:
    conditions = ["feature = %s", "day >= %s", "day <= %s"]
    params: list[Any] = [f.feature_key, f.start, f.end]
    for name, value in f.dimension_values().items():
        conditions.append(f"{name} = %s")
        params.append(value)
    for name in ("cargo_leptos_version", "leptos_version", "rustc_version"):
        if getattr(f, name) is not None:
            conditions.append(f"{name} = %s")
            params.append(getattr(f, name))
    if kinds and f.kind is None:
        conditions.append("kind = ANY(%s)")
        params.append(list(kinds))
    if success:
        conditions.append("outcome = 'success'")
    return " AND ".join(conditions), params


def _sql(query: str, params: list[Any]) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return list(cursor.fetchall())


def _percentiles(group: str, f: Any, *, kinds: tuple[str, ...] | None = None, column: str = "duration_ms",
                 qs: tuple[float, ...] = (0.5, 0.9, 0.95), width: int | None = None,
                 ) -> dict[tuple[Any, ...], tuple[int, list[float]]]:
    where, params = _raw_where(f, kinds=kinds, success=column == "duration_ms")
    array = ",".join(str(q) for q in qs)
    rows = _sql(f"SELECT {group}, count({column}), percentile_disc(ARRAY[{array}]) WITHIN GROUP "  # noqa: S608 - code constants, bound values
                f"(ORDER BY {column}) FROM telemetry_buildevent WHERE {where} AND {column} IS NOT NULL "
                f"GROUP BY {group}", params)
    width = width or len(group.split(","))
    return {tuple(r[:width]): (int(r[width]), [float(v) for v in r[width + 1]]) for r in rows}


class Compare:
    def __init__(self) -> None:
        self.errors: list[float] = []
        self.counts_equal = True
        self.compared = 0

    def timing(self, timing: Any, exact: tuple[int, list[float]] | None) -> None:
        if exact is None:
            self.counts_equal &= timing.n == 0
            return
        n, values = exact
        self.counts_equal &= timing.n == n
        if timing.insufficient_data:
            return
        for estimate, truth in zip((timing.p50_ms, timing.p90_ms, timing.p95_ms), values, strict=False):
            self.errors.append(abs(estimate - truth) / truth)
            self.compared += 1

    def count(self, ours: int, exact: int) -> None:
        self.counts_equal &= ours == exact
        self.compared += 1


def question_set(window_start: date, end: date, long_start: date) -> list[tuple[str, Callable[[], Any],
                                                                                 Callable[[Any], Compare]]]:
    from telemetry import selectors
    from telemetry.selectors import MetricsFilter

    w = MetricsFilter(start=window_start, end=end)
    long = MetricsFilter(start=long_start, end=end)

    def build_times_check(f: Any) -> Callable[[Any], Compare]:
        def check(report: Any) -> Compare:
            exact = _percentiles("kind, mode", f, kinds=("build", "rebuild"))
            c = Compare()
            for g in report.groups:
                c.timing(g.timing, exact.get((g.kind, g.mode)))
            return c
        return check

    def improvement_check(report: Any) -> Compare:
        f = replace(w, size_bucket="medium", kind="rebuild")
        exact = _percentiles("mode", f)
        c = Compare()
        c.timing(report.fast, exact.get(("fast",)))
        c.timing(report.normal, exact.get(("normal",)))
        return c

    def hot_reload_check(report: Any) -> Compare:
        f = replace(w, kind="hot_reload")
        where, params = _raw_where(f)
        counts = {r[0]: r[1:] for r in _sql(
            "SELECT mode, count(*) FILTER (WHERE outcome='success'), count(*) FILTER (WHERE outcome='failure'), "  # noqa: S608 - code constants, bound values
            f"count(*) FILTER (WHERE outcome='interrupted') FROM telemetry_buildevent WHERE {where} GROUP BY mode",
            params)}
        patch = _percentiles("mode", f, column="time_to_patch_ms")
        reload = _percentiles("mode", f, column="time_to_reload_ms")
        c = Compare()
        for g in report.groups:
            s, fl, i = counts.get(g.mode, (0, 0, 0))
            c.count(g.success_rate.count, s)
            c.count(g.success_rate.n, s + fl)
            c.count(g.interrupted_rate.count, i)
            c.timing(g.time_to_patch, patch.get((g.mode,)))
            c.timing(g.time_to_reload, reload.get((g.mode,)))
        return c

    def failures_check(report: Any) -> Compare:
        where, params = _raw_where(w)
        counts = {(r[0], r[1]): r[2:] for r in _sql(
            "SELECT kind, mode, count(*), count(*) FILTER (WHERE outcome='failure'), "  # noqa: S608 - code constants, bound values
            f"count(*) FILTER (WHERE outcome='interrupted') FROM telemetry_buildevent WHERE {where} "
            "GROUP BY kind, mode", params)}
        c = Compare()
        for g in report.groups:
            n, fl, i = counts.get((g.kind, g.mode), (0, 0, 0))
            c.count(g.events, n)
            c.count(g.failure_rate.count, fl)
            c.count(g.interrupted_rate.count, i)
        return c

    def trend_check(f: Any, period: str) -> Callable[[Any], Compare]:
        def check(report: Any) -> Compare:
            scope = replace(f, kind="rebuild")
            bucket = "day" if period == "day" else "date_trunc('week', day)::date"
            exact = _percentiles(f"{bucket}, mode", scope, width=2)
            c = Compare()
            for p in report.points:
                c.timing(p.timing, exact.get((p.period_start, p.mode)))
            return c
        return check

    def phases_check(report: Any) -> Compare:
        where, params = _raw_where(w, kinds=("build", "rebuild"), success=True)
        phases = ("phase_server_ms", "phase_front_ms", "phase_wasm_bindgen_ms", "phase_wasm_opt_ms",
                  "phase_style_ms", "phase_other_ms")
        sums = {r[0]: r[1:] for r in _sql(
            f"SELECT mode, count(*) FILTER (WHERE num_nonnulls({', '.join(phases)}) > 0), "  # noqa: S608 - code constants, bound values
            f"coalesce(sum({' + '.join(f'coalesce({p}, 0)' for p in phases)}), 0) "
            f"FROM telemetry_buildevent WHERE {where} GROUP BY mode", params)}
        c = Compare()
        for g in report.groups:
            n, total = sums.get(g.mode, (0, 0))
            c.count(g.n, n)
            c.count(g.total_ms, int(total))
        return c

    def regressions_check(report: Any) -> Compare:
        f = replace(w, kind="rebuild")
        c = Compare()
        for component, column in (("cargo_leptos", "cargo_leptos_version"), ("leptos", "leptos_version"),
                                  ("rustc", "rustc_version")):
            exact = _percentiles(f"{column}, mode", f)
            for comp in report.components:
                if comp.component != component:
                    continue
                for v in comp.versions:
                    c.timing(v.timing, exact.get((v.version, comp.mode)))
        return c

    def version_filter_check(report: Any) -> Compare:
        return build_times_check(replace(w, cargo_leptos_version="0.2.22"))(report)

    def no_check(report: Any) -> Compare:
        return Compare()

    return [
        ("build-times, 30 d", lambda: selectors.build_times(w), build_times_check(w)),
        ("build-times, 90 d", lambda: selectors.build_times(long), build_times_check(long)),
        ("build-times ring=beta size=medium", lambda: selectors.build_times(replace(w, ring="beta",
                                                                                   size_bucket="medium")),
         build_times_check(replace(w, ring="beta", size_bucket="medium"))),
        ("build-times os=linux toolchain=nightly", lambda: selectors.build_times(
            replace(w, os="linux", toolchain="nightly")), build_times_check(replace(w, os="linux",
                                                                                   toolchain="nightly"))),
        ("build-times ring+os+command", lambda: selectors.build_times(
            replace(w, ring="preview", os="macos", command="watch")),
         build_times_check(replace(w, ring="preview", os="macos", command="watch"))),
        ("build-times cargo-leptos=0.2.22", lambda: selectors.build_times(replace(w, cargo_leptos_version="0.2.22")),
         version_filter_check),
        ("improvement, medium rebuilds", lambda: selectors.improvement(replace(w, size_bucket="medium")),
         improvement_check),
        ("hot-reload", lambda: selectors.hot_reload(w), hot_reload_check),
        ("failures", lambda: selectors.failures(w), failures_check),
        ("trend, daily, 90 d", lambda: selectors.trend(long), trend_check(long, "day")),
        ("trend, weekly, 90 d", lambda: selectors.trend(long, period="week"), trend_check(long, "week")),
        ("phases", lambda: selectors.phase_breakdown(w), phases_check),
        ("regressions", lambda: selectors.regressions(w), regressions_check),
        ("recommendations (11 queries)", lambda: selectors.recommendations(w), no_check),
    ]


def run_questions(end: date, days: int, repeat: int) -> list[Outcome]:
    long_start = end - timedelta(days=days - 1)
    window_start = end - timedelta(days=29)
    outcomes = []
    for name, ask, check in question_set(window_start, end, long_start):
        ask()  # warm-up: plans and pages
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            report = ask()
            timings.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        compare = check(report)
        exact_ms = (time.perf_counter() - started) * 1000
        outcomes.append(Outcome(
            name=name, source=report.source, rollup_ms=statistics.median(timings),
            exact_ms=exact_ms if compare.compared else float("nan"),
            max_error=max(compare.errors) if compare.errors else None,
            counts_equal=compare.counts_equal if compare.compared else None, compared=compare.compared,
        ))
    return outcomes


def _sizes() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('telemetry_buildevent')), "
                       "pg_size_pretty(pg_total_relation_size('telemetry_rollup'))")
        raw, rollup = cursor.fetchone()
        cursor.execute("SELECT grouping, count(*) FROM telemetry_rollup GROUP BY grouping ORDER BY 2")
        rows = ", ".join(f"{g} {n:,}" for g, n in cursor.fetchall())
    return f"raw table {raw}; rollups {rollup} ({rows})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 10_000_000],
                        help="scales, in events (multiples of 50,000)")
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--reuse", action="store_true",
                        help="keep the raw events of a previous run (same scales, same day); rebuild the rollups")
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        raise SystemExit("bench/metrics.py needs PostgreSQL (COPY, percentile_disc)")

    if not args.reuse:
        _recreate_database(args.database_url)
    _setup_django(args.database_url)
    from django.core.management import call_command
    from django.db import connection

    from telemetry import services
    from telemetry.models import BuildEvent, Rollup

    if args.reuse:  # the rollup table as the current code defines it
        with connection.schema_editor() as editor:
            editor.delete_model(Rollup)
            editor.create_model(Rollup)
    call_command("migrate", verbosity=0)
    end = datetime.now(UTC).date()
    chunks_done = BuildEvent.objects.count() // CHUNK if args.reuse else 0
    all_ok = True
    for scale in sorted(args.events):
        chunks = scale // CHUNK
        installations = max(50, scale // 2000)
        create_installations(installations, args.days)
        connection.close()  # no connection shared with the forked workers
        added = max(0, chunks - chunks_done) * CHUNK
        generation = generate(args.database_url, first_chunk=chunks_done, chunks=chunks - chunks_done,
                              installations=installations, days=args.days, end=end) if added else 0.0
        chunks_done = max(chunks, chunks_done)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE telemetry_buildevent")
        started = time.perf_counter()
        result = services.rollups_rebuild(since=end - timedelta(days=args.days + 1), until=end + timedelta(days=1),
                                          actor="bench")
        rebuild = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE telemetry_rollup")
        print(f"\n== {scale:,} events over {args.days} days, {installations:,} installations ==")
        print(f"generation + COPY: {generation:.0f} s for {added:,} new events; "
              f"rebuild: {rebuild:.0f} s for {result.events:,} events -> {result.rows:,} rollup rows")
        print(_sizes())
        outcomes = run_questions(end, args.days, args.repeat)
        print(f"{'question':40s} {'source':8s} {'rollup ms':>10s} {'exact (raw) ms':>15s} {'speed-up':>9s} "
              f"{'max error':>10s} {'counts':>7s}")
        for o in outcomes:
            speedup = f"{o.exact_ms / o.rollup_ms:8.0f}x" if o.exact_ms == o.exact_ms else "       -"
            error = f"{o.max_error * 100:9.2f}%" if o.max_error is not None else "        -"
            counts = {True: "equal", False: "DIFFER", None: "-"}[o.counts_equal]
            exact = f"{o.exact_ms:15,.0f}" if o.exact_ms == o.exact_ms else f"{'-':>15s}"
            print(f"{o.name:40s} {o.source:8s} {o.rollup_ms:10.1f} {exact} {speedup} {error} {counts:>7s}")
        slowest = max(o.rollup_ms for o in outcomes)
        worst = max((o.max_error for o in outcomes if o.max_error is not None), default=0.0)
        equal = all(o.counts_equal is not False for o in outcomes)
        ok = slowest < 100 and worst < 0.02 and equal
        all_ok &= ok or scale < 10_000_000
        print(f"slowest question {slowest:.1f} ms (target < 100 ms); worst percentile error {worst * 100:.2f} % "
              f"(target < 2 %); counts {'all equal' if equal else 'DIFFER'} -> {'PASS' if ok else 'FAIL'}")
    if not all_ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
