"""Fixtures of the feedback tests: a deterministic stand-in scorer and a factory for items with known scores."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from django.utils import timezone

import feedback.scoring as scoring
from feedback.models import FeedbackItem, FeedbackTopic
from feedback.text import text_hash


@dataclass(frozen=True)
class FakeScore:
    label: str
    score: float
    topics: tuple[str, ...]
    scorer_version: str
    cleaned: str


@dataclass
class FakeScorer:
    """Keyword rules, so a test knows the label it will get; counts calls, so a test sees what was scored."""

    version: str = "fake-1"
    calls: list[str] = field(default_factory=list)

    def __call__(self, text: str) -> FakeScore:
        self.calls.append(text)
        lowered = text.lower()
        if any(word in lowered for word in ("slow", "broken", "hate", "crash")):
            label, score = "negative", -0.8
        elif any(word in lowered for word in ("love", "great", "fast!")):
            label, score = "positive", 0.7
        else:
            label, score = "neutral", 0.0
        topics = tuple(
            topic for word, topic in (("compile", "compile_time"), ("reload", "hot_reload"), ("docs", "docs"))
            if word in lowered
        ) or ("other",)
        return FakeScore(label=label, score=score, topics=topics, scorer_version=self.version, cleaned=text)


@pytest.fixture
def fake_scorer(monkeypatch: pytest.MonkeyPatch) -> FakeScorer:
    scorer = FakeScorer()

    def score_text(text: str) -> FakeScore:
        return scorer(text)

    monkeypatch.setattr(scoring, "score_text", score_text, raising=False)
    monkeypatch.setattr(scoring, "SCORER_VERSION", scorer.version, raising=False)
    return scorer


@pytest.fixture
def set_scorer_version(monkeypatch: pytest.MonkeyPatch, fake_scorer: FakeScorer) -> Callable[[str], None]:
    def set_version(version: str) -> None:
        fake_scorer.version = version
        monkeypatch.setattr(scoring, "SCORER_VERSION", version, raising=False)

    return set_version


@pytest.fixture
def make_item(db: Any) -> Callable[..., FeedbackItem]:
    """An item as the scoring task would have left it (no task runs): for selector and API tests."""
    counter = iter(range(1, 1_000_000))

    def make(
        *,
        text: str = "some feedback",
        label: str = "neutral",
        score: float | None = None,
        topics: tuple[str, ...] = (),
        source: str = "web",
        ring: str = "beta",
        phase: str = "beta",
        created_at: datetime | None = None,
        url: str = "",
        **fields: Any,
    ) -> FeedbackItem:
        if score is None:
            score = {"positive": 0.6, "negative": -0.6, "neutral": 0.0, "": None}[label]
        digest = text_hash(text)
        item = FeedbackItem.objects.create(
            source=source,
            external_id=f"test-{next(counter)}",
            text=text,
            text_hash=digest,
            created_at=created_at or timezone.now(),
            ring=ring,
            phase=phase,
            label=label,
            score=score,
            scorer_version="fake-1" if label else "",
            scored_text_hash=digest if label else "",
            url=url,
            **fields,
        )
        FeedbackTopic.objects.bulk_create([FeedbackTopic(item=item, topic=topic) for topic in topics])
        return item

    return make
