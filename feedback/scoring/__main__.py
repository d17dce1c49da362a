"""`python -m feedback.scoring`: one JSON string per input line -> one JSON object per output line.

    $ echo '"hot reload finally works 🎉"' | python -m feedback.scoring
    {"label": "positive", "score": 0.6628, "topics": ["hot_reload", "praise"], "scorer_version": "..."}

A line that is not a JSON string gives `{"error": "..."}` on its output line and the rest go on; blank lines
are skipped. `--lexicon` scores with the VADER-based fallback instead of the trained model.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from typing import TextIO

from .core import lexicon_score, score_text


def run(lines: Iterable[str], out: TextIO, *, lexicon: bool = False) -> int:
    """Score every line; returns the number of lines that produced an error object."""
    scorer = lexicon_score if lexicon else score_text
    errors = 0
    for line in lines:
        if not line.strip():
            continue
        try:
            text = json.loads(line)
        except ValueError as exc:
            record: dict[str, object] = {"error": f"invalid JSON: {exc}"}
        else:
            if isinstance(text, str):
                result = scorer(text)
                record = {
                    "label": result.label,
                    "score": result.score,
                    "topics": list(result.topics),
                    "scorer_version": result.scorer_version,
                }
            else:
                record = {"error": f"expected a JSON string, got {type(text).__name__}"}
        if "error" in record:
            errors += 1
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
    return errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m feedback.scoring", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lexicon", action="store_true", help="use the VADER-based fallback scorer")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    stdin = sys.stdin
    stdin.reconfigure(encoding="utf-8", errors="replace")  # type: ignore[union-attr]
    run(stdin, sys.stdout, lexicon=args.lexicon)
    return 0


if __name__ == "__main__":
    sys.exit(main())
