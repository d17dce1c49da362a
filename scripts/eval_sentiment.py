#!/usr/bin/env python
"""Macro-F1 of the committed sentiment model on held-out data, against stock VADER in the same run.

    python scripts/eval_sentiment.py

Plain Python (no sklearn): this is what the runtime does. Needs ../shared/data/sentiment for the GitHub and
Senti4SD figures; the in-domain figure uses the 67 held-out fast-mode sentences of
`feedback/scoring/data/topics_holdout.jsonl`, labelled by the project (product opinion, see the model README).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from feedback.scoring import lexicon_score, score_text
from feedback.scoring.datasets import github_split, senti4sd_split, shared_sentiment_dir
from feedback.scoring.evaluation import DATA_DIR, macro_f1, vader_label
from feedback.scoring.lexicon import stock_analyzer


def report(title: str, texts: Sequence[str], gold: Sequence[str]) -> None:
    vader = stock_analyzer()
    scorers: dict[str, Callable[[str], str]] = {
        "model (score_text)": lambda text: score_text(text).label,
        "developer VADER (lexicon_score)": lambda text: lexicon_score(text).label,
        "stock VADER": lambda text: vader_label(vader.polarity_scores(text)["compound"]),
    }
    print(f"== {title}: {len(texts)} texts ==")
    for name, scorer in scorers.items():
        print(f"  {name:34s} macro-F1 {macro_f1(gold, [scorer(text) for text in texts]):.4f}")


def main() -> None:
    directory = shared_sentiment_dir()
    if directory is None:
        print("../shared/data/sentiment not found: GitHub and Senti4SD figures skipped")
    else:
        _, gh_test = github_split(directory)
        report("GitHub gold standard, held-out test split (20 %)", [e.text for e in gh_test],
               [e.label for e in gh_test])
        _, s4_test = senti4sd_split(directory)
        report("Senti4SD, held-out test split (20 %)", [e.text for e in s4_test], [e.label for e in s4_test])
    rows = [json.loads(line) for line in (DATA_DIR / "topics_holdout.jsonl").read_text("utf-8").splitlines() if line]
    report("fast-mode feedback, held-out sentences (project labels)", [r["text"] for r in rows],
           [r["sentiment"] for r in rows])


if __name__ == "__main__":
    main()
