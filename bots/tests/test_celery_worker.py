"""A webhook delivery stored before the answer is processed by a real Celery worker on Redis, against the real
(PostgreSQL) test database: the "task lost after the answer" case, and a redelivered task.

Runs when PITWALL_TEST_CELERY_BROKER names a Redis URL (`make test-postgres`, CI) and the database is one a
second process can open (not SQLite's in-memory test database). Follows tests/test_celery_worker.py.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bots import services
from bots.models import DeliveryOutcome, WebhookDelivery
from bots.tests.conftest import LABEL, REPOSITORY
from feedback.models import FeedbackItem

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.celery_worker, pytest.mark.shared_data]


@pytest.fixture
def celery_worker_env() -> dict[str, str]:
    return {"GITHUB_WEBHOOK_SECRET": "worker-test", "GITHUB_REPOSITORY": REPOSITORY, "GITHUB_FEEDBACK_LABEL": LABEL}


def test_worker__delivery_stored_task_lost__processed_once_by_worker(
    celery_probe: Any, worker_queue: str, webhook_payload: Callable[[str], bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    # The answer went out, then the process died before queueing: only the stored delivery is left.
    monkeypatch.setattr(services, "_queue_processing", lambda delivery_id: None)
    receipt = services.webhook_delivery_receive(
        delivery_id="worker-1", event="issues", payload=json.loads(webhook_payload("issues.opened.0"))
    )
    assert receipt.delivery.outcome == DeliveryOutcome.PENDING

    for _ in range(2):  # the sweeper's re-queue, and a redelivery of the same message
        result = celery_probe.send_task("bots.process_github_delivery", args=[receipt.delivery.pk], queue=worker_queue,
                                  ignore_result=False)
        assert result.get(timeout=120) == DeliveryOutcome.PROCESSED

    delivery = WebhookDelivery.objects.get()
    assert delivery.outcome == DeliveryOutcome.PROCESSED and delivery.attempts == 1
    item = FeedbackItem.objects.get()
    assert item.external_id == "codertocat/hello-world#1" and item.source == "github"
