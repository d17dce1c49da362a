"""The plain-Python runtime reproduces sklearn's decisions (recorded by scripts/train_sentiment.py)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from feedback.scoring.cleaning import clean_text
from feedback.scoring.core import SENTIMENT_MODEL_VERSION, sentiment_model
from feedback.scoring.datasets import github_split
from feedback.scoring.model import LinearSentimentModel

REFERENCE = Path(__file__).resolve().parent / "data" / "sklearn_reference.json.gz"
TOLERANCE = 1e-4  # the exported weights are rounded to 6 significant digits


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    with gzip.open(REFERENCE, "rt", encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


@pytest.fixture(scope="module")
def model() -> LinearSentimentModel:
    loaded = sentiment_model()
    assert loaded is not None, "the committed model file must load"
    assert loaded.version == SENTIMENT_MODEL_VERSION
    return loaded


def _check(model: LinearSentimentModel, rows: list[tuple[str, list[Any]]]) -> None:
    assert rows
    for text, (label, pos_vs_neutral, neg_vs_neutral) in rows:
        decision = model.decide(clean_text(text))
        assert decision.label == label, text
        assert decision.positive_vs_neutral == pytest.approx(pos_vs_neutral, abs=TOLERANCE)
        assert decision.negative_vs_neutral == pytest.approx(neg_vs_neutral, abs=TOLERANCE)


def test_runtime__own_sentences__equals_sklearn(model: LinearSentimentModel, reference: dict[str, Any]) -> None:
    _check(model, [(row[0], row[1:]) for row in reference["own_texts"]])


@pytest.mark.shared_data
def test_runtime__github_test_split__equals_sklearn(
    model: LinearSentimentModel, reference: dict[str, Any], sentiment_data_dir: Path
) -> None:
    _, test = github_split(sentiment_data_dir)
    text_by_id = {example.id: example.text for example in test}
    _check(model, [(text_by_id[row[0]], row[1:]) for row in reference["github_test"]])
