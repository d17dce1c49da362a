"""The detached background process: refresh the flag snapshot, then upload queued events.

Started by the shim after the build (never on the build's path), it exits at once when there is nothing to
do, never runs twice at once (a non-blocking lock), obeys a hard time limit, and backs off after 429 / 5xx /
network errors. Events leave the queue only once the service acknowledged them."""

from __future__ import annotations

import json
import os
import random
import sys
import time

from . import launch, privacy, remote, spool, state
from .api import ApiError, NetworkError, expect_dict
from .config import Config
from .paths import Paths, read_bytes, write_atomic

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

HARD_LIMIT_SECONDS = 30
# Long enough for a loaded server to commit and answer a batch: a client that gives up first sends it again, which
# costs the server twice (bench/ingest_faults.py: a 5 s timeout doubled the traffic under load), and short
# enough to leave a retry inside the hard limit.
REQUEST_TIMEOUT = 20.0
MAX_BATCH_EVENTS = 1000
MAX_BATCH_BYTES = 1 << 20
GZIP_ABOVE_BYTES = 4096


def log(paths: Paths, message: str) -> None:
    """A short local log (kept under 64 KiB) for `leptos-fast telemetry status`; never holds the token."""
    try:
        if os.path.getsize(paths.sender_log) > 64 << 10:
            os.replace(paths.sender_log, paths.sender_log + ".1")
    except OSError:
        pass
    try:
        with open(paths.sender_log, "a", encoding="utf-8") as handle:
            handle.write(time.strftime("%Y-%m-%dT%H:%M:%SZ ", time.gmtime()) + message + "\n")
    except OSError:
        pass


def batch_body(events: list[dict[str, Any]]) -> bytes:
    """The exact bytes POSTed for a batch (before optional gzip); `telemetry show` prints the same thing."""
    return json.dumps({"schema": 1, "events": events}, separators=(",", ":"), ensure_ascii=False).encode()


def batches(events: list[dict[str, Any]], max_events: int = MAX_BATCH_EVENTS) -> list[list[dict[str, Any]]]:
    """Split into batches of at most `max_events` events and 1 MiB of JSON."""
    result: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 32
    for event in events:
        event_size = len(spool.encode(event))
        if current and (len(current) >= max_events or size + event_size > MAX_BATCH_BYTES):
            result.append(current)
            current, size = [], 32
        current.append(event)
        size += event_size
    if current:
        result.append(current)
    return result


def _load_backoff(paths: Paths) -> dict[str, Any]:
    raw = read_bytes(paths.sender_state, 4096)
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        value = {}
    return value if isinstance(value, dict) else {}


def _save_backoff(paths: Paths, failures: int, next_attempt_at: float) -> None:
    body = {"failures": failures, "next_attempt_at": next_attempt_at}
    write_atomic(paths.sender_state, json.dumps(body).encode())
    marker = launch.backoff_marker(paths.state_dir)
    if next_attempt_at > 0:
        write_atomic(marker, b"")
        os.utime(marker, (next_attempt_at, next_attempt_at))  # the shim only stats this file
    else:
        try:
            os.remove(marker)
        except FileNotFoundError:
            pass


def backoff_seconds(failures: int, jitter: float | None = None) -> float:
    """30 s, 60 s, 120 s ... up to an hour, spread by +-50 %: after an outage, thousands of shims must not come
    back in the same second."""
    spread = random.random() if jitter is None else jitter
    return float(min(3600, 30 * 2 ** max(0, failures - 1))) * (0.5 + spread)


def upload(paths: Paths, env: Mapping[str, str], *, deadline: float, force: bool = False) -> str:
    """Send the queue in batches. Returns a short word for tests and the log: sent, empty, backoff, ..."""
    backoff = _load_backoff(paths)
    now = time.time()
    if not force and float(backoff.get("next_attempt_at", 0)) > now:
        return "backoff"
    failures = int(backoff.get("failures", 0))
    api = remote.client(paths, env, timeout=REQUEST_TIMEOUT)
    if not api.token:
        return "unregistered"
    max_events = MAX_BATCH_EVENTS
    result = "empty"
    while time.time() < deadline:
        events = spool.read(paths)
        if not events:
            break
        batch = batches(events, max_events)[0]
        body = batch_body(batch)
        ids = [event["event_id"] for event in batch]
        try:
            response = api.request(
                "POST", "/api/v1/telemetry/batch", raw_body=body, gzip_body=len(body) > GZIP_ABOVE_BYTES
            )
            # Only the batch answer acknowledges: a 2xx without it (the body cut off by a server killed mid-reply,
            # an empty 200 from something in between) is retried like garbage - a batch that did arrive comes
            # back as duplicates, one that did not is not lost.
            answer = expect_dict(response, "accepted", "duplicates", "rejected")
        except NetworkError as error:
            failures += 1
            _save_backoff(paths, failures, time.time() + backoff_seconds(failures))
            log(paths, f"upload failed (network: {error}); retry later")
            return "retry"
        except ApiError as error:
            if error.status == 429 or error.status >= 500 or error.code == "bad_response":
                failures += 1
                wait = error.retry_after if error.status == 429 and error.retry_after is not None else None
                wait = min(86_400.0, wait) if wait is not None else backoff_seconds(failures)
                _save_backoff(paths, failures, time.time() + wait)
                log(paths, f"upload deferred ({error.status} {error.code}); retry in {int(wait)}s")
                return "retry"
            if error.status == 401:
                log(paths, "the service refused the installation token (401); run `leptos-fast status`")
                return "unauthorized"
            if error.status == 403:
                # The service holds no consent for us: nothing queued may be sent, so nothing is kept.
                spool.clear(paths)
                state.record_consent(paths, False)
                log(paths, "the service has no telemetry consent for this installation (403); queue emptied")
                return "no_consent"
            if error.status == 413 and len(batch) > 1:
                max_events = max(1, len(batch) // 2)
                continue
            spool.remove(paths, ids)
            log(paths, f"dropped {len(ids)} events the service refused ({error.status} {error.code})")
            result = "dropped"
            continue
        rejected = answer.get("rejected")
        if not isinstance(rejected, list):
            rejected = []
        for item in rejected[:20]:
            if isinstance(item, dict):
                log(paths, f"event rejected: {json.dumps(item.get('errors'))[:300]}")
        spool.remove(paths, ids)
        failures = 0
        _save_backoff(paths, 0, 0)
        log(
            paths,
            f"sent {len(ids)} events: accepted {answer.get('accepted')}, "
            f"duplicates {answer.get('duplicates')}, "
            f"rejected {len(rejected)}",
        )
        result = "sent"
    return result


def run(paths: Paths, env: Mapping[str, str], *, force: bool = False) -> str:
    """One background pass. Exits early when there is nothing to do or nothing may be done."""
    if privacy.blocked_reason(env) or privacy.telemetry_debug(env) or not state.has_token(paths):
        return "nothing"
    lock = spool.FileLock(paths.sender_lock, blocking=False)
    if not lock.acquire():
        return "busy"
    try:
        deadline = time.time() + HARD_LIMIT_SECONDS - 2
        ttl = int(Config.load(paths).get("flags_ttl_minutes")) * 60
        if force or remote.flags_age(paths) > ttl:
            try:
                remote.refresh_flags(paths, env)
            except (ApiError, NetworkError, remote.NotRegistered) as error:
                log(paths, f"flag refresh failed: {error}")
        if state.consent_given(paths) and spool.has_events(paths):
            return upload(paths, env, deadline=deadline, force=force)
        return "idle"
    finally:
        lock.release()


def _hard_limit() -> None:
    if hasattr(os, "fork"):
        import signal

        signal.alarm(HARD_LIMIT_SECONDS)  # SIGALRM's default action ends the process, wherever it is stuck
    else:
        import threading

        timer = threading.Timer(HARD_LIMIT_SECONDS, os._exit, args=(0,))
        timer.daemon = True
        timer.start()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    _hard_limit()
    result = run(Paths(), os.environ, force="--force" in args)
    if "--print" in args:
        print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
