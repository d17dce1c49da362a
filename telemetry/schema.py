"""The wire contract (../shared/TELEMETRY.md v1) as msgspec Structs, and batch parsing (pure: no Django import).

Every field is whitelisted: unknown fields, over-long strings, out-of-range numbers and wrong enums are refused,
per event, so one bad event never sinks the batch. Fields a shim does not know send null (the shim sends every
`env` key, with null when it cannot tell); null is kept as "unknown".
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final, Literal

import msgspec

SCHEMA_VERSION: Final = 1
MAX_EVENTS: Final = 1000
MAX_DURATION_MS: Final = 86_400_000

Kind = Literal["build", "rebuild", "hot_reload", "bench"]
Command = Literal["build", "watch", "serve", "test", "end-to-end"]
Mode = Literal["fast", "normal"]
Profile = Literal["dev", "release"]
Outcome = Literal["success", "failure", "interrupted"]
Toolchain = Literal["stable", "beta", "nightly"]
Os = Literal["linux", "macos", "windows", "other"]
SizeBucket = Literal["small", "medium", "large"]
Trigger = Literal["view", "rust", "style", "asset"]
Scenario = Literal["cold", "incremental_touch_lib", "incremental_touch_view", "style_only"]

KINDS: Final = ("build", "rebuild", "hot_reload", "bench")
COMMANDS: Final = ("build", "watch", "serve", "test", "end-to-end")
MODES: Final = ("fast", "normal")
PROFILES: Final = ("dev", "release")
OUTCOMES: Final = ("success", "failure", "interrupted")
TOOLCHAINS: Final = ("stable", "beta", "nightly")
OSES: Final = ("linux", "macos", "windows", "other")
SIZE_BUCKETS: Final = ("small", "medium", "large")
PHASES: Final = ("server", "front", "wasm_bindgen", "wasm_opt", "style", "other")

# Patterns end in \Z, not $: Python's $ also matches before a final newline ("mold\n" would pass), and its \d is
# any Unicode digit. The OpenAPI document shows them with $ (telemetry.api._openapi), which ECMA reads as \Z.
SEMVER_PATTERN: Final = r"^[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6}(-[0-9A-Za-z.-]{1,40})?(\+[0-9A-Za-z.-]{1,40})?\Z"
Semver = Annotated[str, msgspec.Meta(max_length=64, pattern=SEMVER_PATTERN)]
DurationMs = Annotated[int, msgspec.Meta(ge=1, le=MAX_DURATION_MS)]
PhaseMs = Annotated[int, msgspec.Meta(ge=0, le=MAX_DURATION_MS)]
Count = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
# A settings variant's name, as the flag payload gave it: printable, no control characters.
Variant = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+\Z")]
# A linker's name ("mold", "ld.lld", "rust-lld"), never a path.
Linker = Annotated[str, msgspec.Meta(max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]*\Z")]
Arch = Annotated[str, msgspec.Meta(max_length=20, pattern=r"^[A-Za-z0-9_]+\Z")]


class Env(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    shim_version: Semver | None = None
    cargo_leptos_version: Semver | None = None
    rustc_version: Semver | None = None
    leptos_version: Semver | None = None
    toolchain: Toolchain | None = None
    os: Os | None = None
    arch: Arch | None = None
    cpu_count: Annotated[int, msgspec.Meta(ge=1, le=1024)] | None = None
    memory_gb: Literal[4, 8, 16, 32, 64, 128] | None = None
    size_bucket: SizeBucket | None = None
    package_count: Count | None = None
    workspace_members: Count | None = None
    linker: Linker | None = None


class Phases(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    server: PhaseMs | None = None
    front: PhaseMs | None = None
    wasm_bindgen: PhaseMs | None = None
    wasm_opt: PhaseMs | None = None
    style: PhaseMs | None = None
    other: PhaseMs | None = None


class _Event(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True, tag_field="kind"):
    event_id: uuid.UUID
    occurred_at: datetime
    session_id: uuid.UUID
    command: Command
    mode: Mode
    variant: Variant | None = None
    profile: Profile
    outcome: Outcome
    duration_ms: DurationMs
    env: Env


class BuildEvent(_Event, tag="build", frozen=True):
    incremental: bool | None = None
    phases_ms: Phases | None = None
    crates_compiled: Count | None = None


class RebuildEvent(_Event, tag="rebuild", frozen=True):
    incremental: bool | None = None
    phases_ms: Phases | None = None
    crates_compiled: Count | None = None


class HotReloadEvent(_Event, tag="hot_reload", frozen=True):
    trigger: Trigger | None = None
    patch_sent: bool | None = None
    time_to_patch_ms: PhaseMs | None = None
    time_to_reload_ms: PhaseMs | None = None


class BenchEvent(_Event, tag="bench", frozen=True):
    scenario: Scenario | None = None
    run: Annotated[int, msgspec.Meta(ge=1, le=1000)] | None = None


Event = BuildEvent | RebuildEvent | HotReloadEvent | BenchEvent


class _Envelope(msgspec.Struct, forbid_unknown_fields=True):
    schema: int
    events: list[msgspec.Raw]


class _EventId(msgspec.Struct):
    event_id: Any = None


@dataclass(frozen=True)
class Rejection:
    index: int
    event_id: str | None
    errors: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "event_id": self.event_id, "errors": self.errors}


@dataclass(frozen=True)
class ParsedBatch:
    events: list[Event]
    # position of each parsed event in the request (rejections report theirs)
    indexes: list[int]
    rejected: list[Rejection]


class BatchError(Exception):
    """The body as a whole is unusable (not a batch, wrong schema, too many events): nothing is stored."""

    def __init__(self, message: str, *, code: str, too_large: bool = False,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.too_large = too_large
        self.details = details or {}


_ERROR_PATH = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_NAMED_FIELD = re.compile(r"(?:missing required|unknown) field `(?P<name>[^`]+)`")


def error_field(error: msgspec.ValidationError | msgspec.DecodeError) -> tuple[str, str]:
    """(field path like "env.os" or "event", message) from a msgspec error."""
    found = _ERROR_PATH.match(str(error))
    assert found is not None
    message = found.group("message")
    path = (found.group("path") or "").lstrip(".")
    path = re.sub(r"\[(\d+)\]", r".\1", path)
    named = _NAMED_FIELD.search(message)
    if named:
        path = f"{path}.{named.group('name')}" if path else named.group("name")
    return path or "event", message


def _event_id_of(raw: msgspec.Raw) -> str | None:
    try:
        candidate = msgspec.json.decode(raw, type=_EventId).event_id
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    return candidate[:64] if isinstance(candidate, str) else None


def check_event(event: Event, *, received_at: datetime, max_age: timedelta,
                max_skew: timedelta) -> dict[str, str]:
    """Checks no type can express: the event's own clock within reason."""
    errors: dict[str, str] = {}
    occurred = event.occurred_at.astimezone(UTC)
    if occurred < received_at - max_age:
        errors["occurred_at"] = f"Older than {max_age.days} days: the shim keeps events 14 days at most."
    elif occurred > received_at + max_skew:
        errors["occurred_at"] = "In the future (beyond the allowed clock skew)."
    return errors


def parse_batch(body: bytes, *, received_at: datetime, max_age: timedelta = timedelta(days=30),
                max_skew: timedelta = timedelta(days=1)) -> ParsedBatch:
    """Decode a batch body; raise BatchError when the body as a whole is refused."""
    try:
        envelope = msgspec.json.decode(body, type=_Envelope)
    except msgspec.ValidationError as exc:
        field, message = error_field(exc)
        raise BatchError("The body is not a telemetry batch.", code="malformed_batch",
                         details={field if field != "event" else "body": message}) from exc
    except msgspec.DecodeError as exc:
        raise BatchError("The body is not valid JSON.", code="malformed_json", details={"body": str(exc)}) from exc
    if envelope.schema != SCHEMA_VERSION:
        raise BatchError(f"Unsupported schema {envelope.schema}; this service speaks schema {SCHEMA_VERSION}.",
                         code="unsupported_schema", details={"schema": f"expected {SCHEMA_VERSION}"})
    if len(envelope.events) > MAX_EVENTS:
        raise BatchError(f"At most {MAX_EVENTS} events per batch.", code="too_many_events", too_large=True,
                         details={"events": f"{len(envelope.events)} > {MAX_EVENTS}"})
    events: list[Event] = []
    indexes: list[int] = []
    rejected: list[Rejection] = []
    for index, raw in enumerate(envelope.events):
        try:
            event: Event = msgspec.json.decode(raw, type=Event)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            field, message = error_field(exc)
            rejected.append(Rejection(index, _event_id_of(raw), {field: message}))
            continue
        errors = check_event(event, received_at=received_at, max_age=max_age, max_skew=max_skew)
        if errors:
            rejected.append(Rejection(index, str(event.event_id), errors))
            continue
        events.append(event)
        indexes.append(index)
    return ParsedBatch(events=events, indexes=indexes, rejected=rejected)
