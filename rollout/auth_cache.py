"""A short-lived cache of authenticated installations, so the hot endpoints (OFREP, telemetry) skip the query.

Every service that changes an installation (consent, ring, link, deletion) forgets it on commit, so with the
shared cache (Redis) a change is seen at once; a process-local cache can lag by at most the TTL.
"""

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from rollout.models import Installation

_PREFIX = "rollout:installation:"


def _key(token_hash: str) -> str:
    return _PREFIX + token_hash


def cached_installation(token_hash: str) -> Installation | None:
    installation = cache.get(_key(token_hash))
    return installation if isinstance(installation, Installation) else None


def remember_installation(installation: Installation) -> None:
    cache.set(_key(installation.token_hash), installation, timeout=settings.PITWALL_AUTH_CACHE_SECONDS)


def forget_installation(installation: Installation) -> None:
    key = _key(installation.token_hash)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))
