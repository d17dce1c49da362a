"""Feature extraction of the sentiment model, shared by training (through sklearn) and runtime (plain Python).

The training script hands `training_features` to sklearn's `TfidfVectorizer(analyzer=...)`, so the exported
model and the runtime scorer read the very same features: word unigrams and bigrams, character 2-4-grams
inside word boundaries (sklearn's `char_wb`), all binary, plus four lexicon features (summed positive and
negative VADER valence with a three-word negation window, and whether there is any).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from itertools import pairwise

__all__ = [
    "CHAR_MAX",
    "CHAR_MIN",
    "char_grams",
    "lexicon_features",
    "normalise",
    "tokens",
    "training_features",
    "word_char_grams",
    "word_features",
]

CHAR_MIN = 2
CHAR_MAX = 4

# Placeholders, emoji shortcodes, emoticons, words (apostrophes kept: "don't" is one token), ! and ?.
# Words come first because they are the most frequent; the alternatives cannot start on the same character,
# except the ":" of shortcodes and emoticons, where the longer shortcode is tried first.
_TOKEN_RE = re.compile(
    r"[^\W_]+(?:'[^\W_]+)?"
    r"|\[(?:code|url|user)\]"
    r"|:[a-z0-9_+\-]+:"
    r"|[:;=]-?[)(\]\[dpo/\\|*3]|<3|\^\^"
    r"|[!?]"
)

# The same negators VADER knows (subset that survives our tokeniser), for the lexicon features.
_NEGATORS = frozenset(
    {
        "not", "no", "never", "none", "nothing", "nowhere", "neither", "nor", "without", "cannot", "cant",
        "can't", "dont", "don't", "doesnt", "doesn't", "didnt", "didn't", "isnt", "isn't", "arent", "aren't",
        "wasnt", "wasn't", "werent", "weren't", "wont", "won't", "wouldnt", "wouldn't", "shouldnt", "shouldn't",
        "couldnt", "couldn't", "havent", "haven't", "hasnt", "hasn't", "hadnt", "hadn't", "aint", "ain't",
        "nope", "rarely", "seldom", "despite",
    }
)
_NEGATION_SCALAR = -0.74  # VADER's N_SCALAR


def normalise(cleaned: str) -> str:
    """Lower case, typographic apostrophes (U+2019, U+2018) folded to ASCII: "don't" either way."""
    return cleaned.lower().replace("\u2019", "'").replace("\u2018", "'")


def tokens(lowered: str) -> list[str]:
    return _TOKEN_RE.findall(lowered)


def word_features(token_list: list[str]) -> list[str]:
    """Unigrams and bigrams ("not good")."""
    return token_list + [f"{a} {b}" for a, b in pairwise(token_list)]


def word_char_grams(word: str) -> list[str]:
    padded = f" {word} "
    length = len(padded)
    grams: list[str] = []
    for n in range(CHAR_MIN, CHAR_MAX + 1):
        if n > length:
            break
        grams += [padded[i : i + n] for i in range(length - n + 1)]
    return grams


_CHAR_CACHE: dict[str, list[str]] = {}
_CHAR_CACHE_LIMIT = 50_000


def char_grams(lowered: str) -> list[str]:
    """sklearn's `char_wb` n-grams: each whitespace-separated word padded with one space on both sides."""
    grams: list[str] = []
    cache = _CHAR_CACHE
    for word in lowered.split():
        cached = cache.get(word)
        if cached is None:
            cached = word_char_grams(word)
            if len(cache) >= _CHAR_CACHE_LIMIT:
                cache.clear()
            cache[word] = cached
        grams += cached
    return grams


def lexicon_features(token_list: list[str], lexicon: Mapping[str, float]) -> tuple[float, float, float, float]:
    """(log1p(positive valence), log1p(negative valence), any positive, any negative)."""
    positive = 0.0
    negative = 0.0
    get = lexicon.get
    hits = [(index, valence) for index, token in enumerate(token_list) if (valence := get(token)) is not None]
    for index, valence in hits:
        if index and not _NEGATORS.isdisjoint(token_list[max(0, index - 3) : index]):
            valence *= _NEGATION_SCALAR
        if valence > 0:
            positive += valence
        else:
            negative -= valence
    return (
        math.log1p(positive),
        math.log1p(negative),
        1.0 if positive > 0 else 0.0,
        1.0 if negative > 0 else 0.0,
    )


def training_features(cleaned: str) -> list[str]:
    """The analyzer handed to sklearn: word features prefixed "w", character grams prefixed "c"."""
    lowered = normalise(cleaned)
    return ["w" + f for f in word_features(tokens(lowered))] + ["c" + g for g in char_grams(lowered)]
