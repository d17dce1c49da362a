"""The PyGithub client: token or GitHub App authentication, GITHUB_API_URL, and rate-limit handling.

Rate limits: a 403/429 with Retry-After (secondary limit) or a primary-limit 403 is retried after the wait it asks
for, through an injectable sleeper (tests record the delays instead of sleeping); a wait longer than
PITWALL_GITHUB_MAX_RATE_LIMIT_WAIT_SECONDS ends the run instead (RateLimitStop) and the next scheduled run goes on.
Requests are paced by PyGithub (seconds between requests and between writes) and retries are bounded.
"""

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from github import Auth, Github, GithubRetry
from github.GithubException import RateLimitExceededException
from urllib3.response import BaseHTTPResponse

from bots.config import github_config

Sleeper = Callable[[float], None]


class RateLimitStop(Exception):  # a stop, not an error: the next run goes on
    """GitHub asks for a longer wait than a run may sleep: stop now, go on at the next run."""


class PacedRetry(GithubRetry):
    """GithubRetry (Retry-After, secondary and primary limits) whose waits go through `sleeper` and are capped."""

    def __init__(self, *, sleeper: Sleeper = time.sleep, **kwargs: Any) -> None:
        self.sleeper = sleeper
        super().__init__(**kwargs)

    def new(self, **kw: Any) -> "PacedRetry":
        kw["sleeper"] = self.sleeper
        return super().new(**kw)

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        delay: float | None = None
        if response is not None and self.respect_retry_after_header:
            delay = self.get_retry_after(response)
        if delay is None:
            delay = self.get_backoff_time()
        if self.max_rate_limit_wait is not None and delay > self.max_rate_limit_wait:
            raise RateLimitStop(f"GitHub asks to wait {delay:.0f} s")
        if delay > 0:
            self.sleeper(delay)


def github_retry(*, sleeper: Sleeper | None = None) -> PacedRetry:
    return PacedRetry(
        sleeper=sleeper or time.sleep,
        total=5,
        backoff_factor=1.0,
        secondary_rate_wait=60,
        max_rate_limit_wait=settings.PITWALL_GITHUB_MAX_RATE_LIMIT_WAIT_SECONDS,
        # GithubRetry adds 403 (rate limits only); 429 is GitHub's other secondary-limit answer.
        status_forcelist=[429, *range(500, 600)],
        allowed_methods=frozenset({"GET", "POST", "PATCH", "DELETE"}),
    )


def github_client(*, sleeper: Sleeper | None = None) -> Github:
    config = github_config()
    auth: Auth.Auth
    if config.token:
        auth = Auth.Token(config.token)
    else:
        auth = Auth.AppAuth(config.app_id, config.app_private_key).get_installation_auth(config.app_installation_id)
    return Github(
        base_url=config.api_url,
        auth=auth,
        retry=github_retry(sleeper=sleeper),
        per_page=100,
        timeout=20,
        user_agent="pitwall-bot",
        seconds_between_requests=settings.PITWALL_GITHUB_SECONDS_BETWEEN_REQUESTS,
        seconds_between_writes=max(settings.PITWALL_GITHUB_SECONDS_BETWEEN_REQUESTS, 1.0)
        if settings.PITWALL_GITHUB_SECONDS_BETWEEN_REQUESTS
        else 0,
    )


def raise_if_low_budget(gh: Github) -> None:
    """Stop before the primary budget runs dry, so other users of the token keep some."""
    remaining, _limit = gh.requester.rate_limiting
    if 0 <= remaining < settings.PITWALL_GITHUB_MIN_REMAINING_REQUESTS:
        raise RateLimitStop(f"only {remaining} requests left until the rate limit resets")


RATE_LIMIT_ERRORS: tuple[type[Exception], ...] = (RateLimitStop, RateLimitExceededException)
