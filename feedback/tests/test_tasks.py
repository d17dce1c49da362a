"""Scoring as a Celery task (eager here): idempotent, version-aware, safe against edits; the rescore command."""

from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from feedback import services
from feedback.models import FeedbackItem
from feedback.tasks import score_feedback_item, score_pending_feedback
from feedback.tests.conftest import FakeScorer

pytestmark = pytest.mark.django_db


def _item(text: str = "compile is slow", external_id: str = "1") -> FeedbackItem:
    # Outside django_capture_on_commit_callbacks: the on-commit task never runs, the item stays unscored.
    return services.feedback_item_upsert(source="discord", external_id=external_id, text=text).item


def test_score_task__run_twice__scored_once(fake_scorer: FakeScorer) -> None:
    item = _item()
    assert score_feedback_item.delay(item.pk).get() == "scored"
    assert score_feedback_item.delay(item.pk).get() == "skipped"
    item.refresh_from_db()
    assert fake_scorer.calls == ["compile is slow"]
    assert (item.label, item.score, item.scorer_version) == ("negative", -0.8, "fake-1")
    assert list(item.topic_rows.values_list("topic", flat=True)) == ["compile_time"]


def test_score_task__scorer_version_changed__rescored(
    fake_scorer: FakeScorer, set_scorer_version: Callable[[str], None]
) -> None:
    item = _item()
    score_feedback_item.delay(item.pk)
    set_scorer_version("fake-2")
    assert score_feedback_item.delay(item.pk).get() == "scored"
    item.refresh_from_db()
    assert item.scorer_version == "fake-2" and len(fake_scorer.calls) == 2
    assert item.topic_rows.count() == 1  # topics replaced, not duplicated


def test_score_task__missing_item__nothing_to_do(fake_scorer: FakeScorer, db: Any) -> None:
    assert score_feedback_item.delay(999_999).get() == "missing"
    assert fake_scorer.calls == []


def test_score_task__item_edited_while_scoring__stale_result_not_written(
    fake_scorer: FakeScorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = _item("I love it")
    real = fake_scorer.__call__

    def edit_then_score(text: str) -> Any:
        services.feedback_item_upsert(source="discord", external_id="1", text="I hate it")
        return real(text)

    import feedback.scoring as scoring

    monkeypatch.setattr(scoring, "score_text", edit_then_score)
    assert services.feedback_item_score(item_id=item.pk) == "stale"
    item.refresh_from_db()
    assert item.label == "" and item.text == "I hate it"


def test_score_task__topics_follow_the_new_text(fake_scorer: FakeScorer) -> None:
    item = _item("compile and reload are slow")
    score_feedback_item.delay(item.pk)
    assert set(item.topic_rows.values_list("topic", flat=True)) == {"compile_time", "hot_reload"}
    services.feedback_item_upsert(source="discord", external_id="1", text="the docs are slow")
    score_feedback_item.delay(item.pk)
    assert list(item.topic_rows.values_list("topic", flat=True)) == ["docs"]


def test_score_pending__queues_unscored_edited_and_old_version(
    fake_scorer: FakeScorer, set_scorer_version: Callable[[str], None]
) -> None:
    done = _item("fine", external_id="done")
    score_feedback_item.delay(done.pk)
    _item("never scored", external_id="lost")
    assert score_pending_feedback.delay().get() == 1
    assert not FeedbackItem.objects.filter(label="").exists()
    set_scorer_version("fake-2")
    assert score_pending_feedback.delay().get() == 2
    assert set(FeedbackItem.objects.values_list("scorer_version", flat=True)) == {"fake-2"}


def test_rescore_command__rescores_other_versions_in_batches(
    fake_scorer: FakeScorer, set_scorer_version: Callable[[str], None]
) -> None:
    items = [_item(f"text {n}", external_id=str(n)) for n in range(5)]
    for item in items[:3]:
        score_feedback_item.delay(item.pk)
    set_scorer_version("fake-2")
    out = StringIO()
    call_command("rescore_feedback", "--batch-size", "2", stdout=out)
    assert "scored 5" in out.getvalue()
    assert set(FeedbackItem.objects.values_list("scorer_version", flat=True)) == {"fake-2"}
    out = StringIO()
    call_command("rescore_feedback", stdout=out)
    assert "nothing to do" in out.getvalue()


def test_rescore_command__enqueue_and_limit(fake_scorer: FakeScorer) -> None:
    for n in range(3):
        _item(f"text {n}", external_id=str(n))
    out = StringIO()
    call_command("rescore_feedback", "--enqueue", "--limit", "2", stdout=out)
    assert "queued 2" in out.getvalue()
    assert FeedbackItem.objects.exclude(label="").count() == 2  # eager here: the queued tasks ran
