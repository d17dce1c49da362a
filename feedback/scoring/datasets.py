"""Loading and splitting the labelled developer-comment data in `../shared/data/sentiment/`.

Shared by the training script, the evaluation script and the evaluation test so that all three see exactly
the same cleaned, de-duplicated texts and the same split. Pure Python: the split does not depend on sklearn.
"""

from __future__ import annotations

import csv
import os
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "LABELS",
    "SPLIT_SEED",
    "TEST_FRACTION",
    "Example",
    "dedupe",
    "github_split",
    "load_github_gold",
    "load_senti4sd",
    "senti4sd_split",
    "shared_sentiment_dir",
    "stratified_split",
]

LABELS: tuple[str, ...] = ("negative", "neutral", "positive")
SPLIT_SEED = 20261101
TEST_FRACTION = 0.2

GITHUB_FILE = "github_gold.csv"
SENTI4SD_FILE = "senti4sd_train3098.csv"


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    text: str
    label: str


def shared_sentiment_dir() -> Path | None:
    """`<repo>/../shared/data/sentiment`, or `$PITWALL_SENTIMENT_DATA`; None when it is not there."""
    override = os.environ.get("PITWALL_SENTIMENT_DATA")
    if override:
        path = Path(override)
    else:
        repo_root = Path(__file__).resolve().parents[2]
        path = repo_root.parent / "shared" / "data" / "sentiment"
    return path if (path / GITHUB_FILE).is_file() else None


def _fix_text(text: str) -> str:
    # The export wraps texts in quotes and leaves a stray `"""` at the end of most of them.
    text = text.replace('""', '"').rstrip()
    while text.endswith('"'):
        text = text[:-1].rstrip()
    return text


def _read_rows(path: Path, *, header: bool) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    return rows[1:] if header else rows


def _dedupe_key(text: str) -> str:
    key = " ".join(re.findall(r"\w+", text.lower()))
    return key or " ".join(text.split())


def dedupe(examples: Iterable[Example]) -> list[Example]:
    """One example per text (case, spacing and punctuation ignored), with the majority label; ties dropped.

    Without this "thanks" and "nice" land on both sides of the split and the test figure is inflated.
    """
    groups: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        groups[_dedupe_key(example.text)].append(example)
    kept: list[Example] = []
    for group in groups.values():
        counts: dict[str, int] = defaultdict(int)
        for example in group:
            counts[example.label] += 1
        ranked = sorted(counts.items(), key=lambda item: -item[1])
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            continue
        first = group[0]
        kept.append(Example(first.id, first.text, ranked[0][0]))
    return kept


def load_github_gold(directory: Path) -> list[Example]:
    rows = _read_rows(directory / GITHUB_FILE, header=True)
    examples = [Example(row[0], _fix_text(row[2]), row[1].strip()) for row in rows if len(row) == 3]
    return dedupe(e for e in examples if e.text and e.label in LABELS)


def load_senti4sd(directory: Path) -> list[Example]:
    rows = _read_rows(directory / SENTI4SD_FILE, header=False)
    examples = [Example(row[0], _fix_text(row[2]), row[1].strip()) for row in rows if len(row) == 3]
    return dedupe(e for e in examples if e.text and e.label in LABELS)


def stratified_split(
    examples: Sequence[Example], *, test_fraction: float = TEST_FRACTION, seed: int = SPLIT_SEED
) -> tuple[list[Example], list[Example]]:
    """Deterministic stratified split: per label, shuffle (seeded) and take `round(n * fraction)` for test."""
    by_label: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_label[example.label].append(example)
    rng = random.Random(seed)
    train: list[Example] = []
    test: list[Example] = []
    for label in sorted(by_label):
        group = sorted(by_label[label], key=lambda e: e.id)
        rng.shuffle(group)
        n_test = round(len(group) * test_fraction)
        test.extend(group[:n_test])
        train.extend(group[n_test:])
    train.sort(key=lambda e: e.id)
    test.sort(key=lambda e: e.id)
    return train, test


def github_split(directory: Path) -> tuple[list[Example], list[Example]]:
    """(train, test) of the GitHub gold standard; the test part is never used for training or selection."""
    return stratified_split(load_github_gold(directory))


def senti4sd_split(directory: Path) -> tuple[list[Example], list[Example]]:
    """(train, test) of Senti4SD, the same way; the test part is the cross-platform check."""
    return stratified_split(load_senti4sd(directory))
