"""A webhook delivery stored before the answer is processed by a real Celery worker on Redis, against the real
(PostgreSQL) test database: the "task lost after the answer" case, and a redelivered task.

Runs when PITWALL_TEST_CELERY_BROKER names a Redis URL (`make test-postgres`, CI) and the database is one a
second process can open (not SQLite's in-memory test database). Follows tests/test_celery_worker.py.
"""

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from django.db import connection

from bots import services
from bots.models import DeliveryOutcome, WebhookDelivery
from bots.tests.conftest import LABEL, REPOSITORY
from feedback.models import FeedbackItem

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.celery_worker, pytest.mark.shared_data]


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
    queue = f"test-bots-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": worker_broker,
        "CELERY_RESULT_BACKEND": worker_broker,
        "GITHUB_WEBHOOK_SECRET": "worker-test",
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_FEEDBACK_LABEL": LABEL,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "pitwall", "worker", "--pool=solo", "--concurrency=1", "-Q", queue,
         "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=REPO_ROOT,
        env=env,
    )
    try:
        yield queue
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def test_worker__delivery_stored_task_lost__processed_once_by_worker(
    worker_broker: str, worker_queue: str, webhook_payload: Callable[[str], bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    # The answer went out, then the process died before queueing: only the stored delivery is left.
    monkeypatch.setattr(services, "_queue_processing", lambda delivery_id: None)
    receipt = services.webhook_delivery_receive(
        delivery_id="worker-1", event="issues", payload=json.loads(webhook_payload("issues.opened.0"))
    )
    assert receipt.delivery.outcome == DeliveryOutcome.PENDING

    client = Celery("probe", broker=worker_broker, backend=worker_broker, set_as_current=False)
    for _ in range(2):  # the sweeper's re-queue, and a redelivery of the same message
        result = client.send_task("bots.process_github_delivery", args=[receipt.delivery.pk], queue=worker_queue,
                                  ignore_result=False)
        assert result.get(timeout=120) == DeliveryOutcome.PROCESSED

    delivery = WebhookDelivery.objects.get()
    assert delivery.outcome == DeliveryOutcome.PROCESSED and delivery.attempts == 1
    item = FeedbackItem.objects.get()
    assert item.external_id == "codertocat/hello-world#1" and item.source == "github"
