"""The in-process flag snapshot that answers OFREP without per-request queries.

A single version counter (FlagsState, mirrored in the cache) says when the configuration changed. Each process
keeps the engine snapshot built for one version; it compares versions through the cache (shared Redis in
production, so a change is seen by every worker at once) and, at most every few seconds, through the database
itself, so a process whose cache is not shared still catches up.
"""

import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from rollout.engine import Snapshot

CACHE_KEY = "rollout:flags_version"


@dataclass(frozen=True)
class FlagsSnapshot:
    version: int
    engine: Snapshot


class _Holder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.current: FlagsSnapshot | None = None
        self.db_checked_at = 0.0
        self.builds = 0
        self.hits = 0


_holder = _Holder()


def publish_version(version: int) -> None:
    """Called on commit of any flag change: every process sees the new version on its next request."""
    cache.set(CACHE_KEY, version, timeout=None)
    _holder.db_checked_at = 0.0


def _version_from_db() -> int:
    from rollout.models import FlagsState

    state = FlagsState.objects.filter(id=1).values_list("version", flat=True).first()
    return int(state or 0)


def _current_version() -> int:
    now = time.monotonic()
    cached = cache.get(CACHE_KEY)
    if cached is not None and now - _holder.db_checked_at < settings.PITWALL_FLAGS_VERSION_MAX_AGE_SECONDS:
        return int(cached)
    version = _version_from_db()
    _holder.db_checked_at = now
    if cached != version:
        cache.set(CACHE_KEY, version, timeout=None)
    return version


def current_snapshot() -> FlagsSnapshot:
    version = _current_version()
    current = _holder.current
    if current is not None and current.version == version:
        _holder.hits += 1
        return current
    with _holder.lock:
        current = _holder.current
        if current is not None and current.version == version:
            return current
        from rollout.mappers import client_features_payload

        built = FlagsSnapshot(
            version=version, engine=Snapshot.from_client_features(client_features_payload())
        )
        _holder.current = built
        _holder.builds += 1
        return built


def snapshot_stats() -> dict[str, int]:
    return {"builds": _holder.builds, "hits": _holder.hits}


def reset_for_tests() -> None:
    _holder.current = None
    _holder.db_checked_at = 0.0
