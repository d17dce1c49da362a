"""Evaluation helpers shared by `scripts/eval_*.py` and the tests (plain Python, no sklearn)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .topics import TOPICS

__all__ = [
    "DATA_DIR",
    "TopicExample",
    "TopicScores",
    "load_topic_set",
    "macro_f1",
    "topic_scores",
    "vader_label",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
LABELS = ("negative", "neutral", "positive")


def macro_f1(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = LABELS) -> float:
    """Unweighted mean of per-class F1 (sklearn's `f1_score(average="macro")`, zero where undefined)."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    total = 0.0
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label)
        total += 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return total / len(labels)


def vader_label(compound: float) -> str:
    return "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"


@dataclass(frozen=True, slots=True)
class TopicExample:
    text: str
    topics: frozenset[str]


def load_topic_set(path: Path) -> list[TopicExample]:
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        topics = frozenset(row["topics"])
        unknown = topics - set(TOPICS)
        if unknown or not topics:
            raise ValueError(f"{path.name}:{number}: bad topics {sorted(topics)}")
        examples.append(TopicExample(row["text"], topics))
    return examples


@dataclass(frozen=True, slots=True)
class TopicScores:
    precision: dict[str, float]
    recall: dict[str, float]
    support: dict[str, int]
    micro_precision: float
    micro_recall: float
    exact_match: float
    errors: list[tuple[str, list[str], list[str]]]  # (text, gold, predicted) where they differ

    def table(self) -> str:
        lines = [f"{'topic':22s} {'P':>6s} {'R':>6s} {'n':>5s}"]
        for topic in TOPICS:
            lines.append(f"{topic:22s} {self.precision[topic]:6.2f} {self.recall[topic]:6.2f} "
                         f"{self.support[topic]:5d}")
        lines.append(f"{'micro':22s} {self.micro_precision:6.2f} {self.micro_recall:6.2f}")
        lines.append(f"exact match of the whole topic set: {self.exact_match:.2f}")
        return "\n".join(lines)


def topic_scores(examples: Sequence[TopicExample], tagger: Callable[[str], Sequence[str]]) -> TopicScores:
    tp = dict.fromkeys(TOPICS, 0)
    fp = dict.fromkeys(TOPICS, 0)
    fn = dict.fromkeys(TOPICS, 0)
    exact = 0
    errors = []
    for example in examples:
        predicted = frozenset(tagger(example.text))
        if predicted == example.topics:
            exact += 1
        else:
            errors.append((example.text, sorted(example.topics), sorted(predicted)))
        for topic in TOPICS:
            if topic in predicted and topic in example.topics:
                tp[topic] += 1
            elif topic in predicted:
                fp[topic] += 1
            elif topic in example.topics:
                fn[topic] += 1

    def ratio(a: int, b: int) -> float:
        return a / b if b else 1.0

    return TopicScores(
        precision={t: ratio(tp[t], tp[t] + fp[t]) for t in TOPICS},
        recall={t: ratio(tp[t], tp[t] + fn[t]) for t in TOPICS},
        support={t: tp[t] + fn[t] for t in TOPICS},
        micro_precision=ratio(sum(tp.values()), sum(tp.values()) + sum(fp.values())),
        micro_recall=ratio(sum(tp.values()), sum(tp.values()) + sum(fn.values())),
        exact_match=exact / len(examples) if examples else 0.0,
        errors=errors,
    )
