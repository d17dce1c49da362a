from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedback.scoring import clean_text
from feedback.scoring.cleaning import normalize_emoji, topic_view


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("```rust\nfn main() { panic!(\"boom\") }\n```\nthis panics", "[code] this panics"),
        ("~~~\nkill -9 1234\n~~~\nthat fixed it", "[code] that fixed it"),
        ("truncated comment ```rust fn main() {", "truncated comment [code]"),
        ("run `cargo leptos watch` and wait", "run [code] and wait"),
        ("see https://github.com/leptos-rs/cargo-leptos/issues/1 for details", "see [url] for details"),
        ("[the book](https://book.leptos.dev/ssr) explains it", "the book explains it"),
        ("thanks @gbj and @benwis!", "thanks [user] and [user]!"),
        ("<@123456789> <@!42> look at <#998877>", "[user] look at"),
        ("mail me at dev@example.com", "mail me at dev@example.com"),
        ("> it's slow\nno, it's fast now", "no, it's fast now"),
        ("Agreed.\n\nOn Mon, Jan 30, 2012 at 12:00 PM, Someone <x@y.z> wrote:\n> old text", "Agreed."),
        ("<!-- issue template -->\nworks <details><summary>log</summary>x</details>", "works log x"),
        ("great 👍🏽 🎉", "great :+1: :tada:"),
        ("nice <:ferris_happy:1234567890>", "nice :ferris_happy:"),
        (":thumbsup: :thumbs_up: :+1:", ":+1: :+1: :+1:"),
        ("  lots   of\n\n whitespace\t", "lots of whitespace"),
        ("`a` `b` `c`", "[code]"),
        ("", ""),
    ],
)
def test_clean_text__developer_markup__replaced_or_dropped(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_topic_view__keeps_code_and_links_but_drops_quotes() -> None:
    raw = "> quoted slow thing\n`error[E0277]` again, see https://book.leptos.dev 🎉"
    assert topic_view(raw) == "`error[E0277]` again, see https://book.leptos.dev :tada:"


def test_normalize_emoji__unknown_emoji__uses_unicode_name() -> None:
    assert normalize_emoji("🦔") == " :hedgehog: "


@given(st.text(max_size=400))
def test_clean_text__any_input__returns_single_line_without_raw_markup(raw: str) -> None:
    cleaned = clean_text(raw)
    assert "\n" not in cleaned
    assert cleaned == cleaned.strip()
    assert "```" not in cleaned
