"""What the bots keep: every GitHub webhook delivery (once, by its delivery id) and the sync state of the GitHub
backfill and of the published rollout report.

Invariants live here (constraints); writes are in services.py, reads in selectors.py.
"""

from django.db import models
from django.db.models import Q


class DeliveryOutcome(models.TextChoices):
    # Stored, its processing task queued (or running, or retrying).
    PENDING = "pending", "Pending"
    # Processed: feedback stored, updated or deleted.
    PROCESSED = "processed", "Processed"
    # Acknowledged and deliberately not processed (event not used, bot sender, other repository, no label...).
    IGNORED = "ignored", "Ignored"
    # Processing failed for good (bad data); transient errors stay pending and are retried.
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One GitHub webhook delivery, stored before it is acknowledged so a crash after the answer loses nothing.

    `payload` is the parsed body for deliveries that are processed; deliveries ignored at the door keep `{}`
    (their event, action and reason are enough to answer "what did GitHub send?" without storing every push).
    """

    delivery_id = models.CharField(max_length=64, unique=True)
    # SHA-256 of the signed body. The signature covers the body only, not the X-GitHub-Delivery header, so a
    # captured request replayed under a new delivery id is recognised by its body (null for older rows).
    body_sha256 = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    event = models.CharField(max_length=50)
    action = models.CharField(max_length=50, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=DeliveryOutcome.choices, default=DeliveryOutcome.PENDING)
    # Why it was ignored, what it did, or the error that failed it (never a token).
    detail = models.CharField(max_length=300, blank=True)
    # Processing runs that finished: the one that did the work, plus one per error noted. A run whose worker died
    # rolled back and is not counted; a redelivered run that finds the delivery done changes nothing.
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="pending", processed_at__isnull=True)
                | (~Q(outcome="pending") & Q(processed_at__isnull=False)),
                name="webhook_delivery_processed_at_iff_done",
            ),
        ]
        indexes = [
            # The sweeper (pending deliveries whose task was lost) and the retention purge.
            models.Index(fields=["outcome", "received_at"], name="bots_delivery_outcome_recv"),
        ]

    def __str__(self) -> str:
        label = f"{self.event}.{self.action}" if self.action else self.event
        return f"{label} {self.delivery_id} ({self.outcome})"


class SyncState(models.Model):
    """A named bookmark of a bot: the backfill watermark per repository, the published report comment."""

    key = models.CharField(max_length=200, unique=True)
    # Backfill: items updated at or after this were not yet seen.
    watermark = models.DateTimeField(null=True, blank=True)
    # Report publisher: the tracking-issue comment (GitHub) and who wrote it (our bot's login).
    external_id = models.CharField(max_length=100, blank=True)
    author_login = models.CharField(max_length=100, blank=True)
    # Report publisher: sha256 of the report last published, so an unchanged report is not published again.
    content_hash = models.CharField(max_length=64, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key
