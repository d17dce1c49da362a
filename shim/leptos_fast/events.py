"""Telemetry events (TELEMETRY.md v1): common fields around a measurement from the tracker or the bench."""

from __future__ import annotations

import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

KINDS = ("build", "rebuild", "hot_reload", "bench")
COMMON_FIELDS = (
    "event_id",
    "kind",
    "occurred_at",
    "session_id",
    "command",
    "mode",
    "variant",
    "profile",
    "outcome",
    "duration_ms",
    "env",
)
KIND_FIELDS = {
    "build": ("incremental", "phases_ms", "crates_compiled"),
    "rebuild": ("incremental", "phases_ms", "crates_compiled"),
    "hot_reload": ("trigger", "patch_sent", "time_to_patch_ms", "time_to_reload_ms"),
    "bench": ("scenario", "run"),
}
ENV_FIELDS = (
    "shim_version",
    "cargo_leptos_version",
    "rustc_version",
    "leptos_version",
    "toolchain",
    "os",
    "arch",
    "cpu_count",
    "memory_gb",
    "size_bucket",
    "package_count",
    "workspace_members",
    "linker",
)


def new_uuid() -> str:
    """A random (version 4) UUID without importing `uuid`, which is slow to import."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def rfc3339(epoch: float) -> str:
    whole = int(epoch)
    millis = min(999, round((epoch - whole) * 1000))
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"


class EventContext:
    """What every event of one shim process shares."""

    def __init__(
        self, *, command: str, mode: str, variant: str | None, profile: str, env: dict[str, Any] | None = None
    ) -> None:
        self.session_id = new_uuid()
        self.command = command
        self.mode = mode
        self.variant = variant
        self.profile = profile
        self.env: dict[str, Any] = {} if env is None else env

    def make(self, measurement: dict[str, Any]) -> dict[str, Any]:
        """An event with exactly the contract's fields: anything else in `measurement` is dropped."""
        kind = measurement["kind"]
        event: dict[str, Any] = {
            "event_id": new_uuid(),
            "kind": kind,
            "occurred_at": rfc3339(measurement.get("at", time.time())),
            "session_id": self.session_id,
            "command": self.command,
            "mode": self.mode,
            "variant": self.variant,
            "profile": self.profile,
            "outcome": measurement["outcome"],
            "duration_ms": int(measurement["duration_ms"]),
            "env": {key: self.env.get(key) for key in ENV_FIELDS},
        }
        for field in KIND_FIELDS[kind]:
            if field in measurement:
                event[field] = measurement[field]
        return event
