"""Feedback from every source in one table, with its sentiment, topics and triage state.

Invariants live here (constraints); writes are in services.py, reads in selectors.py.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from rollout.models import Installation, Participant

# The shim and the web form refuse longer text; the bots cut theirs to it (see services.feedback_item_upsert).
MAX_TEXT_LENGTH = 4000


class FeedbackSource(models.TextChoices):
    DISCORD = "discord", "Discord"
    GITHUB = "github", "GitHub"
    WEB = "web", "Web form"
    SHIM = "shim", "Shim (leptos-fast feedback)"


class SentimentLabel(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEUTRAL = "neutral", "Neutral"
    NEGATIVE = "negative", "Negative"


class TriageState(models.TextChoices):
    NEW = "new", "New"
    TRIAGED = "triaged", "Triaged"
    ACTIONED = "actioned", "Actioned"
    DISMISSED = "dismissed", "Dismissed"


class Topic(models.TextChoices):
    """The scorer's topics (feedback.scoring.TOPICS), as choices for filters and the admin."""

    COMPILE_TIME = "compile_time", "Compile time"
    HOT_RELOAD = "hot_reload", "Hot reload"
    ERROR_MESSAGES = "error_messages", "Error messages"
    TOOLING_INSTALL = "tooling_install", "Tooling / install"
    DOCS = "docs", "Docs"
    RUNTIME_PERFORMANCE = "runtime_performance", "Runtime performance"
    WASM_SIZE = "wasm_size", "Wasm size"
    PRAISE = "praise", "Praise"
    OTHER = "other", "Other"


class FeedbackItem(models.Model):
    source = models.CharField(max_length=10, choices=FeedbackSource.choices)
    # Unique per source: a Discord message id, "owner/repo#123" or a comment id, the shim's
    # "<installation id>:<client id>", the web form's signed submission id. Re-sending or editing updates the row.
    external_id = models.CharField(max_length=200)
    # The author: the participant when the source knows who it is, else only the handle they showed.
    participant = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.CASCADE, related_name="feedback_items"
    )
    author_handle = models.CharField(max_length=100, blank=True)
    # Shim feedback belongs to its installation: an opt-out (installation deleted) deletes it.
    installation = models.ForeignKey(
        Installation, null=True, blank=True, on_delete=models.CASCADE, related_name="feedback_items"
    )
    text = models.TextField()
    # sha256 of `text`; the score belongs to the text whose hash is in `scored_text_hash`.
    text_hash = models.CharField(max_length=64, editable=False)
    url = models.URLField(max_length=500, blank=True)
    # When the person wrote it (the message's own time for Discord / GitHub), when Pitwall first got it.
    created_at = models.DateTimeField(db_index=True)
    received_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    # Where the rollout stood when it was sent: the author's ring ("" when the author is unknown) and the
    # fast-mode phase key ("" before the rollout started). Kept as they were, never recomputed.
    ring = models.CharField(max_length=10, blank=True)
    phase = models.CharField(max_length=20, blank=True)
    # Sentiment: empty until the scoring task has run; an edit keeps the old score until the new one is written.
    label = models.CharField(max_length=10, choices=SentimentLabel.choices, blank=True)
    score = models.FloatField(null=True, blank=True)
    scorer_version = models.CharField(max_length=40, blank=True)
    scored_text_hash = models.CharField(max_length=64, blank=True, editable=False)
    scored_at = models.DateTimeField(null=True, blank=True)
    # Scores written: 1 after the first, one more per edit or new scorer version. A redelivered task that finds
    # the score current writes nothing, so a count above that shows an effect applied twice.
    score_count = models.PositiveIntegerField(default=0, editable=False)
    triage_state = models.CharField(max_length=10, choices=TriageState.choices, default=TriageState.NEW)
    maintainer_note = models.TextField(blank=True)
    triaged_at = models.DateTimeField(null=True, blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="feedback_item_unique_external_id"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=-1.0, score__lte=1.0),
                name="feedback_item_score_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(external_id=""), name="feedback_item_external_id_not_empty"
            ),
        ]
        indexes = [
            # The inbox (newest first, by triage state) and the sentiment questions (per ring and phase, by label).
            models.Index(fields=["triage_state", "-created_at"], name="feedback_triage_created"),
            models.Index(fields=["ring", "phase", "created_at"], name="feedback_ring_phase_created"),
            models.Index(fields=["label", "created_at"], name="feedback_label_created"),
        ]

    def __str__(self) -> str:
        # No text and no external id: this shows up in the audit log, which must not keep personal data.
        return f"feedback #{self.pk} ({self.source})"

    @property
    def author_display(self) -> str:
        if self.participant is not None:
            return self.participant.handle
        if self.author_handle:
            return self.author_handle
        if self.installation_id is not None:
            return f"installation {str(self.installation_id)[:8]}"
        return "anonymous"

    @property
    def is_scored(self) -> bool:
        return bool(self.label)


class FeedbackTopic(models.Model):
    """One topic of one item: a row per (item, topic), so filtering and counting by topic is a plain join and
    GROUP BY on SQLite and PostgreSQL alike (a JSON list would need backend-specific lookups)."""

    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="topic_rows")
    topic = models.CharField(max_length=30, choices=Topic.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "topic"], name="feedback_topic_unique_per_item"),
        ]
        indexes = [models.Index(fields=["topic", "item"], name="feedback_topic_topic_item")]

    def __str__(self) -> str:
        return self.topic
