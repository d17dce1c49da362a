#!/usr/bin/env python
"""Throughput of `feedback.scoring.score_text` (clean + sentiment + topics) on one core.

    python bench/scoring.py [--seconds 3]

Texts: the project's own fast-mode feedback sentences (`feedback/scoring/data/*.jsonl`) plus longer
GitHub-style comments with code blocks, links and mentions, shuffled together. Baseline: stock VADER's
`polarity_scores` on the same texts in the same run (sentiment only, no cleaning or topics).
The first pass over the corpus is reported separately: it fills the model's per-word cache.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from feedback.scoring import score_text  # noqa: E402
from feedback.scoring.core import sentiment_model  # noqa: E402
from feedback.scoring.lexicon import stock_analyzer  # noqa: E402

TARGET_PER_SECOND = 5_000

LONG_COMMENTS = (
    "Tried `cargo leptos dev --fast` on our monorepo (about 80k lines across 12 crates).\n\n"
    "```\n   Compiling app v0.1.0 (/home/me/app)\n    Finished dev [unoptimized + debuginfo] target(s) in 9.84s\n"
    "```\n\nThat's down from ~31s, so a big win. Hot reload still drops the websocket when the server restarts, "
    "see https://github.com/leptos-rs/cargo-leptos/issues/123 — @gbj is that known?",
    "> hydration is slower with fast mode\n\nI can't reproduce that: first paint is 180ms in both modes on my "
    "machine. The wasm is bigger though (3.1 MB vs 2.4 MB debug), which might explain it on slow networks.",
    "Ran into this after upgrading:\n```rust\nerror[E0277]: the trait bound `fn() -> impl IntoView: "
    "ComponentConstructor<_>` is not satisfied\n  --> src/app.rs:42:5\n```\nNo idea what it wants. The docs for "
    "`#[component]` don't mention it either. Rolled back to 0.6 for now :(",
    "Installing via `cargo binstall cargo-leptos` worked on macOS but on Windows I had to `cargo install "
    "--locked` and then wasm-bindgen-cli complained about a version mismatch (0.2.92 vs 0.2.93). After "
    "pinning it everything works and rebuilds are ~7s. Thanks for the great work! 🎉",
)


def corpus() -> list[str]:
    texts: list[str] = []
    for path in sorted((REPO / "feedback" / "scoring" / "data").glob("topics_*.jsonl")):
        texts += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line]
    texts += list(LONG_COMMENTS) * 10
    random.Random(7).shuffle(texts)
    return texts


def rate(function: Callable[[str], object], texts: Sequence[str], seconds: float) -> float:
    done = 0
    started = time.perf_counter()
    while True:
        for text in texts:
            function(text)
        done += len(texts)
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return done / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    args = parser.parse_args()
    texts = corpus()
    print(f"python {platform.python_version()} on {platform.machine()}, one process (one core)")
    print(f"{len(texts)} texts, mean {sum(map(len, texts)) / len(texts):.0f} characters")

    if sentiment_model() is None:
        raise SystemExit("the sentiment model did not load")
    started = time.perf_counter()
    for text in texts:
        score_text(text)
    cold = len(texts) / (time.perf_counter() - started)
    ours = rate(score_text, texts, args.seconds)
    vader = stock_analyzer()
    baseline = rate(vader.polarity_scores, texts, args.seconds)

    print(f"score_text, first pass (cold caches): {cold:9,.0f} items/s")
    print(f"score_text, steady state:             {ours:9,.0f} items/s   (clean + sentiment + topics)")
    print(f"stock VADER polarity_scores:          {baseline:9,.0f} items/s   (sentiment only)")
    print(f"ratio score_text / VADER:             {ours / baseline:9.2f}x")
    verdict = "meets" if ours >= TARGET_PER_SECOND else "MISSES"
    print(f"target {TARGET_PER_SECOND:,} items/s per core: {verdict}")


if __name__ == "__main__":
    main()
