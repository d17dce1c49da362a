"""The Django side against the real scorer (feedback.scoring): same topics, labels the model accepts, and an
item scored end to end without any stand-in."""

from typing import Any

import pytest

import feedback.scoring as scoring
from feedback import services
from feedback.models import FeedbackItem, SentimentLabel, Topic


def test_topic_choices__match_the_scorer() -> None:
    assert tuple(Topic.values) == tuple(scoring.TOPICS)


@pytest.mark.parametrize(
    "text",
    ["Fast mode cut my rebuilds from 30 s to 6 s, amazing!", "hot reload keeps crashing, this is awful", "ok"],
)
def test_score_text__result_fits_the_model(text: str) -> None:
    result = scoring.score_text(text)
    assert result.label in SentimentLabel.values
    assert -1.0 <= result.score <= 1.0
    assert set(result.topics) <= set(Topic.values)
    assert result.scorer_version == scoring.SCORER_VERSION and len(result.scorer_version) <= 40


@pytest.mark.django_db
def test_submit__real_scorer__scored_after_commit(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        receipt = services.feedback_item_upsert(
            source="github", external_id="leptos-rs/cargo-leptos#99",
            text="Since fast mode the incremental compile is painfully slow and hot reload breaks every time.",
            author_handle="octo",
        )
    item = FeedbackItem.objects.get(pk=receipt.item.pk)
    assert item.label in SentimentLabel.values and item.score is not None
    assert item.scorer_version == scoring.SCORER_VERSION and item.scored_text_hash == item.text_hash
    assert services.feedback_item_score(item_id=item.pk) == "skipped"
