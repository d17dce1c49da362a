"""The maintainers' questions on constructed data: net sentiment, sentiment over time, pain points."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from feedback import selectors
from feedback.models import FeedbackItem
from feedback.selectors import PERFORMANCE_TOPICS, FeedbackFilters

pytestmark = pytest.mark.django_db

MakeItem = Callable[..., FeedbackItem]


def test_net_sentiment__no_items__n_zero_net_none(db: None) -> None:
    assert selectors.feedback_net_sentiment() == {
        "n": 0, "positive": 0, "neutral": 0, "negative": 0, "unscored": 0, "net": None, "mean_score": None,
    }


def test_net_sentiment__unscored_left_out_of_n(make_item: MakeItem) -> None:
    make_item(label="positive", score=0.5)
    make_item(label="negative", score=-0.9)
    make_item(label="negative", score=-0.3)
    make_item(label="neutral", score=0.1)
    make_item(label="")
    figures = selectors.feedback_net_sentiment()
    assert figures["n"] == 4 and figures["unscored"] == 1
    assert figures["net"] == -0.25  # (1 - 2) / 4
    assert figures["mean_score"] == pytest.approx(-0.15)


def test_net_sentiment__per_ring_phase_and_performance_topics(make_item: MakeItem) -> None:
    make_item(label="positive", ring="beta", phase="beta", topics=("compile_time",))
    make_item(label="negative", ring="beta", phase="beta", topics=("docs",))
    make_item(label="negative", ring="preview", phase="preview", topics=("hot_reload", "compile_time"))
    beta = selectors.feedback_net_sentiment(filters=FeedbackFilters(ring="beta", phase="beta"))
    assert (beta["n"], beta["net"]) == (2, 0.0)
    performance = selectors.feedback_net_sentiment(filters=FeedbackFilters(topics=PERFORMANCE_TOPICS))
    assert (performance["n"], performance["positive"], performance["negative"]) == (2, 1, 1)  # counted once each


def test_over_time__weekly_buckets_split_by_ring_and_phase(make_item: MakeItem) -> None:
    monday = datetime(2026, 11, 2, 10, tzinfo=UTC)  # a Monday
    make_item(label="positive", ring="beta", phase="beta", created_at=monday)
    make_item(label="negative", ring="beta", phase="beta", created_at=monday + timedelta(days=6, hours=13))
    make_item(label="positive", ring="preview", phase="beta", created_at=monday + timedelta(days=2))
    make_item(label="positive", ring="beta", phase="preview", created_at=monday + timedelta(days=7))
    make_item(label="", ring="beta", phase="preview", created_at=monday + timedelta(days=8))

    series = selectors.feedback_sentiment_over_time(bucket="week")

    rows = [(r["bucket_start"], r["ring"], r["phase"], r["n"], r["positive"], r["negative"], r["net"],
             r["unscored"]) for r in series]
    assert rows == [
        (date(2026, 11, 2), "beta", "beta", 2, 1, 1, 0.0, 0),
        (date(2026, 11, 2), "preview", "beta", 1, 1, 0, 1.0, 0),
        (date(2026, 11, 9), "beta", "preview", 1, 1, 0, 1.0, 1),
    ]
    assert series[0]["mean_score"] == 0.0


def test_over_time__daily_buckets_respect_date_range(make_item: MakeItem) -> None:
    start = datetime(2026, 11, 2, tzinfo=UTC)
    for day in range(5):
        make_item(label="negative", created_at=start + timedelta(days=day, hours=12))
    series = selectors.feedback_sentiment_over_time(
        filters=FeedbackFilters(since=start + timedelta(days=1), until=start + timedelta(days=3)), bucket="day"
    )
    assert [r["bucket_start"] for r in series] == [date(2026, 11, 3), date(2026, 11, 4)]
    assert all(r["n"] == 1 and r["net"] == -1.0 for r in series)


def test_pain_points__ranked_by_negative_items_praise_never_a_pain(make_item: MakeItem) -> None:
    for _ in range(3):
        make_item(label="negative", topics=("hot_reload",))
    for _ in range(2):
        make_item(label="negative", topics=("compile_time", "praise"))
    make_item(label="positive", topics=("compile_time",))
    make_item(label="positive", topics=("docs",))

    points = selectors.feedback_pain_points()

    assert [(p["topic"], p["negative"], p["n"]) for p in points] == [("hot_reload", 3, 3), ("compile_time", 2, 3)]
    assert points[1]["negative_share"] == pytest.approx(0.6667)


def test_pain_points__quotes_most_negative_then_most_recent_with_links(make_item: MakeItem) -> None:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    worst = make_item(label="negative", score=-0.95, topics=("error_messages",), text="unreadable errors",
                      created_at=now - timedelta(days=10), url="https://github.com/o/r/issues/5")
    second = make_item(label="negative", score=-0.9, topics=("error_messages",), text="errors point nowhere",
                       created_at=now - timedelta(days=9))
    make_item(label="negative", score=-0.7, topics=("error_messages",), text="meh errors",
              created_at=now - timedelta(days=8))
    latest = make_item(label="negative", score=-0.2, topics=("error_messages",), text="still confusing " * 40,
                       created_at=now, source="discord", url="https://discord.com/channels/1/2/3")

    (point,) = selectors.feedback_pain_points()

    quotes = point["quotes"]
    assert [q["id"] for q in quotes] == [worst.pk, second.pk, latest.pk]
    assert quotes[0]["url"] == "https://github.com/o/r/issues/5" and quotes[0]["score"] == -0.95
    assert quotes[2]["url"].startswith("https://discord.com/") and quotes[2]["source"] == "discord"
    assert len(quotes[2]["text"]) == selectors.QUOTE_MAX_CHARS and quotes[2]["text"].endswith("…")


def test_pain_points__few_items__as_many_quotes_as_there_are(make_item: MakeItem) -> None:
    only = make_item(label="negative", topics=("docs",))
    (point,) = selectors.feedback_pain_points()
    assert [q["id"] for q in point["quotes"]] == [only.pk]


def test_pain_points__filters_apply(make_item: MakeItem) -> None:
    make_item(label="negative", topics=("docs",), ring="beta")
    make_item(label="negative", topics=("wasm_size",), ring="preview")
    points = selectors.feedback_pain_points(filters=FeedbackFilters(ring="preview"))
    assert [p["topic"] for p in points] == ["wasm_size"]


def test_item_list__two_queries_however_many_items(
    make_item: MakeItem, django_assert_num_queries: Any
) -> None:
    for n in range(5):
        make_item(text=f"t{n}", topics=("docs", "other"))
    with django_assert_num_queries(2):
        rows = [(item.author_display, selectors.item_topics(item)) for item in selectors.feedback_item_list()]
    assert rows[0] == ("anonymous", ["docs", "other"])
