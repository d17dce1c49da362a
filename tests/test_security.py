"""Security promises, proved through HTTP: who gets what is walked in test_url_access.py; here

- tokens are never logged or stored in clear (only their SHA-256 digest is);
- a webhook with a bad, missing, replayed or wrong-algorithm signature writes nothing;
- an installation can never read or change another's data, nor claim a ring;
- oversized and gzip-bomb bodies are refused (413, or 415 where nothing inflates) before they are read whole;
- `manage.py check --deploy` passes with production settings.
"""

import gzip
import hashlib
import hmac
import json
import logging
import os
import subprocess
import sys
import tracemalloc
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from bots.github.events import sign
from pitwall.middleware import body_limit
from rollout import services as rollout_services
from rollout.codes import hash_code
from rollout.models import Feature, Installation
from telemetry.models import BuildEvent
from telemetry.tests.factories import wire_event
from tests.db_scan import cells_containing, row_counts
from tests.shared import REPO_ROOT, shared_data
from tests.test_url_access import ROUTES

pytestmark = pytest.mark.django_db

WEBHOOK_SECRET = "security-test-secret"


class RecordEverything(logging.Handler):
    """Every record of every logger, formatted with its arguments and traceback, as an operator's log would be."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def all_logs() -> Iterator[RecordEverything]:
    """Attached to the root and to every logger that exists (some do not propagate), at DEBUG."""
    handler = RecordEverything()
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in list(logging.root.manager.loggerDict))]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield handler
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


# --- tokens --------------------------------------------------------------------------------------------------


def test_tokens__used_everywhere__never_logged_nor_stored_in_clear(
    fast_mode: Feature, all_logs: RecordEverything, settings: Any
) -> None:
    settings.DEBUG = True  # so django.db.backends would log every query with its parameters, were it to see one
    registered = APIClient().post("/api/v1/installations", {"platform": {"os": "linux"}}, format="json")
    assert registered.status_code == 201
    token = registered.json()["token"]
    shim = APIClient()
    shim.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert shim.patch("/api/v1/installations/me", {"telemetry_consent": True, "consent_version": "1"},
                      format="json").status_code == 200
    assert shim.post("/ofrep/v1/evaluate/flags", {"context": {}}, format="json").status_code == 200
    assert shim.post("/api/v1/telemetry/batch", {"schema": 1, "events": [wire_event()]},
                     format="json").status_code == 200
    assert shim.post("/api/v1/feedback", {"text": "fast mode is great", "client_id": str(uuid.uuid4())},
                     format="json").status_code == 201
    assert shim.get("/api/v1/feedback/items").status_code == 403  # a refusal is logged: still without the token
    participant = rollout_services.participant_upsert(handle="sec-test")
    _, code = rollout_services.enrollment_create(
        participant=participant, ring="beta", source="web", consent_text_version="1", actor="t"
    )
    assert code is not None
    assert shim.post("/api/v1/installations/me/link", {"code": code.display}, format="json").status_code == 200
    enrollment_code = code.plaintext
    # A token one character off, and the same token sent where no token is expected.
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION=f"Bearer {token[:-1]}{'A' if token[-1] != 'A' else 'B'}")
    assert wrong.get("/api/v1/installations/me").status_code == 401
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/dashboard/").status_code in (302, 403)

    assert all_logs.lines, "the flows above log something; an empty capture would prove nothing"
    assert not [line for line in all_logs.lines if token in line or token[4:] in line]
    assert not cells_containing(token[4:]), "the token (or its random part) is stored in clear"
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert cells_containing(digest) == ["rollout_installation.token_hash"]
    # The enrollment code is a credential too (it moves an installation into a ring): a keyed digest only.
    assert not [line for line in all_logs.lines if enrollment_code in line]
    assert not cells_containing(enrollment_code)
    assert cells_containing(hash_code(enrollment_code)) == ["rollout_enrollmentcode.code_hash"]


# --- the GitHub webhook --------------------------------------------------------------------------------------


@pytest.fixture
def webhook(settings: Any) -> Any:
    settings.GITHUB_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.GITHUB_REPOSITORY = "Codertocat/Hello-World"
    settings.GITHUB_FEEDBACK_LABEL = "bug"  # the recorded payload's issue carries it: a delivery that would count
    body = shared_data("github-webhooks", "issues.opened.0.json", what="recorded GitHub webhook payloads").read_bytes()
    client = Client()

    def post(raw: bytes = body, *, delivery: str = "delivery-1", **headers: str) -> Any:
        extra: dict[str, Any] = {"HTTP_X_GITHUB_EVENT": "issues", "HTTP_X_GITHUB_DELIVERY": delivery, **headers}
        return client.post("/webhooks/github", data=raw, content_type="application/json", **extra)

    post.body = body  # type: ignore[attr-defined]
    return post


def _hmac(algorithm: str, body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return hmac.new(secret.encode(), body, algorithm).hexdigest()


def _bad_signatures(body: bytes) -> dict[str, dict[str, str]]:
    good = sign(secret=WEBHOOK_SECRET, body=body)
    return {
        "missing": {},
        "empty": {"HTTP_X_HUB_SIGNATURE_256": ""},
        "wrong secret": {"HTTP_X_HUB_SIGNATURE_256": sign(secret="not-the-secret", body=body)},
        "other body": {"HTTP_X_HUB_SIGNATURE_256": sign(secret=WEBHOOK_SECRET, body=body + b" ")},
        "truncated": {"HTTP_X_HUB_SIGNATURE_256": good[:-2]},
        "no prefix": {"HTTP_X_HUB_SIGNATURE_256": good.removeprefix("sha256=")},
        "sha1 in the sha256 header": {"HTTP_X_HUB_SIGNATURE_256": "sha1=" + _hmac("sha1", body)},
        "sha1 header only": {"HTTP_X_HUB_SIGNATURE": "sha1=" + _hmac("sha1", body)},
        "sha512 labelled sha512": {"HTTP_X_HUB_SIGNATURE_256": "sha512=" + _hmac("sha512", body)},
        "sha512 labelled sha256": {"HTTP_X_HUB_SIGNATURE_256": "sha256=" + _hmac("sha512", body)},
        "md5": {"HTTP_X_HUB_SIGNATURE_256": "md5=" + _hmac("md5", body)},
        "sha256 of the body, no key": {"HTTP_X_HUB_SIGNATURE_256": "sha256=" + hashlib.sha256(body).hexdigest()},
    }


@pytest.mark.shared_data
def test_webhook__bad_missing_or_wrong_algorithm_signature__401_nothing_written(webhook: Any) -> None:
    before = row_counts()
    for what, headers in _bad_signatures(webhook.body).items():
        response = webhook(**headers)
        assert response.status_code == 401, what
        assert row_counts() == before, what


@pytest.mark.shared_data
def test_webhook__replayed__acknowledged_nothing_written(
    webhook: Any, django_capture_on_commit_callbacks: Any
) -> None:
    signature = sign(secret=WEBHOOK_SECRET, body=webhook.body)
    with django_capture_on_commit_callbacks(execute=True):
        first = webhook(HTTP_X_HUB_SIGNATURE_256=signature)
    assert first.status_code == 202
    after_first = row_counts()
    assert after_first["feedback.FeedbackItem"] == 1
    # The same delivery again (what GitHub's "Redeliver" and a captured-request replay both send) ...
    with django_capture_on_commit_callbacks(execute=True):
        again = webhook(HTTP_X_HUB_SIGNATURE_256=signature)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    # ... and the captured body under a delivery id of the attacker's choosing (the id is not signed).
    with django_capture_on_commit_callbacks(execute=True):
        forged = webhook(HTTP_X_HUB_SIGNATURE_256=signature, delivery="delivery-forged")
    assert forged.status_code == 200 and forged.json()["status"] == "duplicate"
    assert row_counts() == after_first


# --- one installation and another ----------------------------------------------------------------------------


def _shim(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_installations__routes_take_no_installation_id() -> None:
    """The shim's routes act on "me" only: no path carries another installation's id to try."""
    from tests.test_url_access import INSTALLATION

    for route in ROUTES:
        if route.name in INSTALLATION:
            assert "installation" not in str(route.pattern.pattern).replace("installations/me", ""), route


def test_installation__cannot_read_change_or_delete_another__nor_claim_a_ring(fast_mode: Feature) -> None:
    mine, my_token = rollout_services.installation_register(os="linux")
    theirs, their_token = rollout_services.installation_register(os="macos")
    rollout_services.installation_set_consent(installation=theirs, telemetry_consent=True, consent_version="1")
    me = _shim(my_token)

    # Reading: "me" is always the token's own installation, whatever else the request names.
    for query in ("", f"?installation_id={theirs.pk}", f"?id={theirs.pk}"):
        assert me.get(f"/api/v1/installations/me{query}").json()["installation_id"] == str(mine.pk)

    # Changing: fields naming another installation or a ring are refused or ignored; theirs stays as it was.
    for change in ({"installation_id": str(theirs.pk), "telemetry_consent": False},
                   {"id": str(theirs.pk), "telemetry_consent": False},
                   {"ring": "beta", "telemetry_consent": True},
                   {"ring": "beta"}):
        response = me.patch("/api/v1/installations/me", change, format="json")
        assert response.status_code in (200, 400), (change, response.status_code)
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.ring == "general" and theirs.ring == "general"
    assert theirs.telemetry_consent is True

    # Flags: a claimed ring or targeting key is ignored; the server's ring decides.
    evaluated = me.post("/ofrep/v1/evaluate/flags/fast-mode",
                        {"context": {"targetingKey": str(theirs.pk), "ring": "beta"}}, format="json")
    assert evaluated.status_code == 200 and evaluated.json()["value"] is False

    # Telemetry: an event that names an installation or a ring is rejected, never stored under anyone.
    me.patch("/api/v1/installations/me", {"telemetry_consent": True, "consent_version": "1"}, format="json")
    forged = [wire_event(installation_id=str(theirs.pk)), wire_event(ring="beta")]
    answer = me.post("/api/v1/telemetry/batch", {"schema": 1, "events": forged}, format="json").json()
    assert answer["accepted"] == 0 and len(answer["rejected"]) == 2
    assert not BuildEvent.objects.exists()
    stored = wire_event()
    me.post("/api/v1/telemetry/batch", {"schema": 1, "events": [stored]}, format="json")
    # Their token cannot take over my event id; my upload landed under me with the server's ring.
    assert _shim(their_token).post("/api/v1/telemetry/batch", {"schema": 1, "events": [stored]},
                                   format="json").json()["duplicates"] == 1
    assert list(BuildEvent.objects.values_list("installation_id", "ring")) == [(mine.pk, "general")]

    # Deleting "me" deletes only me.
    assert me.delete("/api/v1/installations/me").status_code == 204
    assert not Installation.objects.filter(pk=mine.pk).exists()
    assert Installation.objects.filter(pk=theirs.pk).exists()
    assert me.get("/api/v1/installations/me").status_code == 401


def test_installation__code_used_by_another__cannot_be_claimed(fast_mode: Feature) -> None:
    mine, my_token = rollout_services.installation_register(os="linux")
    _, their_token = rollout_services.installation_register(os="linux")
    participant = rollout_services.participant_upsert(handle="someone-else")
    _, code = rollout_services.enrollment_create(
        participant=participant, ring="beta", source="web", consent_text_version="1", actor="t"
    )
    assert code is not None
    assert _shim(their_token).post("/api/v1/installations/me/link", {"code": code.display},
                                   format="json").status_code == 200
    response = _shim(my_token).post("/api/v1/installations/me/link", {"code": code.display}, format="json")
    assert response.status_code in (400, 404, 409)
    mine.refresh_from_db()
    assert mine.ring == "general" and mine.participant_id is None


# --- bodies --------------------------------------------------------------------------------------------------


class EndlessBody:
    """A request body that never ends and counts what is read from it."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        size = 64 * 1024 if size is None or size < 0 else size
        self.read_bytes += size
        return b"x" * size

    def readline(self, size: int = -1) -> bytes:
        return self.read(size if size and size > 0 else 1024)


def _body_routes() -> list[Any]:
    return [route for route in ROUTES if not route.name.startswith("admin:") or route.name == "admin:login"]


def test_bodies__declared_over_the_cap__413_on_every_route_nothing_read(
    installation_client: Any, staff_client: Client
) -> None:
    shim, _ = installation_client
    for route in _body_routes():
        limit = body_limit(route.pattern.callback)
        for who, client in (("anonymous", Client()), ("installation", shim), ("staff", staff_client)):
            stream = EndlessBody()
            environ: dict[str, Any] = {"wsgi.input": stream, "CONTENT_LENGTH": str(limit + 1)}
            response = client.generic("POST", route.url, b"", content_type="application/json", **environ)
            assert response.status_code == 413, (route.name, who, response.status_code)
            assert stream.read_bytes == 0, (route.name, who)


def test_bodies__gzip_where_nothing_inflates__415_nothing_read(installation_client: Any) -> None:
    shim, _ = installation_client
    bomb = gzip.compress(b" " * (8 * 1024 * 1024))
    for route in _body_routes():
        if route.name == "telemetry-batch":
            continue  # the one route that inflates: below
        stream = EndlessBody()
        environ: dict[str, Any] = {"wsgi.input": stream, "CONTENT_LENGTH": str(len(bomb))}
        response = shim.generic("POST", route.url, b"", content_type="application/json",
                                HTTP_CONTENT_ENCODING="gzip", **environ)
        assert response.status_code == 415, (route.name, response.status_code)
        assert stream.read_bytes == 0, route.name


def test_telemetry__gzip_bomb__413_inflated_no_further_than_the_cap(installation_client: Any) -> None:
    shim, installation = installation_client
    rollout_services.installation_set_consent(installation=installation, telemetry_consent=True,
                                              consent_version="1")
    inflated_size = 256 * 1024 * 1024
    bomb = gzip.compress(b'{"schema": 1, "events": [' + b" " * inflated_size, compresslevel=9)
    assert len(bomb) < settings.TELEMETRY_MAX_BODY_BYTES  # small on the wire: only inflating finds it out
    tracemalloc.start()
    try:
        response = shim.generic("POST", "/api/v1/telemetry/batch", bomb, content_type="application/json",
                                HTTP_CONTENT_ENCODING="gzip")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    assert peak < 8 * settings.TELEMETRY_MAX_BODY_BYTES, f"peak {peak} bytes: inflated past the cap"
    assert not BuildEvent.objects.exists()


# --- deployment ----------------------------------------------------------------------------------------------


def _production_env(**overrides: str) -> dict[str, str]:
    """What an operator sets (docs/deploy.md), and nothing of this test run's own environment."""
    production = {
        "DEBUG": "0",
        "SECRET_KEY": "p" + hashlib.sha256(b"a production-like secret for the check").hexdigest() * 2,
        "ALLOWED_HOSTS": "pitwall.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://pitwall.example.org",
        "DATABASE_URL": "postgres://pitwall@db.example.org:5432/pitwall",
        "CELERY_BROKER_URL": "redis://cache.example.org:6379/0",
        "CACHE_URL": "redis://cache.example.org:6379/1",
        "DJANGO_SETTINGS_MODULE": "pitwall.settings",
    }
    kept = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    return kept | production | overrides


def _check_deploy(**overrides: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_ROOT, env=_production_env(**overrides), capture_output=True, text=True, timeout=120, check=False,
    )


def test_check_deploy__production_settings__no_issues() -> None:
    result = _check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy__hsts_off__the_check_notices() -> None:
    """The check above is not vacuous: weakening one production setting fails it."""
    result = _check_deploy(SECURE_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


def test_production_settings__secure_cookies_https_no_debug() -> None:
    script = ("import json, django; django.setup(); from django.conf import settings as s; "
              "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
              "s.SECURE_SSL_REDIRECT, s.DEBUG]))")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, env=_production_env(),
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [True, True, True, True, False]
