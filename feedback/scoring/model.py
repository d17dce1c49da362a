"""Runtime of the trained sentiment model: plain Python over the exported weights, no sklearn.

The model is a linear classifier over binary TF-IDF features (see `features.py`) plus four lexicon features.
For a text with features F it computes, per class k,

    d_k = sum(idf_f * W_kf for f in F) / sqrt(sum(idf_f ** 2 for f in F)) + sum(lex_j * L_kj) + b_k

which is exactly sklearn's `TfidfVectorizer(binary=True, norm="l2")` followed by `decision_function`.
Only differences matter for argmax and softmax, so the weights are held relative to "neutral", packed into a
complex number per feature (real: positive - neutral, imaginary: negative - neutral) so that one C-level
`sum(map(...))` does both classes at once.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .features import lexicon_features, normalise, tokens, word_char_grams, word_features

__all__ = ["MODEL_PATH", "Decision", "LinearSentimentModel", "load_model"]

MODEL_PATH = Path(__file__).resolve().parent / "model" / "sentiment.json.gz"
MODEL_FORMAT = "pitwall-linear-sentiment/1"
LABELS = ("negative", "neutral", "positive")
_GRAM_CACHE_LIMIT = 100_000


@dataclass(frozen=True, slots=True)
class Decision:
    label: str
    score: float  # P(positive) - P(negative)
    positive_vs_neutral: float  # d_positive - d_neutral
    negative_vs_neutral: float  # d_negative - d_neutral


class LinearSentimentModel:
    """Loaded once per process; immutable after construction."""

    __slots__ = ("_bias", "_char_idf2", "_char_weights", "_grams_by_word", "_lexicon", "_lexicon_weights",
                 "_temperature", "_word_idf2", "_word_keys", "_word_weights", "version")

    def __init__(self, payload: dict[str, Any]) -> None:
        if payload.get("format") != MODEL_FORMAT:
            raise ValueError(f"unsupported sentiment model format: {payload.get('format')!r}")
        if tuple(payload["labels"]) != LABELS:
            raise ValueError(f"unexpected label order: {payload['labels']!r}")
        self.version: str = payload["version"]
        self._temperature = float(payload["temperature"])
        neg, neu, pos = (float(b) for b in payload["bias"])
        self._bias = complex(pos - neu, neg - neu)
        scale = float(payload["features"]["lexicon_scale"])
        self._lexicon_weights = tuple(
            complex(scale * (float(w[2]) - float(w[1])), scale * (float(w[0]) - float(w[1])))
            for w in payload["lexicon_weights"]
        )
        self._lexicon: dict[str, float] = {word: float(value) for word, value in payload["lexicon"].items()}
        self._word_idf2, self._word_weights = self._table(payload["words"].items())
        self._char_idf2, self._char_weights = self._table(payload["chars"].items())
        self._word_keys = frozenset(self._word_weights)
        # Per word, the character grams the model knows: most grams of a text are not in the vocabulary,
        # and words repeat across texts, so this is where the runtime saves most of its time.
        self._grams_by_word: dict[str, tuple[str, ...]] = {}

    @staticmethod
    def _table(rows: Iterable[tuple[str, list[float]]]) -> tuple[dict[str, float], dict[str, complex]]:
        idf2: dict[str, float] = {}
        weights: dict[str, complex] = {}
        for feature, (idf, w_neg, w_neu, w_pos) in rows:
            idf2[feature] = idf * idf
            weights[feature] = complex(idf * (w_pos - w_neu), idf * (w_neg - w_neu))
        return idf2, weights

    def _known_grams(self, word: str) -> tuple[str, ...]:
        known = tuple(dict.fromkeys(g for g in word_char_grams(word) if g in self._char_weights))
        if len(self._grams_by_word) >= _GRAM_CACHE_LIMIT:
            self._grams_by_word.clear()
        self._grams_by_word[word] = known
        return known

    def decide(self, cleaned: str) -> Decision:
        lowered = normalise(cleaned)
        token_list = tokens(lowered)
        words = self._word_keys.intersection(word_features(token_list))
        chars: set[str] = set()
        grams_by_word = self._grams_by_word
        for word in lowered.split():
            known = grams_by_word.get(word)
            if known is None:
                known = self._known_grams(word)
            chars.update(known)
        word_idf2, char_idf2 = self._word_idf2, self._char_idf2
        word_weights, char_weights = self._word_weights, self._char_weights
        norm2 = sum(map(word_idf2.__getitem__, words)) + sum(map(char_idf2.__getitem__, chars))
        total = sum(map(word_weights.__getitem__, words)) + sum(map(char_weights.__getitem__, chars))
        decision = total / math.sqrt(norm2) if norm2 > 0.0 else 0j
        for value, weight in zip(lexicon_features(token_list, self._lexicon), self._lexicon_weights,
                                 strict=True):
            if value:
                decision += value * weight
        decision += self._bias
        pos, neg = decision.real, decision.imag
        # argmax over (negative, neutral=0, positive); ties resolve to the first, as numpy's argmax does.
        if neg >= 0.0 and neg >= pos:
            label = "negative"
        elif pos > 0.0:
            label = "positive"
        else:
            label = "neutral"
        t = self._temperature
        top = max(pos, neg, 0.0)
        e_pos = math.exp(t * (pos - top))
        e_neg = math.exp(t * (neg - top))
        e_neu = math.exp(-t * top)
        score = (e_pos - e_neg) / (e_pos + e_neg + e_neu)
        return Decision(label, score, pos, neg)


def load_model(path: Path = MODEL_PATH) -> LinearSentimentModel:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        payload = json.load(handle)
    return LinearSentimentModel(payload)
