"""Multi-label topic tagging of fast-mode feedback with developer-vocabulary rules.

Rules, not a model: a maintainer can read why an item was tagged, and a few hundred labelled sentences
(`data/topics_labelled.jsonl`) are too few to train a tagger that beats hand-written vocabulary. Each topic is
one case-insensitive regular expression over `cleaning.topic_view(text)` (code and links kept: an
`error[E0277]` block or a link to the book says what the feedback is about). `praise` also needs the sentiment
not to be negative, which drops the sarcastic "oh great, another 45 second rebuild. love it."
`other` is given only when no other topic applies.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

__all__ = ["TOPICS", "TOPIC_PATTERNS", "explain_topics", "tag_topics"]

TOPICS: tuple[str, ...] = (
    "compile_time",
    "hot_reload",
    "error_messages",
    "tooling_install",
    "docs",
    "runtime_performance",
    "wasm_size",
    "praise",
    "other",
)

_DURATION = r"\d+(?:\.\d+)?\s?(?:s|secs?|seconds?|m|mins?|minutes?)\b"

_RULES: dict[str, tuple[str, ...]] = {
    "compile_time": (
        r"\b(?:re)?build(?:s|ing)?\s+(?:times?|takes?|took|is|are|was|were|went|got|in|under|of|after)\b",
        r"\brebuil(?:d|ds|ding|t)\b",
        r"\b(?:re)?compil(?:e|es|ed|ing|ation|er)\s+(?:times?|takes?|took|speed|is\s+slow|slow)",
        r"\b(?:compile|build|link|linking)[- ]times?\b",
        r"\b(?:cold|clean|dev|debug|incremental|first|full|ci)\s+(?:build|compile|compilation)s?\b",
        r"\bduring\s+(?:the\s+)?(?:build|compil\w*)\b|\b(?:a|one|two|three|several|\d+)\s+minutes?\b",
        r"\bcargo[- ]leptos\s+(?:dev|build|watch)\b[^.!?\n]{0,60}" + _DURATION,
        r"\bincremental(?:\s+(?:builds?|compil\w*|cache))?\b",
        r"\brecompil\w*",
        r"\blink(?:er|ing)\b|\bwasm-ld\b|\bmold\b|\blld\b",
        r"\bcranelift\b|\bsccache\b|\bcodegen[- _]units\b",
        r"\brustc\b[^.!?\n]{0,40}\b(?:takes?|took|slow|time|seconds|minutes|eats|ram|memory|cpu)\b",
        r"\bdev\s+loop\b|\biteration\s+(?:time|speed|loop)\b|\bedit[- ]compile\b",
        r"\bcompil(?:e|es|ing)\b[^.!?\n]{0,40}\b(?:slow|fast|faster|seconds|minutes|forever|ages)\b",
        r"\b(?:slow|fast|faster|quicker|quick)\s+(?:re)?(?:builds?|compil\w*)\b",
        _DURATION + r"\s*(?:->|→|=>|to)\s*" + _DURATION,
        r"\bbuilds?\b[^.!?\n]{0,30}" + _DURATION,
        _DURATION + r"[^.!?\n]{0,25}\b(?:re)?builds?\b",
    ),
    "hot_reload": (
        r"\bhot[- ]?reload\w*",
        r"\blive[- ]?reload\w*",
        r"\bhmr\b|\bhot[- ]module\b|\bhot[- ]?patch\w*",
        r"\breload(?:s|ed|ing)?\b",
        r"\bwatch\s+mode\b|\b(?:file\s+)?watcher\b",
        r"\brefresh(?:es|ed|ing)?\b|\bhit\s+f5\b|\bf5\b",
        r"\bchanges?\b[^.!?\n]{0,30}\b(?:show(?:s)?\s+up|picked\s+up|appear|reflected)\b",
        r"\b(?:lose|lost|loses|losing|reset|resets)\b[^.!?\n]{0,20}\b(?:state|signals?|form)\b",
        r"\bstate\s+(?:is|isn't|is\s+not|isnt)\s+(?:preserved|kept|lost)\b",
    ),
    "error_messages": (
        r"\berror\s+(?:messages?|output|text|reporting|spans?|codes?)\b",
        r"\b(?:compiler|compile|compilation|macro|type|trait|lifetime|borrow|rustc|server\s+fn)\s+errors?\b",
        r"\bhydration\s+(?:mismatch(?:es)?|errors?|warnings?)\b",
        r"\berror\[e\d{4}\]",
        r"\btrait\s+bounds?\b",
        r"\bdiagnostics?\b|\bstack\s*traces?\b|\bbacktraces?\b",
        r"\bpanic(?:s|ked)?\b|\bpanic\s+message\b|\bunreachable\b",
        r"\b(?:error|errors|message)\b[^.!?\n]{0,40}\b(?:confusing|cryptic|unreadable|unclear|useless|clear|"
        r"helpful|vague|wall\s+of\s+text|readable|better|worse|worst)\b",
        r"\b(?:confusing|cryptic|unreadable|unclear|useless|vague|better|helpful)\b[^.!?\n]{0,20}\berrors?\b",
        r"\bwall\s+of\s+text\b|\bwhat\s+does\s+(?:this|that|it)\s+(?:even\s+)?mean\b",
        r"\b(?:the|an|this|that)\s+error\s+(?:says|said|tells|told|about|for|when|in|from|is|was)\b",
        r"\berror\s+(?:told|tells|says|said)\b|\berrors?\s+(?:in|inside|from)\s+(?:the\s+)?(?:view|macro|leptos)",
        r"\bserverfnerror\b|\bruntimeerror\b|\bunresolved\s+import\b|\binternal\s+compiler\s+error\b|\bice\b",
        r"\b(?:error|warning)s?\s+(?:show|shows|showed)\s+up\b",
        r"\bspans?\b[^.!?\n]{0,30}\bmacro\b|\bmacro\b[^.!?\n]{0,30}\bspans?\b",
        r"(?:'[^']{3,80}'|\"[^\"]{3,80}\")\s+(?:error|panic)\b",
        r"\b(?:get|got|getting|see|seeing|throws?|threw)\s+(?:an?\s+)?(?:'[^']{3,80}'|\"[^\"]{3,80}\")",
        r"\b(?:errors?|messages?)\b[^.!?\n]{0,30}\b(?:can't|cannot|can\s+not|don't|couldn't)\s+"
        r"(?:understand|read|parse|decipher)\b",
        r"\b(?:understand|read|decipher|parse)\b[^.!?\n]{0,20}\berrors?\b|\bsquiggl\w*",
        r"\berror:\s",
    ),
    "tooling_install": (
        r"\binstall\w*|\breinstall\w*|\buninstall\w*",
        r"\bbinstall\b|\bbrew\b|\brustup\b|\bnix(?:os)?\b|\bapt(?:-get)?\b",
        r"\btoolchains?\b|\bnightly\b|\bon\s+stable\b|\bstable\s+(?:rust|toolchain)\b|\bmsrv\b",
        r"\bwasm-bindgen(?:-cli)?\b|\bwasm32-unknown-unknown\b|\btarget\s+add\b",
        r"\bshim\b|\bleptos_fast\b",
        r"\bcargo[- ]leptos\s+(?:new|serve|watch|build|end-to-end|end2end|test)\b.{0,60}"
        r"\b(?:ignores?|doesn't|does\s+not|fails?|broken|cpu|find|support)",
        r"\bcargo-leptos\b[^.!?\n]{0,40}\b(?:version|pinned|pins|update|upgrade|support|workspaces?)\b",
        r"\bversions?\b[^.!?\n]{0,30}\bcargo-leptos\b|\bprofile\s+overrides?\b|\[profile",
        r"\b(?:version|versions)\s+(?:mismatch|conflict)\w*|\block\s*file\b|\bcargo\.lock\b",
        r"\bcargo\.toml\b|\bleptos\.toml\b|\.cargo/config|\bcargo_target_dir\b|\btarget[- ]dir\b",
        r"\bin\s+(?:my\s+|the\s+)?path\b",
        r"\brust-analyzer\b|\bleptosfmt\b|\bdart-sass\b|\bplaywright\b|\bnpm\b|\bproxy\b",
        r"\btemplate\b[^.!?\n]{0,40}\b(?:compile|build|work)",
        r"\b(?:support\w*|with)\s+workspaces\b|\bdelete\s+target\b|(?<![\w-])--help\b",
        r"\bflags?\b[^.!?\n]{0,20}\b(?:ignored|renamed|missing)\b",
        r"\bignores?\s+(?:the\s+|my\s+)?(?:--\w+|flag|config|setting)",
        r"\b(?:musl|alpine)\b|\bxcrun\b|\blink\.exe\b|\bdefender\b",
    ),
    "docs": (
        r"\bdocs?\b|\bdocument\w*|\bundocumented\b",
        r"\bthe\s+book\b|\bbook(?:'s)?\s+(?:chapter|section|page)\b|\bbook\.leptos\b|leptos\.dev/",
        r"\bguides?\b|\btutorials?\b|\breadme\b|\bfaq\b|\bchangelog\b|\brelease\s+notes\b",
        r"(?<!for )\bexamples?\b",
        r"\bchapter\b|\bsection\s+(?:on|about)\b|\btroubleshooting\b|\bdocs\.rs\b",
        r"\bwrite-?ups?\b|\bexplained\b|\bexplanation\b",
    ),
    "runtime_performance": (
        r"\bhydration\b(?!\s+(?:mismatch|errors?|warnings?|bugs?))|\bhydrates?\s+in\b",
        r"\bhydrat\w*\b[^.!?\n]{0,30}\b(?:slow\w*|fast\w*|ms|seconds?|time|takes?|took)\b",
        r"\bfirst\s+(?:paint|load)\b|\b(?:fcp|lcp|tti|inp|cls)\b|\btime\s+to\s+interactive\b|\blighthouse\b",
        r"(?<![a-z])fps\b|\bframe\s*rates?\b|\bjank\w*|\bstutter\w*|\bflicker\w*|\binteractive\b",
        r"\blag(?:s|gy|ging)?\b|\bsluggish\b",
        r"\brender(?:s|ed|ing)?\b",
        r"\bmemory\b|\bram\s+usage\b|\bmemory\s+leak\w*|\bleak(?:s|ing)?\s+memory\b",
        r"\bpage\s+loads?\b|\bload\s+times?\b|\bstartup\b|\bstart-?up\s+time\b|\bloads?\s+(?:slow|fast)\w*",
        r"\bresponse\s+times?\b|\blatency\b|\bthroughput\b|\brequests?\s+per\s+second\b|\brps\b",
        r"\b(?:signals?|memos?|effects?|reactiv\w*|resources?)\b[^.!?\n]{0,40}\b(?:fast|slow|faster|slower|"
        r"updates?|overhead|lag\w*)\b",
        r"\b(?:app|site|page|ui|frontend)\b[^.!?\n]{0,40}\b(?:fast(?![- ]mode)|slow|faster|slower|snapp\w*|sluggish|laggy|"
        r"smooth|usable|responsive)\b",
        r"\b(?:takes?|took|taking)\b[^.!?\n]{0,20}\bto\s+(?:load|start|become\s+interactive|render)\b",
        r"\bsnapp(?:y|ier)\b|\bruntime\s+perf\w*|\bperformance\s+score\b",
        r"\b\d+(?:\.\d+)?\s?ms\b",
        r"\bclient-side\s+navigation\b|\bnavigation\s+is\b",
        r"\bserver\b[^.!?\n]{0,25}\b(?:takes?|took)\b[^.!?\n]{0,15}\b(?:to\s+(?:re)?start|ages|forever)\b",
        r"\bssr\b[^.!?\n]{0,30}\b(?:ms|slow|fast|render\w*|throughput)\b",
    ),
    "wasm_size": (
        r"\bwasm\b[^.!?\n]{0,20}\b(?:size|sizes|binary|binaries|bundle|file)\b",
        r"\b(?:bundle|binary|wasm|payload|download)\s+sizes?\b|\bsize\s+of\s+the\s+(?:wasm|bundle|binary)\b",
        r"\b\d+(?:\.\d+)?\s?(?:kb|mb|kib|mib)\b",
        r"\bopt-level\s*=\s*['\"]?[zs]\b|\bwasm-opt\b|\b-o[zs]\b|\btwiggy\b",
        r"\bgzip\w*|\bbrotli\b|\bcompressed\b",
        r"\bcode[- ]?split\w*|\bwasm[- ]split\w*|\blazy[- ]?load\w*",
        r"\bstrip(?:ping|ped)?\s+(?:debug|symbols)\b",
        r"\b(?:bigger|smaller|larger|doubled\s+in\s+size|size\s+went)\b[^.!?\n]{0,20}\b(?:wasm|binary|bundle|"
        r"runtime)\b|\b(?:wasm|binary|bundle)\b[^.!?\n]{0,30}\b(?:bigger|smaller|larger|doubled)\b",
    ),
    "praise": (
        r"\bthanks?\b|\bthank\s+you\b|\bthx\b|\bty\b|\btysm\b|\bkudos\b|\bcheers\b",
        r"\b(?:great|good|nice|amazing|awesome|excellent|fantastic|impressive|solid)\s+"
        r"(?:job|work|stuff|framework|docs|community|one)\b",
        r"\bwell\s+done\b|\bkeep\s+(?:it\s+)?up\b|\bhats\s+off\b|\bdeserves\s+a\s+medal\b",
        r"(?<!'d\s)(?<!would\s)\b(?:love|loving|loved)\b|\bawesome\b|\bamazing\b|\bincredible\b|\bimpressive\b|\bimpressed\b|"
        r"\bfantastic\b|\bbrilliant\b|\bsuperb\b|\bexcellent\b",
        r"\bgame[- ]?changer\b|\b10/10\b|\bbest\b|\bmagic(?:al)?\b|\bwizardry\b|\btop[- ]notch\b|\brock[- ]solid\b",
        r"\b(?:works|working)\s+(?:great|perfectly|flawlessly|beautifully|like\s+a\s+charm)\b|\bjust\s+works\b",
        r"\b(?:really\s+|so\s+|very\s+)?happy\s+with\b|\bpainless\b|\bhuge\s+(?:improvement|win)\b|"
        r"\bbig\s+improvement\b|\bthis\s+is\s+(?:huge|great|awesome|amazing)\b",
        r"^(?:nice|great|cool|sweet|wow)\b|\b(?:nice|great|cool|sweet|wow)[.!]*$",
        r"\b(?:is|are|was|were|looks?|feels?)\s+(?:so\s+|really\s+|very\s+|super\s+|just\s+)?(?:great|amazing|"
        r"awesome|excellent|fantastic|brilliant|superb|wonderful|perfect|lovely)\b",
        r"\b(?:very|super|really|so|extremely)\s+(?:helpful|clear|useful|nice|good)\b|\b(?:much|way)\s+better\b",
        r":(?:heart|sparkling_heart|two_hearts|\w+_heart|tada|partying_face|rocket|fire|\+1|pray|clap|"
        r"raised_hands|100|ok_hand|star_struck|heart_eyes|muscle|sparkles):",
    ),
}

_FLAGS = re.MULTILINE  # the text is lower-cased once instead of IGNORECASE, which is much slower in `re`

# One pattern per topic: the reference semantics, and what `explain_topics` reports from.
TOPIC_PATTERNS: dict[str, re.Pattern[str]] = {
    topic: re.compile("|".join(f"(?:{rule})" for rule in rules), _FLAGS) for topic, rules in _RULES.items()
}


def _requirement(items: list[tuple[Any, Any]]) -> frozenset[str] | None:
    """Literal strings of which a match of this parsed pattern must contain at least one; None if unknown.

    Walks `re`'s parse tree: a run of literals is required; a group or a repeat with min >= 1 passes on its
    body's requirement; an alternation requires one of its branches' requirements. Of several, the set whose
    shortest literal is longest (the most selective) is kept.
    """
    # Private stdlib modules; typed as Any so that mypy sees the same thing whether or not a stub is loaded.
    c: Any = importlib.import_module("re._constants")

    candidates: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) >= 2:
            candidates.append(frozenset({"".join(run)}))
        run.clear()

    for op, av in items:
        if op is c.LITERAL:
            run.append(chr(av))
            continue
        flush()
        if op is c.SUBPATTERN:
            found = _requirement(list(av[-1]))
        elif op is c.BRANCH:
            branches = [_requirement(list(branch)) for branch in av[1]]
            found = frozenset().union(*branches) if all(b is not None for b in branches) else None  # type: ignore[arg-type]
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1:
            found = _requirement(list(av[2]))
        else:
            found = None
        if found:
            candidates.append(found)
    flush()
    if not candidates:
        return None
    return max(candidates, key=lambda literals: (min(map(len, literals)), -len(literals)))


def _required_literals(rule: str) -> frozenset[str] | None:
    try:
        _parser: Any = importlib.import_module("re._parser")

        return _requirement(list(_parser.parse(rule, _FLAGS)))
    except (ImportError, AttributeError, re.error):  # another Python: run the rule unconditionally
        return None


_Rule = tuple[str, re.Pattern[str]]


def _build_index() -> tuple[dict[str, tuple[str, ...]], dict[str, list[_Rule]], list[_Rule]]:
    rules_by_literal: dict[str, list[_Rule]] = {}
    unconditional: list[_Rule] = []
    for topic, rules in _RULES.items():
        for rule in rules:
            compiled = re.compile(rule, _FLAGS)
            literals = _required_literals(rule)
            if literals is None:
                unconditional.append((topic, compiled))
            else:
                for literal in literals:
                    rules_by_literal.setdefault(literal, []).append((topic, compiled))
    # Literals keyed by their first three characters (two for two-character literals).
    literals_by_key: dict[str, list[str]] = {}
    for literal in rules_by_literal:
        literals_by_key.setdefault(literal[:3], []).append(literal)
    return {k: tuple(v) for k, v in literals_by_key.items()}, rules_by_literal, unconditional


# Running ~120 rules over every text is slow in Python's `re`. Instead each rule runs only when a literal it
# cannot match without occurs in the text; the literals present are found through the text's character
# 2- and 3-grams. Same result (tests compare it with TOPIC_PATTERNS), several times faster.
_LITERALS_BY_KEY, _RULES_BY_LITERAL, _UNCONDITIONAL = _build_index()
_KEYS = frozenset(_LITERALS_BY_KEY)
_SHORT_KEYS = frozenset(key for key in _KEYS if len(key) == 2)


def _present_literals(text: str) -> list[str]:
    grams = {text[i : i + 3] for i in range(len(text) - 2)}
    keys = grams & _KEYS
    if _SHORT_KEYS:
        keys.update(key for key in _SHORT_KEYS if key in text)
    return [literal for key in keys for literal in _LITERALS_BY_KEY[key] if literal in text]


def tag_topics(view: str, *, sentiment: str | None = None) -> tuple[str, ...]:
    """Topics of a `topic_view` text, in `TOPICS` order; ("other",) when nothing applies.

    `sentiment` (the text's label) keeps `praise` off negative texts; None skips that check.
    """
    text = view.lower()
    found: set[str] = set()
    for topic, pattern in _UNCONDITIONAL:
        if topic not in found and pattern.search(text):
            found.add(topic)
    for literal in _present_literals(text):
        for topic, pattern in _RULES_BY_LITERAL[literal]:
            if topic not in found and pattern.search(text):
                found.add(topic)
    if sentiment == "negative":
        found.discard("praise")
    return tuple(topic for topic in TOPICS if topic in found) or ("other",)


def explain_topics(view: str) -> dict[str, str]:
    """For each matching topic, the first piece of text that matched (for "why was this tagged?")."""
    text = view.lower()
    explained = {}
    for topic, pattern in TOPIC_PATTERNS.items():
        match = pattern.search(text)
        if match:
            explained[topic] = view[match.start() : match.end()]
    return explained
