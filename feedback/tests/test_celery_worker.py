"""Scoring through a real Celery worker on Redis, against the real (PostgreSQL) test database.

Runs when PITWALL_TEST_CELERY_BROKER names a Redis URL (`make test-postgres`, CI) and the database is one a
second process can open (not SQLite's in-memory test database). Follows tests/test_celery_worker.py.
"""

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from celery.app.amqp import AMQP
from django.db import connection
from django.utils import timezone

import feedback.scoring as scoring
from feedback.models import FeedbackItem
from feedback.text import text_hash
from pitwall.celery import app as pitwall_celery

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.celery_worker


@pytest.fixture
def worker_broker() -> str:
    broker = os.environ.get("PITWALL_TEST_CELERY_BROKER", "")
    if not broker:
        pytest.skip("set PITWALL_TEST_CELERY_BROKER=redis://127.0.0.1:6379/15 (make test-postgres does)")
    if connection.vendor != "postgresql":
        pytest.skip("a worker process cannot open SQLite's in-memory test database; runs on PostgreSQL")
    return broker


def _database_url() -> str:
    settings = connection.settings_dict
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    user = settings.get("USER") or "postgres"
    return f"postgres://{user}@{host}:{port}/{settings['NAME']}"


@pytest.fixture
def worker_queue(worker_broker: str, transactional_db: Any) -> Iterator[str]:
    """A worker consuming one fresh queue, so parallel runs and leftovers of other runs never meet."""
    queue = f"test-feedback-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": worker_broker,
        "CELERY_RESULT_BACKEND": worker_broker,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "pitwall", "worker", "--pool=solo", "--concurrency=1",
         "-Q", queue, "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=REPO_ROOT, env=env,
    )
    try:
        yield queue
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def probe(worker_broker: str) -> Iterator[Celery]:
    # Not the current app: shared tasks (score_feedback_item.delay) resolve through the current app, and a probe
    # that became it would send every later test's tasks to Redis instead of running them eagerly.
    client = Celery("feedback-probe", broker=worker_broker, backend=worker_broker, set_as_current=False)
    yield client
    client.close()


def _unscored_item(text: str) -> FeedbackItem:
    # Written with the ORM, not the service: in this process tasks run eagerly, and the worker must do the work.
    return FeedbackItem.objects.create(
        source="discord", external_id=str(uuid.uuid4()), text=text, text_hash=text_hash(text),
        created_at=timezone.now(),
    )


def test_worker__scores_item_once__second_run_skipped(worker_queue: str, probe: Celery) -> None:
    item = _unscored_item("cargo leptos dev --fast made my rebuilds painfully slow again")

    first = probe.send_task("feedback.score_item", args=[item.pk], queue=worker_queue, ignore_result=False)
    assert first.get(timeout=120) == "scored"
    again = probe.send_task("feedback.score_item", args=[item.pk], queue=worker_queue, ignore_result=False)
    assert again.get(timeout=120) == "skipped"

    item.refresh_from_db()
    assert item.label in {"positive", "neutral", "negative"} and item.score is not None
    assert item.scorer_version == scoring.SCORER_VERSION and item.scored_text_hash == item.text_hash


@pytest.fixture
def dispatch_to_worker(worker_queue: str, worker_broker: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's Celery app sends to the broker and the worker's queue instead of running tasks eagerly."""
    monkeypatch.setitem(pitwall_celery.conf, "task_always_eager", False)
    monkeypatch.setitem(pitwall_celery.conf, "broker_url", worker_broker)
    monkeypatch.setitem(pitwall_celery.conf, "task_default_queue", worker_queue)
    # The app caches its queues and connection pool; fresh ones are built from the settings above.
    monkeypatch.setattr(pitwall_celery, "amqp", AMQP(app=pitwall_celery))
    monkeypatch.setattr(pitwall_celery, "_pool", None)
    try:
        yield
    finally:
        pool = getattr(pitwall_celery, "_pool", None)
        if pool is not None:
            pool.force_close_all()


def test_worker__submission_queued_on_commit_is_scored_by_worker(
    dispatch_to_worker: None, worker_queue: str, probe: Celery, installation_client: Any
) -> None:
    """The whole path: HTTP submit -> commit -> task on Redis -> worker scores it."""
    client, _ = installation_client

    response = client.post(
        "/api/v1/feedback", {"text": "hot reload works great now", "client_id": str(uuid.uuid4())}, format="json"
    )
    assert response.status_code == 201
    item_id = response.json()["id"]
    # One solo worker takes its queue in order: once this probe is done, the on-commit task ran before it.
    follow_up = probe.send_task("feedback.score_item", args=[item_id], queue=worker_queue, ignore_result=False)
    assert follow_up.get(timeout=120) == "skipped"
    item = FeedbackItem.objects.get(pk=item_id)
    assert item.label and item.scorer_version == scoring.SCORER_VERSION
