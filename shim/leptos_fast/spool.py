"""The local event queue: JSON lines in the state directory, guarded by a file lock.

Events are appended as they happen (so a killed shim loses nothing it had measured) and removed only after
the service acknowledged them, so a killed sender loses nothing either; re-sending is harmless because the
service is idempotent by `event_id`. The queue keeps at most 14 days and 5,000 events (TELEMETRY.md).

After a build the shim leaves at once and a detached process of its own writes the build's event (see
cargo_shim.py). That process holds a shared lock on `spool.pending` from before the shim exits until the
event is written, and `read` first waits for every such writer: whoever looks at the queue right after a
build sees the build's event. That process writes only while the consent file exists, checked under the
queue's lock, so an event on its way when `telemetry off` runs is dropped, not left behind."""

from __future__ import annotations

import os
import sys
import time

from .paths import Paths, ensure_dir

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from types import TracebackType
    from typing import Any

MAX_EVENTS = 5000
MAX_AGE_SECONDS = 14 * 86_400
PRUNE_ABOVE_BYTES = 2 << 20
PENDING_WAIT_SECONDS = 30.0  # a writer probes tool versions (time-limited) before writing: wait that long


class FileLock:
    """An exclusive lock on a lock file (flock on Unix, msvcrt on Windows); released when the process dies."""

    def __init__(self, path: str, *, blocking: bool = True) -> None:
        self.path = path
        self.blocking = blocking
        self.fd: int | None = None

    def acquire(self) -> bool:
        ensure_dir(os.path.dirname(self.path))
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_LOCK if self.blocking else msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | (0 if self.blocking else fcntl.LOCK_NB))
        except OSError:
            os.close(fd)
            if self.blocking:
                raise
            return False
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor drops the lock
            self.fd = None

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def encode(event: dict[str, Any]) -> bytes:
    import json  # not at the top: the shim takes the `pending_writer` mark before it needs any JSON

    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def pending_writer(paths: Paths) -> int | None:
    """Mark an event as on its way to the queue: `read` waits until the mark is gone.

    Returns a descriptor holding a shared lock on `spool.pending` (None where there is no flock, or on
    error). The mark lasts until every copy of the descriptor is closed: take it before forking the process
    that writes, and close it there once the event is written (closing the parent's copy keeps the mark)."""
    if sys.platform == "win32":
        return None
    import fcntl

    try:
        ensure_dir(paths.state_dir)
        fd = os.open(paths.spool_pending, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)  # only an exclusive holder can delay this: a reader, for an instant
    except OSError:
        os.close(fd)
        return None
    return fd


def wait_for_writers(paths: Paths, timeout: float = PENDING_WAIT_SECONDS) -> bool:
    """Wait until no event is on its way (see `pending_writer`); False if one still was after `timeout`."""
    if sys.platform == "win32":
        return True
    import fcntl

    try:
        fd = os.open(paths.spool_pending, os.O_RDWR)
    except OSError:
        return True  # no mark was ever made here
    try:
        deadline = time.monotonic() + timeout
        pause = 0.002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released by the close below at once
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(pause)
                pause = min(0.05, pause * 2)
            except OSError:
                return True
    finally:
        os.close(fd)


def append(paths: Paths, events: Iterable[dict[str, Any]], *, require: str | None = None) -> None:
    """Add events to the queue. With `require` (the consent file), only while that file exists, checked
    under the lock: consent withdrawn meanwhile (`telemetry off` removes it, then clears the queue under
    the same lock) means the events are dropped, never left behind."""
    data = b"".join(encode(event) for event in events)
    if not data:
        return
    with FileLock(paths.spool_lock):
        if require is not None and not os.path.exists(require):
            return
        with open(paths.spool_file, "ab") as handle:
            if handle.tell() > 0:
                # a writer killed mid-line must not glue its half line to ours
                with open(paths.spool_file, "rb") as reader:
                    reader.seek(-1, os.SEEK_END)
                    if reader.read(1) != b"\n":
                        data = b"\n" + data
            handle.write(data)
            size = handle.tell()
        if size > PRUNE_ABOVE_BYTES:
            _rewrite(paths, prune(_read_unlocked(paths)))


def _epoch(occurred_at: object) -> float:
    import calendar

    try:
        return float(calendar.timegm(time.strptime(str(occurred_at)[:19], "%Y-%m-%dT%H:%M:%S")))
    except ValueError:
        return 0.0


def prune(events: list[dict[str, Any]], now: float | None = None) -> list[dict[str, Any]]:
    """Drop events older than 14 days, then keep the newest 5,000."""
    cutoff = (time.time() if now is None else now) - MAX_AGE_SECONDS
    kept = [event for event in events if _epoch(event.get("occurred_at")) >= cutoff]
    return kept[-MAX_EVENTS:]


def _read_unlocked(paths: Paths) -> list[dict[str, Any]]:
    import json

    try:
        with open(paths.spool_file, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        return []
    events = []
    for line in raw.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue  # a torn line from a killed writer
        if isinstance(event, dict) and isinstance(event.get("event_id"), str):
            events.append(event)
    return events


def _rewrite(paths: Paths, events: list[dict[str, Any]]) -> None:
    tmp = paths.spool_file + ".tmp"
    with open(tmp, "wb") as handle:
        handle.write(b"".join(encode(event) for event in events))
        # On disk before the rename: else a machine crash can leave the renamed file empty and the queue lost.
        # Only the sender (a detached child) and an over-full queue rewrite, never the build's own path.
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, paths.spool_file)


def read(paths: Paths) -> list[dict[str, Any]]:
    """The queued events, oldest first, pruned as the sender would (after events on their way arrived)."""
    wait_for_writers(paths)
    with FileLock(paths.spool_lock):
        return prune(_read_unlocked(paths))


def remove(paths: Paths, event_ids: Iterable[str]) -> None:
    """Forget delivered (or refused) events; events queued meanwhile by other shims are kept."""
    gone = set(event_ids)
    with FileLock(paths.spool_lock):
        events = _read_unlocked(paths)
        _rewrite(paths, prune([event for event in events if event["event_id"] not in gone]))


def clear(paths: Paths) -> None:
    with FileLock(paths.spool_lock):
        try:
            os.remove(paths.spool_file)
        except FileNotFoundError:
            pass


def has_events(paths: Paths) -> bool:
    try:
        return os.path.getsize(paths.spool_file) > 0
    except OSError:
        return False
