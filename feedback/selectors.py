"""Reads of the feedback app: the inbox with its filters, and the maintainers' sentiment questions.

Every figure comes with its n. Sentiment figures count scored items only (an item waiting for the scoring task
has no label yet); `unscored` says how many were left out.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from django.db.models import Avg, Count, F, Prefetch, Q, QuerySet
from django.db.models.functions import TruncDay, TruncWeek

from feedback.models import FeedbackItem, FeedbackTopic, SentimentLabel, Topic
from rollout import selectors as rollout_selectors
from rollout.models import Enrollment, Installation, Participant, Ring

# What "sentiment on performance" (the plan's success metric) is about.
PERFORMANCE_TOPICS: tuple[str, ...] = (Topic.COMPILE_TIME, Topic.HOT_RELOAD, Topic.RUNTIME_PERFORMANCE)
# Topics that are never a pain point.
NOT_PAIN_TOPICS: tuple[str, ...] = (Topic.PRAISE,)
QUOTE_MAX_CHARS = 280

Bucket = Literal["day", "week"]


@dataclass(frozen=True)
class FeedbackFilters:
    source: str = ""
    ring: str = ""
    phase: str = ""
    label: str = ""
    # Any of these topics.
    topics: tuple[str, ...] = ()
    triage_state: str = ""
    since: datetime | None = None
    until: datetime | None = None
    search: str = ""


# --- where the rollout stood at submission ------------------------------------------------------------------


def ring_at_submission(*, participant: Participant | None, installation: Installation | None) -> str:
    """The author's ring now (computed by the rollout services from enrollment), or "" for an unknown author."""
    if installation is not None:
        return installation.ring
    if participant is not None:
        ring = (
            Enrollment.objects.filter(participant=participant, left_at__isnull=True)
            .values_list("ring", flat=True)
            .first()
        )
        return ring or str(Ring.GENERAL)
    return ""


def fast_mode_phase_key() -> str:
    feature = rollout_selectors.feature_by_key(rollout_selectors.FAST_MODE_KEY)
    if feature is None or feature.current_phase is None:
        return ""
    return feature.current_phase.key


# --- the inbox ----------------------------------------------------------------------------------------------


def _filtered(filters: FeedbackFilters) -> QuerySet[FeedbackItem]:
    items = FeedbackItem.objects.all()
    if filters.source:
        items = items.filter(source=filters.source)
    if filters.ring:
        items = items.filter(ring=filters.ring)
    if filters.phase:
        items = items.filter(phase=filters.phase)
    if filters.label:
        items = items.filter(label=filters.label)
    if filters.triage_state:
        items = items.filter(triage_state=filters.triage_state)
    if filters.since is not None:
        items = items.filter(created_at__gte=filters.since)
    if filters.until is not None:
        items = items.filter(created_at__lt=filters.until)
    if filters.search:
        items = items.filter(
            Q(text__icontains=filters.search)
            | Q(author_handle__icontains=filters.search)
            | Q(participant__handle__icontains=filters.search)
        )
    if filters.topics:
        # A subquery, not a join: an item with two of the topics must still count once.
        items = items.filter(pk__in=FeedbackTopic.objects.filter(topic__in=filters.topics).values("item_id"))
    return items


def feedback_item_list(*, filters: FeedbackFilters | None = None) -> QuerySet[FeedbackItem]:
    """The inbox, newest first, with authors and topics loaded (two queries however many items)."""
    return (
        _filtered(filters or FeedbackFilters())
        .select_related("participant", "triaged_by")
        .prefetch_related(Prefetch("topic_rows", queryset=FeedbackTopic.objects.order_by("topic")))
        .order_by("-created_at", "-id")
    )


def feedback_item_get(*, item_id: int) -> FeedbackItem | None:
    return feedback_item_list().filter(pk=item_id).first()


def item_topics(item: FeedbackItem) -> list[str]:
    """Topics of an item from feedback_item_list (uses the prefetched rows)."""
    return [row.topic for row in item.topic_rows.all()]


def feedback_items_needing_score(*, current_version: str, after_id: int = 0, limit: int = 500) -> list[int]:
    """Ids, in order, of items scored by another scorer version or not at all, or edited since they were scored."""
    return list(
        FeedbackItem.objects.filter(pk__gt=after_id)
        .filter(~Q(scorer_version=current_version) | ~Q(scored_text_hash=F("text_hash")))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


# --- sentiment ----------------------------------------------------------------------------------------------


def _net(positive: int, negative: int, n: int) -> float | None:
    return round((positive - negative) / n, 4) if n else None


def _label_counts() -> dict[str, Any]:
    return {
        "n": Count("id", filter=~Q(label="")),
        "positive": Count("id", filter=Q(label=SentimentLabel.POSITIVE)),
        "neutral": Count("id", filter=Q(label=SentimentLabel.NEUTRAL)),
        "negative": Count("id", filter=Q(label=SentimentLabel.NEGATIVE)),
        "unscored": Count("id", filter=Q(label="")),
        "mean_score": Avg("score", filter=~Q(label="")),
    }


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    n = row["n"]
    return {
        "n": n,
        "positive": row["positive"],
        "neutral": row["neutral"],
        "negative": row["negative"],
        "unscored": row["unscored"],
        "net": _net(row["positive"], row["negative"], n),
        "mean_score": round(row["mean_score"], 4) if row["mean_score"] is not None else None,
    }


def feedback_net_sentiment(*, filters: FeedbackFilters | None = None) -> dict[str, Any]:
    """Net sentiment = (positive - negative) / n over the scored items that match; None when n is 0."""
    row = _filtered(filters or FeedbackFilters()).aggregate(**_label_counts())
    return _figures(row)


def feedback_sentiment_over_time(
    *, filters: FeedbackFilters | None = None, bucket: Bucket = "week"
) -> list[dict[str, Any]]:
    """Per bucket (day, or ISO week starting Monday, in UTC) x ring x phase: counts per label, net, mean score."""
    trunc = TruncDay("created_at") if bucket == "day" else TruncWeek("created_at")
    rows = (
        _filtered(filters or FeedbackFilters())
        .annotate(bucket_start=trunc)
        .values("bucket_start", "ring", "phase")
        .annotate(**_label_counts())
        .order_by("bucket_start", "ring", "phase")
    )
    series = []
    for row in rows:
        start = row["bucket_start"]
        series.append(
            {
                "bucket_start": start.date() if isinstance(start, datetime) else start,
                "ring": row["ring"],
                "phase": row["phase"],
                **_figures(row),
            }
        )
    return series


def feedback_pain_points(
    *, filters: FeedbackFilters | None = None, limit: int = 5, quotes: int = 3
) -> list[dict[str, Any]]:
    """Topics ranked by how many negative items mention them, each with representative quotes.

    Quotes: the most negative items first, then the most recent negative one if it is not among them, so a
    maintainer sees both the worst and the latest of each complaint, each with its link.
    """
    filters = filters or FeedbackFilters()
    matching = _filtered(filters)
    ranked = (
        FeedbackTopic.objects.filter(item_id__in=matching.values("id"))
        .exclude(topic__in=NOT_PAIN_TOPICS)
        .values("topic")
        .annotate(
            negative=Count("item_id", filter=Q(item__label=SentimentLabel.NEGATIVE)),
            n=Count("item_id", filter=~Q(item__label="")),
            mean_score=Avg("item__score", filter=~Q(item__label="")),
        )
        .filter(negative__gt=0)
        .order_by("-negative", "topic")[:limit]
    )
    pain_points = []
    for row in ranked:
        negatives = matching.filter(
            label=SentimentLabel.NEGATIVE, pk__in=FeedbackTopic.objects.filter(topic=row["topic"]).values("item_id")
        )
        by_score = list(negatives.order_by("score", "-created_at", "-id")[:quotes])
        latest = negatives.order_by("-created_at", "-id").first()
        chosen = by_score[: max(quotes - 1, 1)]
        if latest is not None and latest not in chosen:
            chosen.append(latest)
        chosen += [item for item in by_score if item not in chosen]
        pain_points.append(
            {
                "topic": row["topic"],
                "negative": row["negative"],
                "n": row["n"],
                "negative_share": round(row["negative"] / row["n"], 4) if row["n"] else None,
                "mean_score": round(row["mean_score"], 4) if row["mean_score"] is not None else None,
                "quotes": [_quote(item) for item in chosen[:quotes]],
            }
        )
    return pain_points


def _quote(item: FeedbackItem) -> dict[str, Any]:
    text = " ".join(item.text.split())
    if len(text) > QUOTE_MAX_CHARS:
        text = text[: QUOTE_MAX_CHARS - 1] + "…"
    return {
        "id": item.pk,
        "text": text,
        "score": item.score,
        "source": item.source,
        "ring": item.ring,
        "phase": item.phase,
        "url": item.url,
        "created_at": item.created_at,
    }
