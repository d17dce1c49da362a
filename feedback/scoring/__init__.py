"""Pure text scoring of feedback: cleaning, sentiment, topics. No Django import anywhere in this package.

    from feedback.scoring import score_text
    score_text("hot reload finally works, rebuilds in 6s 🚀")
    # ScoreResult(label='positive', score=0.594, topics=('compile_time', 'hot_reload', 'praise'), ...)

Sentiment comes from a linear model trained on labelled developer comments (see `model/README.md`), run in
plain Python from `model/sentiment.json.gz`; `lexicon_score` is the VADER-based explainable fallback.
"""

from __future__ import annotations

from .cleaning import clean_text
from .core import (
    LEXICON_SCORER_VERSION,
    SCORER_VERSION,
    ScoreResult,
    lexicon_score,
    score_text,
)
from .topics import TOPICS

__all__ = [
    "LEXICON_SCORER_VERSION",
    "SCORER_VERSION",
    "TOPICS",
    "ScoreResult",
    "clean_text",
    "lexicon_score",
    "score_text",
]
