"""A fixed-window rate limit in the shared cache, for the public web form (the API uses DRF throttles).

Fixed windows let a client send up to twice the rate across a window boundary; for a spam brake that is fine,
and it costs one cache increment per request whatever the rate.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """"10/hour" -> (10, 3600); the period is read from its first letter, as DRF does."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip()[0].lower()]


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the entry the last trusted proxy added to X-Forwarded-For."""
    proxies = settings.PITWALL_FEEDBACK_TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return str(hops[-min(proxies, len(hops))])
    return str(request.META.get("REMOTE_ADDR", "unknown"))


def rate_limit_hit(*, scope: str, ident: str, rate: str) -> tuple[bool, int]:
    """Count one request; (allowed, seconds until the window resets)."""
    limit, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    key = f"feedback:rate:{scope}:{ident}:{window}"
    cache.add(key, 0, timeout=period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=period + 1)
        count = 1
    retry_after = int((window + 1) * period - now) + 1
    return count <= limit, retry_after
