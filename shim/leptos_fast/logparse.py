"""Reading cargo-leptos's log: which lines mean what, and how they add up to builds, rebuilds and reloads.

cargo-leptos logs to stderr with the first word padded to 12 columns and ANSI colours (sometimes OSC-8
links); cargo's own lines (`Compiling`, `Finished ... in 1m 05s`) pass through it. Lines are matched after
stripping escape sequences, by search rather than by position, and an unknown or changed line is simply not
recognised: parsing never fails. The tracker is pure: it takes (monotonic time, text) and hands plain dicts
to `emit`."""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

    Emit = Callable[[dict[str, Any]], None]


class _Pattern:
    """A regex behind a cheap substring test, compiled on first real use: most lines match nothing, and a
    run that prints nothing (or a shim start) never pays for compiling these."""

    def __init__(self, keyword: str, pattern: str) -> None:
        self.keyword = keyword
        self.pattern = pattern
        self.compiled: re.Pattern[str] | None = None

    def regex(self) -> re.Pattern[str]:
        if self.compiled is None:
            self.compiled = re.compile(self.pattern)
        return self.compiled

    def search(self, text: str) -> re.Match[str] | None:
        return self.regex().search(text) if self.keyword in text else None


# CSI (colours, cursor), OSC (incl. OSC-8 hyperlinks, ended by BEL or ST), and two-byte escapes.
_ESCAPES = _Pattern("\x1b", r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")

NOTIFY = _Pattern("Notify", r"\bNotify\s+(lib source|bin source|style|asset)s?\s+change")
WATCH_UPDATED = _Pattern("Watch", r"\bWatch updated\b")
BUILD_FAILED = _Pattern("Build", r"\bBuild failed\b")
INTERRUPTED = _Pattern("Build", r"\bBuild interrupted\b")
PATCHING = _Pattern("Patching", r"\bPatching view\b")
RELOAD_FAILED = _Pattern("Reload", r"\bReload (?:timed out waiting for port|could not send)\b")
FINISHED = _Pattern("Finished", r"^Finished\b.*?\bin\s+(?:(\d+)m\s*)?(\d+(?:\.\d+)?)s\b")
COMPILING = _Pattern("Compiling", r"^Compiling\s+\S+\s+v\d")
CARGO_FINISHED = _Pattern("Cargo", r"^Cargo finished\b")
SERVING = _Pattern(" ", r"\b(?:Serving at|listening on)\b")

# Lines that appear only because the shim added `-v`: hidden again unless the user asked for -v.
VERBOSE_ONLY = (NOTIFY, _Pattern("Running", r"^Running `"), _Pattern("\x20", r"^(?:Fresh|Dirty)\s+\S+\s+v\d"))

_TRIGGERS = {"lib source": "rust", "bin source": "rust", "style": "style", "asset": "asset"}
MAX_DURATION_MS = 86_400_000


def clean(line: str) -> str:
    """The text a person sees: escapes removed, only what the last carriage return left, trimmed."""
    text = line
    if "\x1b" in text:
        text = _ESCAPES.regex().sub("", text)
    if "\r" in text:
        parts = [part for part in text.split("\r") if part.strip()]
        text = parts[-1] if parts else ""
    return text.strip()


def is_verbose_only(text: str) -> bool:
    return any(pattern.search(text) for pattern in VERBOSE_ONLY)


def finished_seconds(text: str) -> float | None:
    """`Finished ... in 12.34s` -> 12.34, `in 1m 05s` -> 65.0."""
    found = FINISHED.search(text)
    if not found:
        return None
    minutes = int(found.group(1)) if found.group(1) else 0
    return minutes * 60 + float(found.group(2))


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


class _Build:
    """One build in progress: the initial one, or a watch cycle."""

    def __init__(
        self, start: float, chain_start: float | None = None, triggers: set[str] | None = None
    ) -> None:
        self.start = start
        self.chain_start = start if chain_start is None else chain_start
        self.triggers: set[str] = set() if triggers is None else set(triggers)
        self.crates = 0
        self.phases: dict[str, int] = {}
        self.last_progress: float | None = None
        self.last_finished_ms: int | None = None
        self.failed = False
        self.reload_failed = False
        self.patched_at: float | None = None
        self.active_since_patch = False


class Tracker:
    """Turns a cargo-leptos log into measurements (`build`, `rebuild`, `hot_reload`)."""

    def __init__(
        self,
        command: str,
        start: float,
        emit: Emit,
        *,
        incremental: bool,
        wall_offset: float = 0.0,
        reload_grace: float = 10.0,
    ) -> None:
        self.command = command
        self.emit = emit
        self.incremental = incremental
        self.wall_offset = wall_offset
        self.reload_grace = reload_grace
        self.initial: _Build | None = _Build(start)
        self.cycle: _Build | None = None
        self.pending_reload: tuple[dict[str, Any], float] | None = None

    # -- input -------------------------------------------------------------------------------------------
    def feed(self, now: float, text: str) -> None:
        if not text:
            return
        if RELOAD_FAILED.search(text):
            self._reload_failed(now)
            return
        notify = NOTIFY.search(text)
        if notify:
            self._change(now, _TRIGGERS[notify.group(1)])
            return
        build = self.cycle or self.initial
        if PATCHING.search(text):
            if self.cycle is None:
                self._close_initial(now)
                self.cycle = _Build(now, triggers={"rust"})
            if self.cycle.patched_at is None:
                self.cycle.patched_at = now
                self.cycle.active_since_patch = False
            return
        if build is None:
            return
        if COMPILING.search(text):
            build.crates += 1
            build.active_since_patch = True
        elif CARGO_FINISHED.search(text):
            phase = "front" if "wasm32" in text else "server"
            if build.last_finished_ms is not None:
                build.phases[phase] = build.phases.get(phase, 0) + build.last_finished_ms
                build.last_finished_ms = None
            build.last_progress = now
        elif FINISHED.search(text):
            seconds = finished_seconds(text)
            build.last_finished_ms = None if seconds is None else _ms(seconds)
            build.last_progress = now
            build.active_since_patch = True
        elif WATCH_UPDATED.search(text):
            self._close(now, "success")
        elif BUILD_FAILED.search(text):
            build.failed = True
            if build is self.cycle or self.command != "build":
                self._close(now, "failure")
        elif INTERRUPTED.search(text):
            self._close(now, "interrupted")
        elif SERVING.search(text) and build is self.initial:
            self._close_initial(now, end=now)

    def tick(self, now: float) -> None:
        """Let time pass: a reload with no complaint within the grace period succeeded."""
        if self.pending_reload is not None and now >= self.pending_reload[1]:
            self._flush_reload()
        cycle = self.cycle
        if (
            cycle is not None
            and cycle.patched_at is not None
            and not cycle.active_since_patch
            and now - cycle.patched_at >= self.reload_grace
        ):
            self._close_patch_only(cycle)

    def next_deadline(self) -> float | None:
        deadlines = []
        if self.pending_reload is not None:
            deadlines.append(self.pending_reload[1])
        if self.cycle is not None and self.cycle.patched_at is not None and not self.cycle.active_since_patch:
            deadlines.append(self.cycle.patched_at + self.reload_grace)
        return min(deadlines) if deadlines else None

    def finish(self, now: float, outcome: str) -> None:
        """The real binary exited (`outcome` from its exit status); close whatever is open."""
        self._flush_reload()
        cycle = self.cycle
        if cycle is not None:
            if cycle.patched_at is not None and not cycle.active_since_patch:
                self._close_patch_only(cycle)
            else:
                self._close_cycle(now, "failure" if cycle.failed else "interrupted", restart=False)
        self._flush_reload()
        initial = self.initial
        if initial is not None:
            if self.command == "build":
                self._emit_build(
                    initial, now, "failure" if initial.failed and outcome == "success" else outcome
                )
                self.initial = None
            elif initial.failed:
                self._close_initial(now, outcome="failure")
            elif initial.last_progress is not None:
                self._close_initial(now, outcome="success")
            elif outcome != "success":
                self._close_initial(now, outcome=outcome, end=now)
            else:
                self.initial = None  # it ran and ended without building anything (help, a quick error...)

    # -- transitions --------------------------------------------------------------------------------------
    def _change(self, now: float, trigger: str) -> None:
        self._close_initial(now)
        self._flush_reload()
        cycle = self.cycle
        if cycle is not None:
            if cycle.patched_at is not None and not cycle.active_since_patch:
                self._close_patch_only(cycle)
                self._flush_reload()  # a new edit began: the patch was delivered without complaint
            else:
                cycle.triggers.add(trigger)  # more edits while building: same cycle (or an interruption)
                return
        self.cycle = _Build(now, triggers={trigger})

    def _close(self, now: float, outcome: str) -> None:
        if self.cycle is not None:
            self._close_cycle(now, outcome, restart=outcome == "interrupted")
        elif self.initial is not None and self.command != "build":
            self._close_initial(now, outcome=outcome, end=now)

    def _close_initial(self, now: float, *, outcome: str | None = None, end: float | None = None) -> None:
        initial = self.initial
        if initial is None:
            return
        self.initial = None
        if outcome is None:
            outcome = "failure" if initial.failed else "success" if initial.last_progress else "interrupted"
        if end is None:
            end = initial.last_progress if initial.last_progress is not None else now
        self._emit_build(initial, end, outcome)

    def _emit_build(self, build: _Build, end: float, outcome: str) -> None:
        measurement = self._measure("build", build, end, outcome)
        measurement["incremental"] = self.incremental
        self._emit(measurement)

    def _close_cycle(self, now: float, outcome: str, *, restart: bool) -> None:
        cycle = self.cycle
        assert cycle is not None
        self.cycle = None
        rust = "rust" in cycle.triggers
        if rust:
            rebuild = self._measure("rebuild", cycle, now, outcome)
            rebuild["incremental"] = True
            self._emit(rebuild)
        if outcome == "interrupted":
            if restart:
                self.cycle = _Build(now, chain_start=cycle.chain_start, triggers=cycle.triggers)
            return
        failed = outcome == "failure" or cycle.reload_failed
        self._hot_reload(cycle, now, failed=failed)

    def _close_patch_only(self, cycle: _Build) -> None:
        assert cycle.patched_at is not None
        self.cycle = None
        self._hot_reload(cycle, cycle.patched_at, failed=cycle.reload_failed)

    def _hot_reload(self, cycle: _Build, end: float, *, failed: bool) -> None:
        if cycle.patched_at is not None:
            trigger = "view"
        elif "rust" in cycle.triggers:
            trigger = "rust"
        elif "style" in cycle.triggers:
            trigger = "style"
        else:
            trigger = "asset"
        total = _ms(end - cycle.chain_start)
        measurement: dict[str, Any] = {
            "kind": "hot_reload",
            "outcome": "failure" if failed else "success",
            "duration_ms": total,
            "at": end + self.wall_offset,
            "trigger": trigger,
            "patch_sent": cycle.patched_at is not None,
            "time_to_patch_ms": None
            if cycle.patched_at is None
            else _ms(cycle.patched_at - cycle.chain_start),
            "time_to_reload_ms": None if failed else total,
        }
        if failed:
            self._emit(measurement)
        else:
            self._flush_reload()
            self.pending_reload = (measurement, end + self.reload_grace)

    def _reload_failed(self, now: float) -> None:
        if self.pending_reload is not None:
            measurement = self.pending_reload[0]
            self.pending_reload = None
            measurement["outcome"] = "failure"
            measurement["time_to_reload_ms"] = None
            self._emit(measurement)
        elif self.cycle is not None:
            self.cycle.reload_failed = True

    def _flush_reload(self) -> None:
        if self.pending_reload is not None:
            measurement = self.pending_reload[0]
            self.pending_reload = None
            self._emit(measurement)

    def _measure(self, kind: str, build: _Build, end: float, outcome: str) -> dict[str, Any]:
        measurement: dict[str, Any] = {
            "kind": kind,
            "outcome": outcome,
            "duration_ms": _ms(end - build.start),
            "at": end + self.wall_offset,
        }
        if build.phases:
            measurement["phases_ms"] = dict(build.phases)
        if build.crates:
            measurement["crates_compiled"] = build.crates
        return measurement

    def _emit(self, measurement: dict[str, Any]) -> None:
        if 1 <= measurement["duration_ms"] <= MAX_DURATION_MS:
            self.emit(measurement)
