"""`score_text` and `lexicon_score`: the two entry points the rest of Pitwall calls."""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass

from .cleaning import clean_text, topic_view
from .lexicon import lexicon_polarity
from .model import LinearSentimentModel, load_model
from .topics import tag_topics

__all__ = [
    "LEXICON_SCORER_VERSION",
    "MAX_CHARS",
    "SCORER_VERSION",
    "SENTIMENT_MODEL_VERSION",
    "TOPICS_VERSION",
    "ScoreResult",
    "lexicon_score",
    "score_text",
    "sentiment_model",
]

logger = logging.getLogger(__name__)

SENTIMENT_MODEL_VERSION = "sentiment-svm-2026.11.1"
TOPICS_VERSION = "topics-1"
SCORER_VERSION = f"{SENTIMENT_MODEL_VERSION}+{TOPICS_VERSION}"
LEXICON_SCORER_VERSION = f"sentiment-vader-dev-1+{TOPICS_VERSION}"

# Longer feedback is scored on its first MAX_CHARS characters: bounded time per item, and an opinion is
# stated early (a 50 kB paste is a log, not 50 kB of feelings).
MAX_CHARS = 20_000
_VADER_THRESHOLD = 0.05  # VADER's own cut-off for positive / negative compound scores
_PLACEHOLDERS_RE = re.compile(r"\[(?:code|url|user)\]")


@dataclass(frozen=True, slots=True)
class ScoreResult:
    label: str  # "positive" | "neutral" | "negative"
    score: float  # in [-1, 1]; the model's P(positive) - P(negative), or VADER's compound for the lexicon
    topics: tuple[str, ...]  # subset of TOPICS in TOPICS order; ("other",) when nothing else applies
    scorer_version: str
    cleaned: str  # the text the sentiment was read from (code, links, mentions replaced; quotes dropped)


_model: LinearSentimentModel | None = None
_model_failed = False
_model_lock = threading.Lock()


def sentiment_model() -> LinearSentimentModel | None:
    """The trained model, loaded once per process; None (and one logged error) if it cannot be loaded."""
    global _model, _model_failed
    if _model is not None or _model_failed:
        return _model
    with _model_lock:
        if _model is None and not _model_failed:
            try:
                model = load_model()
                if model.version != SENTIMENT_MODEL_VERSION:
                    raise ValueError(f"model file is {model.version}, code expects {SENTIMENT_MODEL_VERSION}")
                _model = model
            except (OSError, ValueError, KeyError, TypeError) as exc:
                _model_failed = True
                logger.error("feedback.scoring.model.load_failed", extra={"error": repr(exc)})
    return _model


def _prepare(text: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    return text[:MAX_CHARS]


def _has_prose(cleaned: str) -> bool:
    """False for "" and for texts that were only code, links and mentions: no opinion to read."""
    return bool(_PLACEHOLDERS_RE.sub("", cleaned).strip())


def score_text(text: str) -> ScoreResult:
    """Sentiment (trained model) and topics of one feedback text.

    Falls back to `lexicon_score` if the model file cannot be loaded; `scorer_version` then says so.
    """
    text = _prepare(text)
    model = sentiment_model()
    if model is None:
        return lexicon_score(text)
    cleaned = clean_text(text)
    if _has_prose(cleaned):
        decision = model.decide(cleaned)
        label, score = decision.label, round(decision.score, 4)
    else:
        label, score = "neutral", 0.0
    topics = tag_topics(topic_view(text), sentiment=label)
    return ScoreResult(label, score, topics, SCORER_VERSION, cleaned)


def lexicon_score(text: str) -> ScoreResult:
    """The explainable fallback: VADER's rules with the developer lexicon (`lexicon.DEV_ADJUSTMENTS`)."""
    text = _prepare(text)
    cleaned = clean_text(text)
    compound = float(lexicon_polarity(cleaned)["compound"]) if _has_prose(cleaned) else 0.0
    if compound >= _VADER_THRESHOLD:
        label = "positive"
    elif compound <= -_VADER_THRESHOLD:
        label = "negative"
    else:
        label = "neutral"
    topics = tag_topics(topic_view(text), sentiment=label)
    return ScoreResult(label, round(compound, 4), topics, LEXICON_SCORER_VERSION, cleaned)
