"""Rollout data: features and their Unleash-shaped strategies, phases, people, installations, enrollment, audit.

Invariants live here (constraints); behaviour lives in services.py (writes) and selectors.py (reads).
"""

import secrets
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from rollout.codes import display_code


def _new_salt() -> str:
    return secrets.token_hex(8)


class Ring(models.TextChoices):
    BETA = "beta", "Beta"
    PREVIEW = "preview", "Community preview"
    GENERAL = "general", "General"


class EnrollmentRing(models.TextChoices):
    BETA = "beta", "Beta"
    PREVIEW = "preview", "Community preview"


class EnrollmentSource(models.TextChoices):
    WEB = "web", "Web"
    DISCORD = "discord", "Discord"
    SHIM = "shim", "Shim"
    GITHUB = "github", "GitHub"


class PhaseKey(models.TextChoices):
    BETA = "beta", "Beta"
    PREVIEW = "preview", "Community preview"
    GA = "ga", "General availability"


class Feature(models.Model):
    key = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    # The kill switch: off means off for everyone, whatever the strategies say.
    enabled = models.BooleanField(default=True)
    # Used as the bucketing groupId, so renaming a feature never reshuffles who is in a percentage.
    salt = models.CharField(max_length=32, default=_new_salt, editable=False)
    # Feature-level variants (Unleash shape): [{"name", "weight", "stickiness", "payload", "overrides"}].
    variants = models.JSONField(default=list, blank=True)
    # Dependent features (Unleash shape): [{"feature", "enabled", "variants"}].
    dependencies = models.JSONField(default=list, blank=True)
    current_phase = models.ForeignKey(
        "Phase", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class Segment(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    constraints = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StrategyName(models.TextChoices):
    DEFAULT = "default", "Default (everyone)"
    FLEXIBLE_ROLLOUT = "flexibleRollout", "Gradual rollout"
    USER_WITH_ID = "userWithId", "User ids"
    REMOTE_ADDRESS = "remoteAddress", "IP addresses"
    APPLICATION_HOSTNAME = "applicationHostname", "Hostnames"
    GRADUAL_ROLLOUT_USER_ID = "gradualRolloutUserId", "Gradual rollout by user id (legacy)"
    GRADUAL_ROLLOUT_SESSION_ID = "gradualRolloutSessionId", "Gradual rollout by session id (legacy)"
    GRADUAL_ROLLOUT_RANDOM = "gradualRolloutRandom", "Random rollout (legacy)"


class Strategy(models.Model):
    feature = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="strategies")
    sort_order = models.PositiveIntegerField(default=0)
    name = models.CharField(
        max_length=40, choices=StrategyName.choices, default=StrategyName.FLEXIBLE_ROLLOUT
    )
    title = models.CharField(max_length=200, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    constraints = models.JSONField(default=list, blank=True)
    variants = models.JSONField(default=list, blank=True)
    segments = models.ManyToManyField(Segment, blank=True, related_name="strategies")
    disabled = models.BooleanField(default=False)
    # Strategies written by a phase template are replaced on the next phase move; hand-made ones are kept.
    from_phase_template = models.BooleanField(default=False)

    class Meta:
        ordering = ["feature", "sort_order", "id"]
        verbose_name_plural = "strategies"

    def __str__(self) -> str:
        return f"{self.feature.key} #{self.sort_order} {self.name}"


def default_gate_thresholds() -> dict[str, Any]:
    """The plan's targets; the reports app evaluates gates against these (editable per phase in the admin)."""
    return {
        "rebuild_p50_ms_max": 10_000,
        "size_bucket": "medium",
        "improvement_min": 0.50,
        "hot_reload_success_min": 0.90,
        "failure_rate_max_delta": 0.0,
        "net_sentiment_min": 0.0,
        "min_builds": 200,
        "min_installations": 20,
        "min_feedback_items": 10,
    }


class Phase(models.Model):
    feature = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="phases")
    key = models.CharField(max_length=20, choices=PhaseKey.choices)
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    # Strategy template: installations whose ring is listed get the feature; `rollout_percentage` of everyone
    # else gets it too (GA = 100).
    rings = models.JSONField(default=list, blank=True)
    rollout_percentage = models.PositiveSmallIntegerField(default=0)
    gate_thresholds = models.JSONField(default=default_gate_thresholds, blank=True)

    class Meta:
        ordering = ["feature", "order"]
        constraints = [
            models.UniqueConstraint(fields=["feature", "key"], name="phase_unique_key_per_feature"),
            models.UniqueConstraint(fields=["feature", "order"], name="phase_unique_order_per_feature"),
            models.CheckConstraint(condition=Q(rollout_percentage__lte=100), name="phase_percentage_max_100"),
        ]

    def __str__(self) -> str:
        return f"{self.feature.key}: {self.name}"


class PhaseTransition(models.Model):
    feature = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="transitions")
    from_phase = models.ForeignKey(Phase, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    to_phase = models.ForeignKey(Phase, on_delete=models.PROTECT, related_name="+")
    actor = models.CharField(max_length=200)
    reason = models.TextField()
    strategies_before = models.JSONField(default=list)
    strategies_after = models.JSONField(default=list)
    gate_snapshot = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.feature_id}: {self.from_phase_id} -> {self.to_phase_id}"


class Participant(models.Model):
    """A person taking part: known by a Discord id, a GitHub login or only a handle they chose."""

    handle = models.CharField(max_length=80)
    discord_id = models.CharField(max_length=32, null=True, blank=True, unique=True)
    github_login = models.CharField(max_length=39, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.handle


class Installation(models.Model):
    """One shim on one machine. Anonymous: a random id, a hashed token, bucketed platform facts."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    participant = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="installations"
    )
    # Computed by the services from enrollment; never taken from the client.
    ring = models.CharField(max_length=10, choices=Ring.choices, default=Ring.GENERAL, db_index=True)
    telemetry_consent = models.BooleanField(default=False)
    consent_version = models.CharField(max_length=20, blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)
    os = models.CharField(max_length=10, blank=True)
    arch = models.CharField(max_length=20, blank=True)
    shim_version = models.CharField(max_length=40, blank=True)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.id)


class Enrollment(models.Model):
    """A participant's (or an installation's own) membership of a ring, with when it started and ended."""

    participant = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.CASCADE, related_name="enrollments"
    )
    installation = models.ForeignKey(
        Installation, null=True, blank=True, on_delete=models.CASCADE, related_name="enrollments"
    )
    ring = models.CharField(max_length=10, choices=EnrollmentRing.choices)
    source = models.CharField(max_length=10, choices=EnrollmentSource.choices)
    consent_text_version = models.CharField(max_length=20)
    joined_at = models.DateTimeField(auto_now_add=True)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-joined_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(participant__isnull=False) ^ Q(installation__isnull=False),
                name="enrollment_has_exactly_one_member",
            ),
            models.UniqueConstraint(
                fields=["participant"],
                condition=Q(left_at__isnull=True, participant__isnull=False),
                name="enrollment_one_active_per_participant",
            ),
            models.UniqueConstraint(
                fields=["installation"],
                condition=Q(left_at__isnull=True, installation__isnull=False),
                name="enrollment_one_active_per_installation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ring} via {self.source} ({'active' if self.left_at is None else 'left'})"

    @property
    def is_active(self) -> bool:
        return self.left_at is None


class EnrollmentCode(models.Model):
    """Short, single-use, expiring code that links a web/Discord enrollment to an installation.

    Stored only as a keyed digest (rollout.codes.hash_code): the code is shown once, when it is issued.
    """

    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="codes")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        Installation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # The code itself, on the instance that issued it only; never saved.
    plaintext = ""

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        """XXXX-XXXX on the instance that issued it; a mask anywhere else (the database has only a digest)."""
        return display_code(self.plaintext) if self.plaintext else "****-****"


class FlagsState(models.Model):
    """One row: the flag configuration version every process compares its in-memory snapshot with."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    version = models.PositiveBigIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"flags v{self.version}"


class AuditEvent(models.Model):
    actor = models.CharField(max_length=200)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_repr}"
