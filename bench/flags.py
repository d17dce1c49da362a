"""Flag evaluation benchmark.

1. In-process engine evaluations per second (the OFREP snapshot's evaluator).
2. Bulk OFREP requests per second, p50 and p99, through gunicorn on loopback, against a trivial Django JSON view
   served the same way in the same run (same middleware, same body): peak throughput with a closed loop, then
   latency at half of each endpoint's own peak with a paced open loop.
The server is pinned to core 0 and the load generator to core 1 when the machine has two cores.

Target (issue 2): OFREP reaches at least half the trivial view's throughput; p99 under 20 ms at half of peak.
Usage: .venv/bin/python bench/flags.py [--seconds 5] [--connections 8]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _setup_django(db_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("SECRET_KEY", "bench-only")
    import django

    django.setup()


def engine_evaluations_per_second(seconds: float) -> float:
    from rollout.engine import Snapshot
    from rollout.mappers import client_features_payload

    snapshot = Snapshot.from_client_features(client_features_payload())
    contexts = [
        {
            "userId": f"00000000-0000-4000-8000-{n:012d}",
            "properties": {"ring": ("beta", "preview", "general")[n % 3]},
        }
        for n in range(1000)
    ]
    done = 0
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < deadline:
        for context in contexts:
            snapshot.evaluate("fast-mode", context)
        done += len(contexts)
    return done / (time.perf_counter() - start)


def prepare_database(db_url: str, installations: int) -> list[str]:
    from django.core.management import call_command

    from rollout import services
    from rollout.bootstrap import bootstrap_fast_mode
    from rollout.models import PhaseKey

    call_command("migrate", verbosity=0)
    feature, _ = bootstrap_fast_mode()
    preview = feature.phases.get(key=PhaseKey.PREVIEW)
    services.feature_move_to_phase(feature=feature, phase=preview, actor="bench", reason="bench")
    services.phase_update(phase=preview, actor="bench", rollout_percentage=25)
    tokens = []
    for _ in range(installations):
        _, token = services.installation_register(os="linux", arch="x86_64", shim_version="0.1.0")
        tokens.append(token)
    return tokens


def _request(port: int, path: str, token: str) -> float:
    body = json.dumps({"context": {"targetingKey": "ignored", "os": "linux", "shimVersion": "0.1.0"}})
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(
        "POST",
        path,
        body=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"{path}: HTTP {response.status}")
    return time.perf_counter() - started


def _pin(core: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {core})


def _closed_loop(
    port: int, path: str, tokens: list[str], seconds: float, connections: int
) -> tuple[int, float]:
    _pin(1)
    counts = [0] * connections
    deadline = time.perf_counter() + seconds

    def run(slot: int) -> None:
        n = 0
        while time.perf_counter() < deadline:
            _request(port, path, tokens[(slot + n) % len(tokens)])
            n += 1
        counts[slot] = n

    threads = [threading.Thread(target=run, args=(i,)) for i in range(connections)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts), time.perf_counter() - start


def _paced(port: int, path: str, tokens: list[str], rate: float, seconds: float) -> list[float]:
    """Open loop: requests leave on a fixed schedule whatever the server does; latency counts queueing too."""
    _pin(1)
    total = int(rate * seconds)
    interval = 1.0 / rate
    latencies: list[float] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.05
    workers = 16

    def run(slot: int) -> None:
        for n in range(slot, total, workers):
            scheduled = start + n * interval
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)  # pacing the schedule, not waiting for a result
            _request(port, path, tokens[n % len(tokens)])
            with lock:
                latencies.append(time.perf_counter() - scheduled)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def _in_client_process(fn: Callable[..., object], *args: object) -> object:
    with ProcessPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="pitwall-bench-"))
    db_url = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    _setup_django(db_url)
    tokens = prepare_database(db_url, installations=50)

    evals = engine_evaluations_per_second(min(args.seconds, 3.0))
    print(f"engine: {evals:,.0f} evaluations/s (fast-mode, preview at 25 %, 1000 contexts)")

    port = 18000 + os.getpid() % 1000
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
        "DATABASE_URL": db_url,
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
    }
    server_cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "bench.bench_wsgi:application",
        "--workers",
        str(args.workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    if (os.cpu_count() or 1) >= 2:
        server_cmd = ["taskset", "-c", "0", *server_cmd]
    server = subprocess.Popen(server_cmd, cwd=REPO, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _request(port, "/bench/trivial", tokens[0])
                break
            except (OSError, RuntimeError):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.1)
        for path in ("/bench/trivial", "/ofrep/v1/evaluate/flags"):  # warm every worker's snapshot
            _in_client_process(_closed_loop, port, path, tokens, 1.0, args.connections)

        results: dict[str, dict[str, float]] = {}
        for name, path in (("trivial view", "/bench/trivial"), ("OFREP bulk", "/ofrep/v1/evaluate/flags")):
            closed = _in_client_process(_closed_loop, port, path, tokens, args.seconds, args.connections)
            assert isinstance(closed, tuple)
            count, elapsed = closed
            peak = count / elapsed
            latencies = _in_client_process(_paced, port, path, tokens, peak / 2, args.seconds)
            assert isinstance(latencies, list)
            results[name] = {
                "peak": peak,
                "p50": statistics.median(latencies) * 1000,
                "p99": _percentile(latencies, 0.99) * 1000,
            }
            print(
                f"{name:13s}: peak {peak:8.0f} req/s | at half peak ({peak / 2:.0f} req/s): "
                f"p50 {results[name]['p50']:6.2f} ms, p99 {results[name]['p99']:6.2f} ms"
            )
        ratio = results["OFREP bulk"]["peak"] / results["trivial view"]["peak"]
        print(f"OFREP / trivial throughput: {ratio:.2f} (target >= 0.50)")
        print(f"OFREP p99 at half peak: {results['OFREP bulk']['p99']:.2f} ms (target < 20 ms)")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
