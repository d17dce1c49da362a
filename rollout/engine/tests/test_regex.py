"""REGEX operator: Rust `regex`-crate semantics on RE2.

Expected results were cross-checked against Rust's `regex` crate (1.7, plus the syntax later versions
added: `(?<name>)`, escaping any ASCII punctuation).
"""

import pytest

from rollout.engine import EngineValidationError, validate_constraints
from rollout.engine.rust_regex import UnsupportedPattern, compile_rust_regex

from .flags import constraint, one_constraint


def regex_matches(pattern: str, text: str, *, case_insensitive: bool = False, inverted: bool = False) -> bool:
    rule = constraint("x", "REGEX", value=pattern, case_insensitive=case_insensitive, inverted=inverted)
    return one_constraint(rule).is_enabled("f", {"properties": {"x": text}})


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        # search, anchored only where the pattern says so
        ("beta", "the beta ring", True),
        ("^beta-", "beta-1", True),
        ("^beta-", "a beta-1", False),
        # `$` is the end of the text (no Perl-style "before a final newline")
        ("^beta$", "beta\n", False),
        ("(?m)^beta$", "alpha\nbeta\n", True),
        # inline flags anywhere, scoped to the rest of their group
        ("a(?i)bc", "aBC", True),
        ("a(?i)bc", "ABC", False),
        ("x(?i:Y)z", "xyz", True),
        ("x(?i:Y)z", "xyZ", False),
        ("(?s)a.b", "a\nb", True),
        ("a.b", "a\nb", False),
        ("(?U)a+", "aaa", True),
        ("(?u)é", "é", True),
        # POSIX classes are ASCII-only
        ("[[:alpha:]]+\\d", "abc1", True),
        ("^[[:alpha:]]+$", "héllo", False),
        ("^[[:^digit:]]+$", "abc", True),
        # Perl classes are Unicode-aware
        ("^\\w+$", "héllo", True),
        ("^\\W+$", "é", False),
        ("^\\d+$", "١٢٣", True),
        ("^\\s$", "\u3000", True),
        ("^\\S+$", "a b", False),
        ("^[^\\d\\s]+$", "abc", True),
        ("[\\p{Greek}\\d]", "5", True),
        # Unicode classes, with Rust's names
        ("\\p{Greek}+", "αβγ", True),
        ("\\p{Script=Greek}", "\u03b1", True),
        ("\\p{sc=Grek}", "\u03b1", True),
        ("\\P{Greek}", "\u03b1", False),  # alpha
        ("\\p{Uppercase_Letter}", "É", True),
        ("\\p{gc=Nd}", "٣", True),
        ("\\pL", "ж", True),
        ("\\p{Lu}", "a", False),
        ("(?i)\\p{Lu}", "a", True),
        # escapes
        ("\\x{1F600}", "😀", True),
        ("\\u{e9}", "é", True),
        ("\\u00e9", "é", True),
        ("\\/api\\/", "/api/v1", True),
        ("^.$", "😀", True),
        # repetition, incl. forms RE2 spells differently
        ("a{2,3}", "caab", True),
        ("a{ 2 , 3 }", "aa", True),
        ("^a**$", "aaa", True),
        # named groups in both spellings
        ("(?P<ring>beta|preview)", "preview", True),
        ("(?<ring>beta|preview)", "preview", True),
    ],
)
def test_regex__rust_semantics(pattern: str, text: str, expected: bool) -> None:
    assert regex_matches(pattern, text) is expected


@pytest.mark.parametrize(
    "pattern",
    [
        "(?=x)",  # look-ahead
        "(?!x)",
        "(?<=x)y",  # look-behind
        "(?<!x)y",
        "(a)\\1",  # backreference
        "(?P=a)",
        "[",  # malformed
        "(",
        "a)",
        "*a",
        "a{",  # Rust has no literal `{`
        "a{,5}",
        "a{3,2}",
        "\\Q.\\E",  # RE2-only syntax that Rust rejects
        "\\C",
        "\\0",
        "\\e",
        "\\Z",
        "(?)",
        "(?ii)a",
        "\\x{D800}",
        "\\p{NotAProperty}",
        # valid in Rust, but RE2 cannot express it
        "(?x) a b",
        "(?-u)\\w",
        "\\<word\\>",
        "\\b{start}a",
        "\\p{Alphabetic}",
        "[a-z&&[^aeiou]]",
        "[a-z--aeiou]",
        "[[a-z]]",
        "[\\W]",
    ],
)
def test_regex__invalid_or_unsupported_pattern__never_matches(pattern: str) -> None:
    with pytest.raises(UnsupportedPattern):
        compile_rust_regex(pattern)
    assert regex_matches(pattern, "anything a b x y word") is False
    assert regex_matches(pattern, "anything", inverted=True) is False
    with pytest.raises(EngineValidationError, match=r"constraints\[0\]\.value"):
        validate_constraints([constraint("x", "REGEX", value=pattern)])


def test_regex__case_insensitive__applies_to_the_whole_pattern() -> None:
    assert regex_matches("^beta$", "BETA", case_insensitive=True) is True
    assert regex_matches("^beta$", "BETA") is False
    # a pattern can still turn it off locally, as with Rust's RegexBuilder::case_insensitive
    assert regex_matches("(?-i)A", "a", case_insensitive=True) is False


def test_regex__inverted__negates_a_match() -> None:
    assert regex_matches("^beta", "beta-1", inverted=True) is False
    assert regex_matches("^beta", "preview", inverted=True) is True


@pytest.mark.parametrize("context", [{}, {"properties": {}}, {"properties": {"x": None}}, {"x": None}])
def test_regex__missing_or_null_value__never_matches(context: dict[str, object]) -> None:
    snapshot = one_constraint(constraint("x", "REGEX", value=".*"))

    assert snapshot.is_enabled("f", context) is False


def test_regex__top_level_context_field__is_read_like_a_property() -> None:
    snapshot = one_constraint(constraint("ring", "REGEX", value="^(beta|preview)$"))

    assert snapshot.is_enabled("f", {"ring": "preview"}) is True
    assert snapshot.is_enabled("f", {"ring": "general"}) is False


def test_regex__numbers_in_context__are_matched_as_text() -> None:
    snapshot = one_constraint(constraint("build", "REGEX", value="^4\\d$"))

    assert snapshot.is_enabled("f", {"build": 42}) is True


def test_regex__missing_pattern__never_matches_and_fails_validation() -> None:
    snapshot = one_constraint(constraint("x", "REGEX"))

    assert snapshot.is_enabled("f", {"x": "a"}) is False
    with pytest.raises(EngineValidationError, match="needs a value"):
        validate_constraints([constraint("x", "REGEX")])


def test_regex__word_boundary__ascii_approximation() -> None:
    # Documented approximation: RE2's \b is ASCII-only. It agrees with Rust's next to ASCII text.
    assert regex_matches("\\bfoo\\b", "a foo b") is True
    assert regex_matches("\\bfoo\\b", "afoob") is False
