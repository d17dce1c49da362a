#!/usr/bin/env python
"""Train, select and export the sentiment model of `feedback/scoring` (DEV tool: needs scikit-learn).

    pip install scikit-learn==1.9.1
    python scripts/train_sentiment.py            # select on validation, train, export, measure once on test

Protocol (nothing is tuned on a test split):
1. GitHub gold standard (Novielli et al., MSR 2020) and Senti4SD (Calefato et al., EMSE 2018) are cleaned,
   de-duplicated and split 80/20 stratified with a fixed seed (`feedback.scoring.datasets`).
2. Every candidate (classifier, C, lexicon features, Senti4SD weight) is scored by 5-fold stratified
   cross-validation on the GitHub *training* part (Senti4SD-train, when used, is only added to the fitting
   folds); the best mean macro-F1 wins. Then the vocabulary is pruned to the smallest size whose
   cross-validated score stays within 0.003 of the best, and the softmax temperature of the score is fitted
   on the out-of-fold decisions.
3. The winner is refitted on GitHub-train + Senti4SD-train, exported to `feedback/scoring/model/`, and
   measured once on the GitHub test split and on the Senti4SD test split. For the cross-platform figure a
   twin is fitted on GitHub-train only and measured on all of Senti4SD, which it never saw.
4. sklearn's decisions on the GitHub test split and on the project's own topic sentences are written next to
   the tests, so the tests can check that the plain-Python runtime reproduces them without sklearn.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from joblib import Parallel, delayed
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# Cross-validation workers are separate processes; they must find `feedback` too.
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)

from feedback.scoring.cleaning import clean_text  # noqa: E402
from feedback.scoring.datasets import (  # noqa: E402
    SPLIT_SEED,
    Example,
    github_split,
    load_senti4sd,
    senti4sd_split,
    shared_sentiment_dir,
)
from feedback.scoring.features import (  # noqa: E402
    CHAR_MAX,
    CHAR_MIN,
    lexicon_features,
    normalise,
    tokens,
    training_features,
)
from feedback.scoring.lexicon import DEV_ADJUSTMENTS, SHORTCODE_VALENCE, stock_analyzer  # noqa: E402
from feedback.scoring.model import LABELS, MODEL_FORMAT, MODEL_PATH  # noqa: E402

MODEL_VERSION = "sentiment-svm-2026.11.1"
REFERENCE_PATH = REPO / "feedback" / "scoring" / "tests" / "data" / "sklearn_reference.json.gz"
TOPIC_FILES = sorted((REPO / "feedback" / "scoring" / "data").glob("topics_*.jsonl"))
PRUNE_SIZES = (40_000, 30_000, 20_000, 15_000, 10_000, 7_000, 5_000)
PRUNE_TOLERANCE = 0.003


@dataclass(frozen=True)
class Candidate:
    name: str
    classifier: str  # "svm" | "lr"
    c: float
    lexicon_scale: float  # 0 = no lexicon features
    senti4sd_weight: float  # 0 = GitHub only
    lexicon: str = "stock"  # "stock" VADER, or "stock+dev": plus DEV_ADJUSTMENTS' new words and emoji
    vocabulary_size: int | None = None  # None = all features with df >= 2


CANDIDATES = (
    Candidate("lr C=10, GitHub only, no lexicon", "lr", 10.0, 0.0, 0.0),
    Candidate("svm C=0.5, GitHub only, no lexicon", "svm", 0.5, 0.0, 0.0),
    Candidate("svm C=0.5, GitHub only, lexicon", "svm", 0.5, 0.3, 0.0),
    Candidate("svm C=1, GitHub only, lexicon", "svm", 1.0, 0.3, 0.0),
    Candidate("lr C=30, +Senti4SD x0.5, lexicon", "lr", 30.0, 0.3, 0.5),
    Candidate("svm C=0.5, +Senti4SD x0.5, lexicon", "svm", 0.5, 0.3, 0.5),
    Candidate("svm C=1, +Senti4SD x0.5, lexicon", "svm", 1.0, 0.3, 0.5),
    Candidate("svm C=1, +Senti4SD x1, lexicon", "svm", 1.0, 0.3, 1.0),
    Candidate("svm C=1, +Senti4SD x0.3, lexicon", "svm", 1.0, 0.3, 0.3),
    Candidate("svm C=1, +Senti4SD x0.3, lexicon stock+dev", "svm", 1.0, 0.3, 0.3, "stock+dev"),
    Candidate("svm C=1, +Senti4SD x0.5, lexicon stock+dev", "svm", 1.0, 0.3, 0.5, "stock+dev"),
)


def lexicon_table(kind: str) -> dict[str, float]:
    """Valences for the lexicon features, shipped inside the model file.

    "stock": VADER's single-token entries. "stock+dev": plus the developer words and emoji shortcodes that
    `lexicon.DEV_ADJUSTMENTS` / `SHORTCODE_VALENCE` add (its neutralisations are not applied: the model learns
    from data how technical words like "error" lean, which the exploration found to work better).
    """
    lexicon = {word: float(value) for word, value in stock_analyzer().lexicon.items()}
    if kind == "stock+dev":
        lexicon.update({w: v for w, v in DEV_ADJUSTMENTS.items() if v != 0.0 and w not in lexicon})
        lexicon.update(SHORTCODE_VALENCE)
    elif kind != "stock":
        raise ValueError(kind)
    return {word: round(value, 3) for word, value in sorted(lexicon.items()) if tokens(word) == [word]}


@dataclass
class Fitted:
    candidate: Candidate
    vectorizer: TfidfVectorizer
    classifier: LinearSVC | LogisticRegression
    lexicon: dict[str, float]

    def matrix(self, cleaned: Sequence[str]) -> csr_matrix:
        tfidf = self.vectorizer.transform(cleaned)
        return self._with_lexicon(tfidf, cleaned)

    def _with_lexicon(self, tfidf: csr_matrix, cleaned: Sequence[str]) -> csr_matrix:
        if not self.candidate.lexicon_scale:
            return tfidf
        rows = [lexicon_features(tokens(normalise(text)), self.lexicon) for text in cleaned]
        dense = np.asarray(rows, dtype=np.float64) * self.candidate.lexicon_scale
        return hstack([tfidf, csr_matrix(dense)]).tocsr()

    def decisions(self, cleaned: Sequence[str]) -> np.ndarray:
        return np.asarray(self.classifier.decision_function(self.matrix(cleaned)))

    def predict(self, cleaned: Sequence[str]) -> list[str]:
        return [str(label) for label in self.classifier.predict(self.matrix(cleaned))]


def fit(
    candidate: Candidate,
    train: Sequence[Example],
    extra: Sequence[Example],
    vocabulary: Sequence[str] | None = None,
) -> Fitted:
    lexicon = lexicon_table(candidate.lexicon)
    texts = [clean_text(e.text) for e in train]
    labels = [e.label for e in train]
    weights = [1.0] * len(train)
    if candidate.senti4sd_weight:
        texts += [clean_text(e.text) for e in extra]
        labels += [e.label for e in extra]
        weights += [candidate.senti4sd_weight] * len(extra)
    vectorizer = TfidfVectorizer(
        analyzer=training_features, binary=True, norm="l2", use_idf=True, smooth_idf=True,
        min_df=1 if vocabulary is not None else 2, vocabulary=vocabulary, dtype=np.float64,
    )
    tfidf = vectorizer.fit_transform(texts)
    classifier: LinearSVC | LogisticRegression
    if candidate.classifier == "svm":
        classifier = LinearSVC(C=candidate.c, class_weight="balanced", random_state=0, max_iter=20_000)
    else:
        classifier = LogisticRegression(C=candidate.c, class_weight="balanced", max_iter=5_000)
    fitted = Fitted(candidate, vectorizer, classifier, lexicon)
    classifier.fit(fitted._with_lexicon(tfidf, texts), labels, sample_weight=np.asarray(weights))
    if candidate.vocabulary_size is not None and vocabulary is None:
        return fit(candidate, train, extra, vocabulary=pruned_vocabulary(fitted, candidate.vocabulary_size))
    return fitted


def pruned_vocabulary(fitted: Fitted, size: int) -> list[str]:
    """The `size` features with the largest weight in any class (the model is then refitted on them)."""
    names = fitted.vectorizer.get_feature_names_out()
    coef = np.abs(np.asarray(fitted.classifier.coef_))[:, : len(names)]
    strength = coef.max(axis=0)
    keep = np.argsort(-strength, kind="stable")[:size]
    return sorted(str(names[i]) for i in keep)


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    return float(f1_score(list(gold), list(predicted), labels=list(LABELS), average="macro"))


def vader_label(compound: float) -> str:
    return "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"


def fit_temperature(decisions: np.ndarray, gold: Sequence[str]) -> float:
    """Softmax temperature minimising validation log-loss, so P(pos) - P(neg) is a calibrated score."""
    index = np.asarray([LABELS.index(label) for label in gold])
    best = (math.inf, 1.0)
    for t in np.arange(0.5, 8.01, 0.05):
        z = decisions * t
        z = z - z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        loss = -float(log_p[np.arange(len(index)), index].mean())
        best = min(best, (loss, round(float(t), 2)))
    return best[1]


def sig(value: float) -> float:
    return float(f"{value:.6g}")


def export(fitted: Fitted, temperature: float, provenance: dict[str, Any], path: Path) -> None:
    names = fitted.vectorizer.get_feature_names_out()
    idf = fitted.vectorizer.idf_
    coef = np.asarray(fitted.classifier.coef_)
    intercept = np.asarray(fitted.classifier.intercept_)
    if [str(c) for c in fitted.classifier.classes_] != list(LABELS) or coef.shape[0] != 3:
        raise SystemExit(f"unexpected classes {fitted.classifier.classes_}")
    words: dict[str, list[float]] = {}
    chars: dict[str, list[float]] = {}
    for i, name in enumerate(names):
        row = [sig(float(idf[i])), *(sig(float(coef[k, i])) for k in range(3))]
        (words if name.startswith("w") else chars)[str(name)[1:]] = row
    n = len(names)
    lexicon_weights = (
        [[sig(float(coef[k, n + j])) for k in range(3)] for j in range(4)]
        if fitted.candidate.lexicon_scale
        else [[0.0, 0.0, 0.0] for _ in range(4)]
    )
    payload = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "labels": list(LABELS),
        "features": {
            "word_ngrams": [1, 2], "char_wb": [CHAR_MIN, CHAR_MAX], "binary": True, "norm": "l2",
            "idf": "smooth", "lexicon_scale": fitted.candidate.lexicon_scale,
        },
        "temperature": temperature,
        "bias": [sig(float(b)) for b in intercept],
        "lexicon_weights": lexicon_weights,
        "training": provenance,
        "lexicon": fitted.lexicon,
        "words": words,
        "chars": chars,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=False).encode("utf-8")
    with path.open("wb") as handle, gzip.GzipFile(fileobj=handle, mode="wb", compresslevel=9, mtime=0) as gz:
        gz.write(raw)


def cross_validate(candidate: Candidate, gh_train: Sequence[Example],
                   s4_train: Sequence[Example]) -> tuple[float, np.ndarray]:
    """Mean macro-F1 over 5 stratified folds of GitHub-train, and the out-of-fold decisions."""
    gold = np.asarray([e.label for e in gh_train])
    folds = list(StratifiedKFold(n_splits=5, shuffle=True, random_state=SPLIT_SEED).split(gold, gold))

    def one_fold(fit_index: np.ndarray, held_index: np.ndarray) -> tuple[float, np.ndarray]:
        fitted = fit(candidate, [gh_train[i] for i in fit_index], s4_train)
        held = [clean_text(gh_train[i].text) for i in held_index]
        return macro_f1(gold[held_index], fitted.predict(held)), fitted.decisions(held)

    results = Parallel(n_jobs=2)(delayed(one_fold)(a, b) for a, b in folds)
    decisions = np.zeros((len(gh_train), 3))
    for (_, held_index), (_, fold_decisions) in zip(folds, results, strict=True):
        decisions[held_index] = fold_decisions
    return float(np.mean([score for score, _ in results])), decisions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=shared_sentiment_dir())
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args()
    if args.data is None:
        raise SystemExit("needs ../shared/data/sentiment (or --data DIR)")
    started = time.perf_counter()
    gh_train, gh_test = github_split(args.data)
    s4_train, s4_test = senti4sd_split(args.data)
    gh_gold_train = [e.label for e in gh_train]
    print(f"GitHub: train {len(gh_train)}, test {len(gh_test)}; Senti4SD: train {len(s4_train)}, test {len(s4_test)}")
    print(f"sklearn {sklearn.__version__}")
    stock = stock_analyzer()

    print("\n== selection: 5-fold cross-validation on the GitHub train split ==")
    scored: list[tuple[float, int, Candidate, np.ndarray]] = []
    for order, candidate in enumerate(CANDIDATES):
        score, decisions = cross_validate(candidate, gh_train, s4_train)
        print(f"  {score:.4f}  {candidate.name}", flush=True)
        scored.append((score, -order, candidate, decisions))
    best_score, _, best, best_decisions = max(scored, key=lambda item: (item[0], item[1]))
    print(f"  -> {best.name}")

    print("\n== vocabulary pruning, same folds ==")
    chosen, chosen_decisions = best, best_decisions
    for size in PRUNE_SIZES:
        candidate = replace(best, vocabulary_size=size)
        score, decisions = cross_validate(candidate, gh_train, s4_train)
        ok = score >= best_score - PRUNE_TOLERANCE
        print(f"  {score:.4f}  top {size} features {'ok' if ok else 'too lossy'}", flush=True)
        if not ok:
            break
        chosen, chosen_decisions = candidate, decisions
    temperature = fit_temperature(chosen_decisions, gh_gold_train)
    print(f"  -> vocabulary {chosen.vocabulary_size or 'all'}; softmax temperature {temperature}")

    print("\n== final fit on all of GitHub-train (+ Senti4SD-train as selected); measured once on test ==")
    final = fit(chosen, gh_train, s4_train)
    gh_test_clean = [clean_text(e.text) for e in gh_test]
    gh_gold = [e.label for e in gh_test]
    s4_test_clean = [clean_text(e.text) for e in s4_test]
    s4_gold = [e.label for e in s4_test]
    gh_f1 = macro_f1(gh_gold, final.predict(gh_test_clean))
    s4_f1 = macro_f1(s4_gold, final.predict(s4_test_clean))
    vader_gh = macro_f1(gh_gold, [vader_label(stock.polarity_scores(e.text)["compound"]) for e in gh_test])
    vader_s4 = macro_f1(s4_gold, [vader_label(stock.polarity_scores(e.text)["compound"]) for e in s4_test])
    twin = fit(replace(chosen, senti4sd_weight=0.0), gh_train, [])
    s4_all = load_senti4sd(args.data)
    twin_s4 = macro_f1([e.label for e in s4_all], twin.predict([clean_text(e.text) for e in s4_all]))
    vader_s4_all = macro_f1([e.label for e in s4_all],
                            [vader_label(stock.polarity_scores(e.text)["compound"]) for e in s4_all])
    print(f"  GitHub test ({len(gh_test)}):   model {gh_f1:.4f}   stock VADER {vader_gh:.4f}")
    print(f"  Senti4SD test ({len(s4_test)}): model {s4_f1:.4f}   stock VADER {vader_s4:.4f}")
    print(f"  GitHub-train-only twin on all Senti4SD ({len(s4_all)}): {twin_s4:.4f}   stock VADER {vader_s4_all:.4f}")

    provenance = {
        "trained_on": f"GitHub gold standard train split (80 %, seed {SPLIT_SEED})"
        + (f" + Senti4SD train split (80 %) weighted {chosen.senti4sd_weight}" if chosen.senti4sd_weight else ""),
        "selected": chosen.name + f"; vocabulary {chosen.vocabulary_size or 'all'}",
        "cross_validation_macro_f1": round(best_score, 4),
        "vocabulary_size": len(final.vectorizer.vocabulary_),
        "sklearn": sklearn.__version__,
        "credits": [
            "GitHub gold standard: Novielli, Calefato, Dongiovanni, Girardi, Lanubile, MSR 2020, CC BY 4.0, "
            "doi:10.6084/m9.figshare.11604597",
            "Senti4SD: Calefato, Lanubile, Maiorano, Novielli, EMSE 2018, MIT licence",
            "Lexicon: VADER (Hutto and Gilbert, ICWSM 2014), MIT licence",
        ],
        "test_macro_f1": {"github": round(gh_f1, 4), "senti4sd": round(s4_f1, 4),
                          "stock_vader_github": round(vader_gh, 4), "stock_vader_senti4sd": round(vader_s4, 4),
                          "github_only_twin_on_all_senti4sd": round(twin_s4, 4),
                          "stock_vader_all_senti4sd": round(vader_s4_all, 4)},
    }
    export(final, temperature, provenance, args.out)
    print(f"\nwrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
    write_reference(final, gh_test)
    print(f"done in {time.perf_counter() - started:.0f}s")


def write_reference(final: Fitted, gh_test: Sequence[Example]) -> None:
    """sklearn's decisions (relative to neutral) for the runtime-equivalence test."""
    own_texts: list[str] = []
    for path in TOPIC_FILES:
        own_texts += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line]
    cleaned_gh = [clean_text(e.text) for e in gh_test]
    cleaned_own = [clean_text(t) for t in own_texts]
    rows: dict[str, Any] = {"github_test": [], "own_texts": []}
    for key, ids, cleaned in (("github_test", [e.id for e in gh_test], cleaned_gh),
                              ("own_texts", own_texts, cleaned_own)):
        if not cleaned:
            continue
        decisions = final.decisions(cleaned)
        labels = final.predict(cleaned)
        for ident, d, label in zip(ids, decisions, labels, strict=True):
            rows[key].append([ident, label, sig(float(d[2] - d[1])), sig(float(d[0] - d[1]))])
    REFERENCE_PATH.parent.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    with REFERENCE_PATH.open("wb") as handle, gzip.GzipFile(fileobj=handle, mode="wb", mtime=0) as gz:
        gz.write(raw)
    print(f"wrote {REFERENCE_PATH} ({len(rows['github_test'])} GitHub test ids, {len(rows['own_texts'])} own texts)")


if __name__ == "__main__":
    main()
