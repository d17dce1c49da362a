#!/usr/bin/env python
"""Per-topic precision / recall of the topic tagger on the labelled sets in `feedback/scoring/data/`.

    python scripts/eval_topics.py [--errors]

`topics_labelled.jsonl` (227 sentences) was written before the rules and used while writing them;
`topics_holdout.jsonl` (67 sentences) was written after the rules were frozen and is the honest figure.
Topics are tagged through `score_text`, as in production (praise is dropped on negative sentiment).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from feedback.scoring import score_text
from feedback.scoring.evaluation import DATA_DIR, load_topic_set, topic_scores

SETS = (
    ("labelled (used to write the rules)", "topics_labelled.jsonl"),
    ("held out (written after the rules)", "topics_holdout.jsonl"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--errors", action="store_true", help="list the sentences where the tags differ")
    args = parser.parse_args()
    for title, name in SETS:
        examples = load_topic_set(DATA_DIR / name)
        scores = topic_scores(examples, lambda text: score_text(text).topics)
        print(f"== {name}: {title}, {len(examples)} sentences ==")
        print(scores.table())
        if args.errors:
            for text, gold, predicted in scores.errors:
                print(f"  gold {gold} got {predicted}: {text}")
        print()


if __name__ == "__main__":
    main()
