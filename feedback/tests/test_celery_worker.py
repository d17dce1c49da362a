"""Scoring through a real Celery worker on Redis, against the real (PostgreSQL) test database.

Runs when PITWALL_TEST_CELERY_BROKER names a Redis URL (`make test-postgres`, CI) and the database is one a
second process can open (not SQLite's in-memory test database). Follows tests/test_celery_worker.py.
"""

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

import feedback.scoring as scoring
from feedback.models import FeedbackItem
from feedback.text import text_hash
from tests.celery_dispatch import tasks_sent_to

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.celery_worker


def _unscored_item(text: str) -> FeedbackItem:
    # Written with the ORM, not the service: in this process tasks run eagerly, and the worker must do the work.
    return FeedbackItem.objects.create(
        source="discord", external_id=str(uuid.uuid4()), text=text, text_hash=text_hash(text),
        created_at=timezone.now(),
    )


def test_worker__scores_item_once__second_run_skipped(worker_queue: str, celery_probe: Any) -> None:
    item = _unscored_item("cargo leptos dev --fast made my rebuilds painfully slow again")

    first = celery_probe.send_task("feedback.score_item", args=[item.pk], queue=worker_queue, ignore_result=False)
    assert first.get(timeout=120) == "scored"
    again = celery_probe.send_task("feedback.score_item", args=[item.pk], queue=worker_queue, ignore_result=False)
    assert again.get(timeout=120) == "skipped"

    item.refresh_from_db()
    assert item.label in {"positive", "neutral", "negative"} and item.score is not None
    assert item.scorer_version == scoring.SCORER_VERSION and item.scored_text_hash == item.text_hash


@pytest.fixture
def dispatch_to_worker(worker_queue: str, worker_broker: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's Celery app sends to the broker and the worker's queue instead of running tasks eagerly."""
    with tasks_sent_to(queue=worker_queue, broker=worker_broker, monkeypatch=monkeypatch):
        yield


def test_worker__submission_queued_on_commit_is_scored_by_worker(
    dispatch_to_worker: None, worker_queue: str, celery_probe: Any, installation_client: Any
) -> None:
    """The whole path: HTTP submit -> commit -> task on Redis -> worker scores it."""
    client, _ = installation_client

    response = client.post(
        "/api/v1/feedback", {"text": "hot reload works great now", "client_id": str(uuid.uuid4())}, format="json"
    )
    assert response.status_code == 201
    item_id = response.json()["id"]
    # One solo worker takes its queue in order: once this probe is done, the on-commit task ran before it.
    follow_up = celery_probe.send_task("feedback.score_item", args=[item_id], queue=worker_queue, ignore_result=False)
    assert follow_up.get(timeout=120) == "skipped"
    item = FeedbackItem.objects.get(pk=item_id)
    assert item.label and item.scorer_version == scoring.SCORER_VERSION
