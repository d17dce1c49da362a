"""Fixtures of the bots tests: GitHub and Discord configured, real webhook payloads, the GitHub stand-in."""

import itertools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bots.github.events import sign
from bots.tests import discord_harness as dh
from bots.tests.github_standin import FakeGitHub, serve
from tests.shared import shared_data

SECRET = "test-webhook-secret"
REPOSITORY = "Codertocat/Hello-World"
# The recorded payloads' issue carries the label "bug": it plays the feedback label here.
LABEL = "bug"

_deliveries = itertools.count(1)


@pytest.fixture(autouse=True)
def bots_settings(settings: Any) -> Any:
    settings.GITHUB_WEBHOOK_SECRET = SECRET
    settings.GITHUB_REPOSITORY = REPOSITORY
    settings.GITHUB_FEEDBACK_LABEL = LABEL
    settings.GITHUB_DISCUSSION_CATEGORY = "General"
    settings.GITHUB_TRACKING_ISSUE = 0
    settings.GITHUB_TOKEN = ""
    settings.GITHUB_APP_ID = ""
    settings.GITHUB_APP_PRIVATE_KEY = ""
    settings.GITHUB_APP_INSTALLATION_ID = 0
    settings.PITWALL_GITHUB_SECONDS_BETWEEN_REQUESTS = 0
    settings.DISCORD_TOKEN = ""
    settings.DISCORD_GUILD_ID = dh.GUILD_ID
    settings.DISCORD_MAINTAINER_ROLE_ID = dh.MAINTAINER_ROLE_ID
    settings.DISCORD_REPORT_CHANNEL_ID = 0
    settings.DISCORD_FEEDBACK_CHANNEL_ID = 0
    return settings


@pytest.fixture
def webhook_payload() -> Callable[[str], bytes]:
    """The raw bytes of a recorded delivery, e.g. webhook_payload("issues.opened.0")."""

    def load(name: str) -> bytes:
        path: Path = shared_data("github-webhooks", f"{name}.json", what="recorded GitHub webhook payloads")
        return path.read_bytes()

    return load


@pytest.fixture
def post_webhook(client: Any) -> Callable[..., Any]:
    """POST a body as GitHub does: signed with the secret unless `signature` is given (None: no header)."""

    def post(
        body: bytes | dict[str, Any],
        *,
        event: str,
        delivery: str | None = None,
        signature: str | bool | None = True,
        **headers: str,
    ) -> Any:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        extra = {"HTTP_X_GITHUB_EVENT": event, "HTTP_X_GITHUB_DELIVERY": delivery or f"delivery-{next(_deliveries)}"}
        if signature is True:
            extra["HTTP_X_HUB_SIGNATURE_256"] = sign(secret=SECRET, body=raw)
        elif isinstance(signature, str):
            extra["HTTP_X_HUB_SIGNATURE_256"] = signature
        extra.update(headers)
        return client.post("/webhooks/github", data=raw, content_type="application/json", **extra)

    return post


@pytest.fixture
def fake_github(settings: Any) -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    server, thread = serve(fake)
    settings.GITHUB_API_URL = fake.base_url
    settings.GITHUB_TOKEN = "ghs_test_token"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def slept() -> list[float]:
    """The delays the GitHub client asked to sleep (recorded instead of slept)."""
    return []
