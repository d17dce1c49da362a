from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedback.scoring import (
    LEXICON_SCORER_VERSION,
    SCORER_VERSION,
    TOPICS,
    ScoreResult,
    core,
    lexicon_score,
    score_text,
)


@pytest.mark.parametrize(
    "text",
    [
        "Thanks a lot, this is awesome!",
        "Great work, fast mode is amazing :tada:",
        "Nice catch, thank you :)",
        "LGTM, looks great to me :+1:",
    ],
)
def test_score_text__clearly_positive__positive(text: str) -> None:
    result = score_text(text)
    assert result.label == "positive"
    assert result.score > 0.3


@pytest.mark.parametrize(
    "text",
    [
        "This is terrible, I hate how broken everything is",
        "wtf, this is a stupid and ugly hack",
        "Ugh, sorry, my bad, I completely screwed this up :(",
    ],
)
def test_score_text__clearly_negative__negative(text: str) -> None:
    result = score_text(text)
    assert result.label == "negative"
    assert result.score < -0.3


@pytest.mark.parametrize(
    "text",
    [
        "The rebuild took 12 seconds on my machine.",
        "Should this be `set` instead of `get`?",
        "Moved the config to Leptos.toml and ran cargo leptos watch again.",
    ],
)
def test_score_text__factual__neutral(text: str) -> None:
    assert score_text(text).label == "neutral"


def test_score_text__result__has_the_public_shape() -> None:
    result = score_text("hot reload is snappy now, thanks! https://example.com/x")
    assert isinstance(result, ScoreResult)
    assert result.scorer_version == SCORER_VERSION
    assert result.cleaned == "hot reload is snappy now, thanks! [url]"
    assert set(result.topics) <= set(TOPICS)
    with pytest.raises(AttributeError):
        result.label = "negative"  # type: ignore[misc]


def test_score_text__empty_or_code_only__neutral_zero() -> None:
    assert score_text("").label == "neutral"
    only_code = score_text("```\nthread 'main' panicked at src/main.rs:1:1\n```")
    assert (only_code.label, only_code.score, only_code.cleaned) == ("neutral", 0.0, "[code]")


def test_score_text__not_a_string__type_error() -> None:
    with pytest.raises(TypeError):
        score_text(b"bytes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("this kills the process with a fatal error", "neutral"),  # stock VADER: strongly negative
        ("abort on panic in the release profile", "neutral"),
        ("cargo leptos is blazing fast now :rocket:", "positive"),  # stock VADER: neutral
        ("hot reload is flaky and sluggish", "negative"),  # stock VADER: neutral
        ("thanks, LGTM", "positive"),
    ],
)
def test_lexicon_score__developer_vocabulary__adjusted(text: str, label: str) -> None:
    result = lexicon_score(text)
    assert result.label == label
    assert result.scorer_version == LEXICON_SCORER_VERSION


def test_score_text__model_unavailable__falls_back_to_lexicon(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core, "_model", None)
    monkeypatch.setattr(core, "_model_failed", True)
    result = score_text("thanks, this is great")
    assert result.scorer_version == LEXICON_SCORER_VERSION
    assert result.label == "positive"


def test_score_text__very_long_text__bounded() -> None:
    result = score_text("slow " * 100_000)
    assert len(result.cleaned) <= core.MAX_CHARS


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_score_text__any_text__valid_result(text: str) -> None:
    for result in (score_text(text), lexicon_score(text)):
        assert result.label in {"positive", "neutral", "negative"}
        assert -1.0 <= result.score <= 1.0
        assert result.topics
        assert set(result.topics) <= set(TOPICS)
        assert ("other" in result.topics) == (result.topics == ("other",))
