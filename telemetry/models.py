"""Telemetry data: raw events (the source of truth) and their rollups (what questions are answered from).

Raw events belong to an installation and go with it (opt-out cascades). Rollups have no installation link: they
keep counts, sums and histograms only, and stay when raw events are pruned or deleted.
Unknown values (the contract's nulls) are stored as "" in string columns.
"""

from django.db import models
from django.db.models import Q

from rollout.models import Installation


class BuildEvent(models.Model):
    """One build, watch rebuild, hot-reload cycle or bench run, exactly as the shim sent it (TELEMETRY.md v1)."""

    event_id = models.UUIDField(primary_key=True)  # made by the shim: the idempotency key
    installation = models.ForeignKey(Installation, on_delete=models.CASCADE, related_name="build_events")
    received_at = models.DateTimeField()  # the service's clock, stamped at ingest
    occurred_at = models.DateTimeField()  # the user's clock
    day = models.DateField()  # occurred_at's UTC date: the rollup day
    session_id = models.UUIDField()
    feature = models.CharField(max_length=100)
    ring = models.CharField(max_length=10)  # the installation's ring at ingest, never the client's word
    kind = models.CharField(max_length=12)
    command = models.CharField(max_length=12)
    mode = models.CharField(max_length=8)
    variant = models.CharField(max_length=64, blank=True)
    profile = models.CharField(max_length=8)
    outcome = models.CharField(max_length=12)
    duration_ms = models.IntegerField()
    # env
    shim_version = models.CharField(max_length=64, blank=True)
    cargo_leptos_version = models.CharField(max_length=64, blank=True)
    rustc_version = models.CharField(max_length=64, blank=True)
    leptos_version = models.CharField(max_length=64, blank=True)
    toolchain = models.CharField(max_length=8, blank=True)
    os = models.CharField(max_length=8, blank=True)
    arch = models.CharField(max_length=20, blank=True)
    cpu_count = models.SmallIntegerField(null=True, blank=True)
    memory_gb = models.SmallIntegerField(null=True, blank=True)
    size_bucket = models.CharField(max_length=8, blank=True)
    package_count = models.IntegerField(null=True, blank=True)
    workspace_members = models.IntegerField(null=True, blank=True)
    linker = models.CharField(max_length=32, blank=True)
    # build / rebuild
    incremental = models.BooleanField(null=True, blank=True)
    crates_compiled = models.IntegerField(null=True, blank=True)
    phase_server_ms = models.IntegerField(null=True, blank=True)
    phase_front_ms = models.IntegerField(null=True, blank=True)
    phase_wasm_bindgen_ms = models.IntegerField(null=True, blank=True)
    phase_wasm_opt_ms = models.IntegerField(null=True, blank=True)
    phase_style_ms = models.IntegerField(null=True, blank=True)
    phase_other_ms = models.IntegerField(null=True, blank=True)
    # hot_reload
    trigger = models.CharField(max_length=8, blank=True)
    patch_sent = models.BooleanField(null=True, blank=True)
    time_to_patch_ms = models.IntegerField(null=True, blank=True)
    time_to_reload_ms = models.IntegerField(null=True, blank=True)
    # bench
    scenario = models.CharField(max_length=32, blank=True)
    run = models.SmallIntegerField(null=True, blank=True)

    class Meta:
        indexes = [
            # retention prunes by receive time
            models.Index(fields=["received_at"], name="telemetry_event_received"),
            # rebuilds read a day at a time; raw answers filter by day range and kind first
            models.Index(fields=["day", "kind"], name="telemetry_event_day_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_id}"


class Rollup(models.Model):
    """Measures of the events of one day and one combination of dimensions (see telemetry.rollups).

    Histograms are telemetry.histogram byte strings (sorted uint16 bucket / uint32 count pairs).
    """

    key_digest = models.CharField(max_length=32, unique=True)  # digest of every column up to `version`
    grouping = models.CharField(max_length=20)
    day = models.DateField()
    feature = models.CharField(max_length=100)
    ring = models.CharField(max_length=10, blank=True)
    mode = models.CharField(max_length=8, blank=True)
    variant = models.CharField(max_length=64, blank=True)
    size_bucket = models.CharField(max_length=8, blank=True)
    command = models.CharField(max_length=12, blank=True)
    kind = models.CharField(max_length=12, blank=True)
    os = models.CharField(max_length=8, blank=True)
    toolchain = models.CharField(max_length=8, blank=True)
    profile = models.CharField(max_length=8, blank=True)
    component = models.CharField(max_length=16, blank=True)
    version = models.CharField(max_length=64, blank=True)

    events = models.BigIntegerField(default=0)
    successes = models.BigIntegerField(default=0)
    failures = models.BigIntegerField(default=0)
    interrupted = models.BigIntegerField(default=0)
    duration_sum_ms = models.BigIntegerField(default=0)
    duration_hist = models.BinaryField(default=b"")
    phase_events = models.BigIntegerField(default=0)
    phase_server_ms = models.BigIntegerField(default=0)
    phase_front_ms = models.BigIntegerField(default=0)
    phase_wasm_bindgen_ms = models.BigIntegerField(default=0)
    phase_wasm_opt_ms = models.BigIntegerField(default=0)
    phase_style_ms = models.BigIntegerField(default=0)
    phase_other_ms = models.BigIntegerField(default=0)
    patch_sent = models.BigIntegerField(default=0)
    patch_hist = models.BinaryField(default=b"")
    reload_hist = models.BinaryField(default=b"")

    class Meta:
        indexes = [
            models.Index(fields=["grouping", "kind", "day"], name="telemetry_rollup_kind_day"),
            models.Index(fields=["grouping", "day"], name="telemetry_rollup_day"),
            models.Index(fields=["grouping", "component", "version", "day"], name="telemetry_rollup_version"),
            # `full` answers the questions that combine dimensions no smaller grouping has: one index per
            # dimension lets PostgreSQL AND them (bitmap scans) instead of reading every row of the window.
            *(
                models.Index(fields=[dimension, "day"], condition=Q(grouping="full"),
                             name=f"telemetry_full_{dimension[:12]}")
                for dimension in ("ring", "variant", "size_bucket", "command", "os", "toolchain")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grouping} {self.day} {self.kind} {self.mode}"


class PendingRollup(models.Model):
    """A committed batch whose new events are not in the rollups yet (see telemetry.services, "Rollup strategy").

    Written in the ingest's transaction, consumed - rollups added and row deleted - in one transaction by the
    rollup task, so each event is added exactly once. Holds only the events' random ids, packed (16 bytes each).
    """

    event_ids = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"pending rollup #{self.pk} ({len(self.event_ids) // 16} events)"
