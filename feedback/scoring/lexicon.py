"""VADER with developer-domain adjustments: the explainable fallback scorer, and the lexicon the model reads.

Stock VADER was built for social media, where "kill", "fatal", "panic" and "error" are alarming; in developer
text they are mostly names of things (`kill -9`, "fatal error: ...", `panic!`, "error messages"). Words that
carry opinion only for developers ("snappy", "sluggish", "flaky", "regression", "lgtm") are missing from it.
`DEV_ADJUSTMENTS` is the whole difference, so every deviation from stock VADER is in one reviewable place.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

__all__ = [
    "DEV_ADJUSTMENTS",
    "NEGATORS",
    "SHORTCODE_VALENCE",
    "dev_analyzer",
    "dev_lexicon",
    "lexicon_polarity",
    "stock_analyzer",
    "vader_text",
]

# Valence on VADER's scale (-4 .. +4); 0.0 removes the word's sentiment.
DEV_ADJUSTMENTS: dict[str, float] = {
    # Technical nouns and verbs, neutral in developer use.
    "kill": 0.0, "kills": 0.0, "killed": 0.0, "killing": 0.0, "killer": 0.0,
    "fatal": 0.0, "abort": 0.0, "aborts": 0.0, "aborted": 0.0,
    "panic": 0.0, "panics": 0.0, "panicked": 0.0, "panicking": 0.0,
    "error": 0.0, "errors": 0.0, "bug": 0.0, "bugs": 0.0, "exception": 0.0, "exceptions": 0.0,
    "warning": 0.0, "warnings": 0.0, "dead": 0.0, "die": 0.0, "dies": 0.0,
    "block": 0.0, "blocks": 0.0, "blocked": 0.0, "blocking": 0.0,
    "attack": 0.0, "exploit": 0.0, "exploits": 0.0, "violation": 0.0, "violates": 0.0, "violate": 0.0,
    "destroy": 0.0, "destroyed": 0.0, "destroys": 0.0, "drop": 0.0, "ignore": 0.0, "ignored": 0.0,
    "ignores": 0.0, "reject": 0.0, "rejected": 0.0, "rejects": 0.0, "hacked": 0.0, "fire": 0.0,
    "avoid": 0.0, "argument": 0.0, "arguments": 0.0, "empty": 0.0, "missing": 0.0, "limited": 0.0,
    "execute": 0.0, "terminate": 0.0, "sick": 0.0, "insane": 0.0, "crazy": 0.0, "freeze": 0.0, "freezes": 0.0,
    "lying": 0.0, "spam": 0.0, "prevent": 0.0, "conflict": 0.0, "risk": 0.0, "suspect": 0.0, "low": 0.0,
    "abuse": 0.0, "escape": 0.0,
    # Positive in VADER, neutral in code talk ("true", "free the buffer", "pretty-print", "support for X").
    "true": 0.0, "free": 0.0, "pretty": 0.0, "support": 0.0, "supports": 0.0, "supported": 0.0,
    "like": 0.0, "please": 0.0, "safe": 0.0, "save": 0.0, "saved": 0.0, "clean": 0.0, "clear": 0.0,
    "shared": 0.0, "share": 0.0, "protected": 0.0, "trusted": 0.0, "value": 0.0, "values": 0.0,
    "create": 0.0, "creates": 0.0, "creating": 0.0, "special": 0.0, "stable": 0.0, "active": 0.0,
    "original": 0.0, "ensure": 0.0, "allow": 0.0, "extend": 0.0, "top": 0.0, "number": 0.0, "matter": 0.0,
    "security": 0.0, "desirable": 0.0, "helper": 0.0, "optimization": 0.0, "increase": 0.0, "party": 0.0,
    "huge": 0.0, "want": 0.0, "sure": 0.0, "god": 0.0, "assets": 0.0, "master": 0.0, "commit": 0.0,
    "resolve": 0.0, "resolved": 0.0, "solve": 0.0, "fixed": 0.3, "yes": 0.6, "ok": 0.6, "okay": 0.6,
    # Opinion words of developers that VADER lacks or under-weights.
    "fast": 1.5, "faster": 1.6, "fastest": 1.8, "blazing": 2.5, "blazingly": 2.5, "snappy": 2.2,
    "speedy": 1.8, "instant": 1.5, "instantly": 1.5, "smooth": 1.8, "smoothly": 1.8, "seamless": 2.0,
    "seamlessly": 2.0, "finally": 1.2, "lightweight": 1.2, "lean": 0.8, "tiny": 0.6, "quick": 1.0,
    "quicker": 1.2, "lgtm": 2.0, "kudos": 2.5, "gg": 1.5, "slick": 2.0, "ergonomic": 1.8, "polished": 1.8,
    "game-changer": 2.8, "gamechanger": 2.8, "wizardry": 2.0, "magic": 1.2, "magical": 2.0,
    "slow": -1.5, "slower": -1.6, "slowest": -1.8, "slowly": -0.8, "slowness": -1.8, "sluggish": -2.0,
    "laggy": -2.0, "lag": -1.2, "lags": -1.5, "lagging": -1.5, "flaky": -2.0, "flakey": -2.0,
    "regression": -1.6, "regressions": -1.6, "regressed": -1.8, "bloated": -2.0, "bloat": -1.6,
    "janky": -2.0, "jank": -1.6, "clunky": -1.8, "unusable": -2.8, "unbearable": -2.6, "painfully": -2.2,
    "cryptic": -1.6, "confusing": -1.6, "unreadable": -2.0, "inscrutable": -1.8, "useless": -2.2,
    "broken": -2.1, "breaks": -1.6, "crashes": -1.8, "crashed": -1.8, "crashing": -1.8, "crash": -1.8,
    "hangs": -1.5, "hanging": -1.2, "stuck": -1.4, "segfault": -1.8, "segfaults": -1.8, "oops": -1.0,
    "whoops": -1.0, "wtf": -2.8, "meh": -1.0, "ugh": -2.0, "hacky": -1.2, "garbage": -2.4, "trash": -2.4,
    "nightmare": -2.8, "headache": -1.8, "annoyingly": -1.8, "frustratingly": -2.0, "sigh": -1.2,
    "afraid": -1.0, "worried": -1.2, "sadly": -1.8, "unfortunately": -1.6, "unfortunate": -1.6,
    "pita": -2.0, "sucks": -2.0, "bs": -2.0, "fml": -2.4, "smh": -1.6, "ffs": -2.4,
    "greatly": 2.0, "hugely": 1.6, "thx": 1.8, "ty": 1.6, "tysm": 2.4, "thank": 1.8,
}

# Emoji shortcodes (see cleaning.normalize_emoji) on the same scale.
SHORTCODE_VALENCE: dict[str, float] = {
    ":+1:": 1.8, ":-1:": -1.8, ":heart:": 2.6, ":sparkling_heart:": 2.6, ":two_hearts:": 2.6,
    ":purple_heart:": 2.4, ":blue_heart:": 2.4, ":green_heart:": 2.4, ":yellow_heart:": 2.4,
    ":orange_heart:": 2.4, ":broken_heart:": -2.4, ":tada:": 2.6, ":partying_face:": 2.6, ":rocket:": 2.2,
    ":fire:": 1.8, ":zap:": 1.2, ":sparkles:": 1.6, ":100:": 2.0, ":pray:": 1.4, ":clap:": 2.2,
    ":raised_hands:": 2.2, ":muscle:": 1.6, ":ok_hand:": 1.6, ":white_check_mark:": 0.8, ":star:": 1.4,
    ":star2:": 1.6, ":star_struck:": 2.6, ":grinning:": 2.0, ":smiley:": 2.0, ":smile:": 2.0, ":grin:": 2.0,
    ":laughing:": 2.0, ":sweat_smile:": 0.8, ":joy:": 1.6, ":rofl:": 1.6, ":slightly_smiling_face:": 1.2,
    ":blush:": 2.0, ":innocent:": 1.2, ":heart_eyes:": 2.8, ":smiling_face_with_three_hearts:": 2.8,
    ":kissing_heart:": 2.4, ":wink:": 1.2, ":sunglasses:": 1.6, ":relieved:": 1.2, ":hugs:": 2.0,
    ":crab:": 0.8, ":thinking:": -0.2, ":confused:": -1.4, ":slightly_frowning_face:": -1.4,
    ":frowning_face:": -1.8, ":frowning:": -1.8, ":disappointed:": -2.0, ":pensive:": -1.6, ":cry:": -2.0,
    ":sob:": -2.2, ":scream:": -2.0, ":rage:": -2.8, ":angry:": -2.6, ":cursing_face:": -3.0,
    ":weary:": -2.0, ":tired_face:": -2.0, ":roll_eyes:": -1.6, ":facepalm:": -2.0, ":skull:": -1.0,
    ":hankey:": -2.0, ":clown_face:": -1.6, ":snail:": -1.4, ":turtle:": -1.0, ":unamused:": -1.8,
    ":expressionless:": -0.8, ":neutral_face:": -0.4, ":grimacing:": -1.2, ":upside_down_face:": -0.2,
    ":melting_face:": -1.0, ":exploding_head:": 0.6, ":dizzy_face:": -1.2, ":persevere:": -1.6,
    ":confounded:": -1.8, ":anguished:": -2.0, ":worried:": -1.6, ":sleepy:": -0.8, ":bomb:": -1.0,
}

NEGATORS: frozenset[str] = frozenset(
    {
        "not", "no", "never", "none", "nothing", "nobody", "nowhere", "neither", "nor", "without", "cannot",
        "cant", "can't", "dont", "don't", "doesnt", "doesn't", "didnt", "didn't", "isnt", "isn't", "arent",
        "aren't", "wasnt", "wasn't", "werent", "weren't", "wont", "won't", "wouldnt", "wouldn't", "shouldnt",
        "shouldn't", "couldnt", "couldn't", "havent", "haven't", "hasnt", "hasn't", "hadnt", "hadn't",
        "aint", "ain't", "nope", "rarely", "seldom", "hardly",
    }
)

# VADER splits ":+1:" apart, so shortcodes reach it as single words ("emoji_+1") that its lexicon knows.
_SHORTCODE_WORD = {code: f" emoji_{code.strip(':')} " for code in SHORTCODE_VALENCE}
_SHORTCODE_RE = re.compile(r":[a-z0-9_+\-]{1,40}:")


@lru_cache(maxsize=1)
def stock_analyzer() -> SentimentIntensityAnalyzer:
    """Stock VADER, the baseline that evaluations and the benchmark compare against."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


@lru_cache(maxsize=1)
def dev_lexicon() -> dict[str, float]:
    """VADER's lexicon with `DEV_ADJUSTMENTS` applied (zero-valence words removed) plus emoji shortcodes."""
    lexicon: dict[str, float] = {word: float(value) for word, value in stock_analyzer().lexicon.items()}
    for word, value in DEV_ADJUSTMENTS.items():
        if value == 0.0:
            lexicon.pop(word, None)
        else:
            lexicon[word] = value
    lexicon.update(SHORTCODE_VALENCE)
    return lexicon


@lru_cache(maxsize=1)
def dev_analyzer() -> SentimentIntensityAnalyzer:
    """A separate VADER instance whose lexicon is `dev_lexicon()` (VADER's rules: negation, boosters, "but")."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    lexicon = dict(dev_lexicon())
    for code, value in SHORTCODE_VALENCE.items():
        lexicon[_SHORTCODE_WORD[code].strip()] = value
    analyzer.lexicon = lexicon
    return analyzer


def vader_text(cleaned: str) -> str:
    """Cleaned text prepared for VADER: placeholders dropped, shortcodes turned into scorable words."""
    text = cleaned.replace("[code]", " ").replace("[url]", " ").replace("[user]", " ")
    if ":" in text:
        text = _SHORTCODE_RE.sub(lambda m: _SHORTCODE_WORD.get(m.group(0), " "), text)
    return text


def lexicon_polarity(cleaned: str) -> dict[str, Any]:
    """VADER's polarity scores (neg, neu, pos, compound) of cleaned text with the developer lexicon."""
    scores: dict[str, Any] = dev_analyzer().polarity_scores(vader_text(cleaned))
    return scores


def squash(total: float, alpha: float = 15.0) -> float:
    """VADER's normalisation of a summed valence into (-1, 1)."""
    return total / math.sqrt(total * total + alpha)
