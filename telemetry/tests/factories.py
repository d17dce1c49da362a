"""Contract-shaped events (TELEMETRY.md v1) for the tests, and a hypothesis strategy for them."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def env(**overrides: Any) -> dict[str, Any]:
    return {
        "shim_version": "0.1.0",
        "cargo_leptos_version": "0.2.22",
        "rustc_version": "1.84.0",
        "leptos_version": "0.7.4",
        "toolchain": "stable",
        "os": "linux",
        "arch": "x86_64",
        "cpu_count": 8,
        "memory_gb": 16,
        "size_bucket": "medium",
        "package_count": 250,
        "workspace_members": 2,
        "linker": None,
        **overrides,
    }


def wire_event(kind: str = "rebuild", *, env_overrides: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "kind": kind,
        "occurred_at": rfc3339(datetime.now(UTC) - timedelta(minutes=5)),
        "session_id": str(uuid.uuid4()),
        "command": "watch",
        "mode": "fast",
        "variant": "builtin-default",
        "profile": "dev",
        "outcome": "success",
        "duration_ms": 9000,
        "env": env(**(env_overrides or {})),
    }
    if kind in ("build", "rebuild"):
        event.update(incremental=True, crates_compiled=3,
                     phases_ms={"server": 6000, "front": 2500, "wasm_bindgen": 300, "style": 100, "other": 100})
    elif kind == "hot_reload":
        event.update(trigger="view", patch_sent=True, time_to_patch_ms=300, time_to_reload_ms=800)
    elif kind == "bench":
        event.update(scenario="incremental_touch_view", run=1)
    event.update(overrides)
    return event


@st.composite
def wire_events(draw: st.DrawFn) -> dict[str, Any]:
    """Any valid event: every kind, mode, outcome and a wide range of durations, within the last two weeks."""
    kind = draw(st.sampled_from(["build", "rebuild", "hot_reload", "bench"]))
    ago = draw(st.integers(min_value=0, max_value=14 * 86_400))
    event = wire_event(
        kind,
        event_id=str(uuid.UUID(int=draw(st.integers(min_value=0, max_value=2**128 - 1)))),
        occurred_at=rfc3339(datetime.now(UTC) - timedelta(seconds=ago)),
        mode=draw(st.sampled_from(["fast", "normal"])),
        variant=draw(st.sampled_from([None, "builtin-default", "fast-linker"])),
        outcome=draw(st.sampled_from(["success", "success", "failure", "interrupted"])),
        duration_ms=draw(st.integers(min_value=1, max_value=86_400_000)),
        command=draw(st.sampled_from(["watch", "build", "serve"])),
        env_overrides={
            "os": draw(st.sampled_from(["linux", "macos", "windows", None])),
            "size_bucket": draw(st.sampled_from(["small", "medium", "large", None])),
            "cargo_leptos_version": draw(st.sampled_from(["0.2.21", "0.2.22", None])),
        },
    )
    if kind == "hot_reload":
        event["time_to_patch_ms"] = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=600_000)))
    return event
