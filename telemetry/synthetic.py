"""Synthetic, contract-shaped telemetry with realistic distributions (pure: no Django import).

For the benchmarks (bench/ingest.py, bench/metrics.py), property tests and local demos. Deterministic for a
seed. The shape of the world it simulates:

- installations have a fixed machine (os, arch, cpu, memory, linker), project size and toolchain, a ring
  (beta 12 %, preview 28 %, general 60 %) and a propensity to run fast mode (85 %, 70 %, 15 %);
- tool versions move: each new cargo-leptos / leptos / rustc release is adopted after an exponential delay;
  cargo-leptos 0.2.24 makes rebuilds 12 % slower (a regression the metrics should find);
- durations are log-normal around per-kind medians (rebuild of a medium project: 30 s normal, ~9 s fast),
  scaled by project size, OS, cores, profile and variant; failures, interruptions and hot-reload outcomes
  follow per-mode rates (hot reload: 88 % fast, 62 % normal);
- build phases: the server (compile + link) dominates on Linux without a fast linker; wasm-opt shows up in
  release builds and in the `opt-level-1` variant;
- activity grows over the window (more events in later days).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

FAST_VARIANTS = (("builtin-default", 0.55), ("fast-linker", 0.2), ("opt-level-1", 0.12), ("no-debuginfo", 0.08),
                 (None, 0.05))
VARIANT_SPEED = {"builtin-default": 0.30, "fast-linker": 0.24, "opt-level-1": 0.42, "no-debuginfo": 0.27, None: 0.31}
# (version, release day as a fraction of the window; negative = before it)
RELEASES = {
    "cargo_leptos": (("0.2.20", -1.0), ("0.2.21", -0.4), ("0.2.22", 0.1), ("0.2.24", 0.55)),
    "leptos": (("0.6.15", -1.0), ("0.7.0", -0.5), ("0.7.4", 0.2), ("0.8.0", 0.6)),
    "rustc": (("1.82.0", -1.0), ("1.83.0", -0.3), ("1.84.0", 0.15), ("1.85.0", 0.6)),
}
REGRESSED_CARGO_LEPTOS = "0.2.24"


def _pick(rng: random.Random, weighted: tuple[tuple[Any, float], ...]) -> Any:
    x = rng.random() * sum(w for _, w in weighted)
    for value, weight in weighted:
        x -= weight
        if x < 0:
            return value
    return weighted[-1][0]


def _uuid4(rng: random.Random) -> str:
    text = f"{rng.getrandbits(128) & ~(0xF000 << 64) & ~(0xC000 << 48) | (0x4000 << 64) | (0x8000 << 48):032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


@dataclass
class SyntheticInstallation:
    index: int
    ring: str
    os: str
    arch: str
    toolchain: str
    package_count: int
    workspace_members: int
    cpu_count: int
    memory_gb: int
    linker: str | None
    fast_share: float
    speed: float
    activity: float
    # component -> [(first day offset it is used, version)], ascending
    versions: dict[str, list[tuple[float, str]]] = field(default_factory=dict)

    @property
    def size_bucket(self) -> str:
        return "small" if self.package_count < 150 else "medium" if self.package_count < 400 else "large"

    def version_at(self, component: str, day: float) -> str:
        current = self.versions[component][0][1]
        for since, version in self.versions[component]:
            if since <= day:
                current = version
        return current


def make_installations(count: int, *, days: int, seed: int = 1) -> list[SyntheticInstallation]:
    rng = random.Random(seed)
    installations = []
    for index in range(count):
        ring = _pick(rng, (("beta", 0.12), ("preview", 0.28), ("general", 0.60)))
        os_name = _pick(rng, (("linux", 0.6), ("macos", 0.3), ("windows", 0.08), ("other", 0.02)))
        arch = {"linux": _pick(rng, (("x86_64", 0.85), ("aarch64", 0.15))),
                "macos": _pick(rng, (("aarch64", 0.8), ("x86_64", 0.2)))}.get(os_name, "x86_64")
        linker = {
            "linux": _pick(rng, ((None, 0.55), ("mold", 0.25), ("lld", 0.2))),
            "windows": _pick(rng, ((None, 0.7), ("rust-lld", 0.3))),
        }.get(os_name)
        cpu_count = _pick(rng, ((4, 0.1), (8, 0.3), (10, 0.15), (12, 0.15), (16, 0.2), (24, 0.05), (32, 0.05)))
        installation = SyntheticInstallation(
            index=index,
            ring=ring,
            os=os_name,
            arch=arch,
            toolchain=_pick(rng, (("stable", 0.75), ("nightly", 0.22), ("beta", 0.03))),
            package_count=max(5, int(rng.lognormvariate(math.log(230), 0.6))),
            workspace_members=1 + int(rng.expovariate(0.7)),
            cpu_count=cpu_count,
            memory_gb=_pick(rng, ((8, 0.15), (16, 0.4), (32, 0.3), (64, 0.12), (128, 0.03))),
            linker=linker,
            fast_share={"beta": 0.85, "preview": 0.7, "general": 0.15}[ring],
            speed=rng.lognormvariate(0, 0.3) * (10 / cpu_count) ** 0.3,
            activity=rng.paretovariate(1.6),
        )
        for component, releases in RELEASES.items():
            timeline = []
            for version, at in releases:
                adopted = at * days + rng.expovariate(1 / 10)
                timeline.append((adopted if at >= 0 else -days, version))
            # skipped releases happen: keep the timeline monotonic in time
            timeline.sort()
            installation.versions[component] = timeline
        installations.append(installation)
    return installations


def _rfc3339(moment: datetime) -> str:
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:{moment.minute:02d}:"
            f"{moment.second:02d}.{moment.microsecond // 1000:03d}Z")


def _phases(rng: random.Random, inst: SyntheticInstallation, total: int, variant: str | None,
            profile: str) -> dict[str, int]:
    server = 0.55
    if inst.os == "linux" and inst.linker is None and variant != "fast-linker":
        server += 0.12
    if inst.linker in ("mold", "lld") or variant == "fast-linker":
        server -= 0.1
    wasm_opt = 0.18 if profile == "release" else 0.14 if variant == "opt-level-1" else 0.0
    shares = {
        "server": server * rng.uniform(0.85, 1.15),
        "front": 0.28 * rng.uniform(0.8, 1.2),
        "wasm_bindgen": 0.06 * rng.uniform(0.7, 1.3),
        "wasm_opt": wasm_opt * rng.uniform(0.8, 1.2),
        "style": 0.03 * rng.uniform(0.5, 1.5),
    }
    scale = min(1.0, 0.97 / sum(shares.values()))
    phases = {name: int(total * share * scale) for name, share in shares.items()}
    phases["other"] = max(0, total - sum(phases.values()))
    if phases["wasm_opt"] == 0:
        del phases["wasm_opt"]
    return phases


def generate_events(
    *,
    count: int,
    days: int = 90,
    end: date | None = None,
    installations: list[SyntheticInstallation] | None = None,
    seed: int = 7,
) -> Iterator[tuple[SyntheticInstallation, dict[str, Any]]]:
    """(installation, event) pairs; events are exactly TELEMETRY.md v1, occurred_at as an RFC 3339 string."""
    rng = random.Random(seed)
    end = end or datetime.now(UTC).date()
    start = datetime(end.year, end.month, end.day, tzinfo=UTC) - timedelta(days=days - 1)
    if installations is None:
        installations = make_installations(max(50, count // 2000), days=days, seed=seed)
    cumulative: list[float] = []
    running = 0.0
    for inst in installations:
        running += inst.activity
        cumulative.append(running)
    sessions: dict[int, tuple[str, str, str | None, str]] = {}
    import bisect

    for _ in range(count):
        inst = installations[bisect.bisect_left(cumulative, rng.random() * running)]
        day = days * math.sqrt(rng.random())  # density grows linearly over the window
        moment = start + timedelta(days=day)
        if moment.date() > end:
            moment = start + timedelta(days=days - 1, seconds=rng.randrange(86_400))
        if inst.index not in sessions or rng.random() < 0.05:
            fast = rng.random() < inst.fast_share
            variant = _pick(rng, FAST_VARIANTS) if fast else None
            if variant == "fast-linker" and inst.os != "linux":
                variant = "builtin-default"
            sessions[inst.index] = (_uuid4(rng),
                                    "fast" if fast else "normal", variant,
                                    _pick(rng, (("watch", 0.8), ("serve", 0.08), ("build", 0.07), ("test", 0.04),
                                                ("end-to-end", 0.01))))
        session_id, mode, variant, session_command = sessions[inst.index]
        kind = _pick(rng, (("rebuild", 0.52), ("hot_reload", 0.28), ("build", 0.16), ("bench", 0.04)))
        if session_command != "watch" and kind in ("rebuild", "hot_reload"):
            kind = "build"
        command = session_command if kind != "bench" else "build"
        profile = "release" if kind in ("build", "bench") and rng.random() < 0.15 else "dev"
        cargo_leptos = inst.version_at("cargo_leptos", day)
        rustc = inst.version_at("rustc", day)
        if inst.toolchain != "stable":
            rustc += "-" + inst.toolchain
        speed = inst.speed * {"small": 0.45, "medium": 1.0, "large": 2.2}[inst.size_bucket]
        speed *= {"linux": 1.0, "macos": 0.9, "windows": 1.5, "other": 1.2}[inst.os]
        if mode == "fast":
            speed *= VARIANT_SPEED[variant]
        if profile == "release":
            speed *= 3.5
        event: dict[str, Any] = {
            "event_id": _uuid4(rng),
            "kind": kind,
            "occurred_at": _rfc3339(moment),
            "session_id": session_id,
            "command": command,
            "mode": mode,
            "variant": variant,
            "profile": profile,
            "env": {
                "shim_version": "0.1.0",
                "cargo_leptos_version": cargo_leptos,
                "rustc_version": rustc,
                "leptos_version": inst.version_at("leptos", day),
                "toolchain": inst.toolchain,
                "os": inst.os,
                "arch": inst.arch,
                "cpu_count": inst.cpu_count,
                "memory_gb": inst.memory_gb,
                "size_bucket": inst.size_bucket,
                "package_count": inst.package_count,
                "workspace_members": inst.workspace_members,
                "linker": inst.linker,
            },
        }
        if kind == "hot_reload":
            success = 0.88 if mode == "fast" else 0.62
            roll = rng.random()
            outcome = "interrupted" if roll < 0.03 else "success" if roll < 0.03 + success * 0.97 else "failure"
            trigger = _pick(rng, (("view", 0.55), ("rust", 0.25), ("style", 0.15), ("asset", 0.05)))
            base = (900 if mode == "fast" else 1500) * (6 if trigger == "rust" else 1)
            duration = max(1, int(rng.lognormvariate(math.log(base * inst.speed), 0.5)))
            patch_sent = trigger in ("view", "style") and outcome == "success" and rng.random() < 0.9
            event.update(
                trigger=trigger, patch_sent=patch_sent,
                time_to_patch_ms=int(duration * rng.uniform(0.3, 0.7)) if patch_sent else None,
                time_to_reload_ms=duration if outcome == "success" else None,
            )
        elif kind == "bench":
            scenario = _pick(rng, (("cold", 0.25), ("incremental_touch_lib", 0.3), ("incremental_touch_view", 0.3),
                                   ("style_only", 0.15)))
            base = {"cold": 150_000, "incremental_touch_lib": 30_000, "incremental_touch_view": 25_000,
                    "style_only": 800}[scenario]
            duration = max(1, int(rng.lognormvariate(math.log(base * speed), 0.25)))
            outcome = "success" if rng.random() < 0.97 else "failure"
            event.update(scenario=scenario, run=1 + rng.randrange(5))
        else:
            incremental = kind == "rebuild" or rng.random() < 0.7
            base = 30_000 if kind == "rebuild" else (40_000 if incremental else 150_000)
            if kind == "rebuild" and cargo_leptos == REGRESSED_CARGO_LEPTOS:
                base = int(base * 1.12)
            roll = rng.random()
            failure = 0.10 if mode == "fast" else 0.09
            interrupted = 0.05 if kind == "rebuild" else 0.01
            outcome = "failure" if roll < failure else "interrupted" if roll < failure + interrupted else "success"
            duration = max(1, int(rng.lognormvariate(math.log(base * speed), 0.45)))
            if outcome != "success":
                duration = max(1, int(duration * rng.uniform(0.05, 0.9)))
            event.update(incremental=incremental, crates_compiled=1 + rng.randrange(4 if incremental else 400))
            if outcome == "success" and rng.random() < 0.85:
                event["phases_ms"] = _phases(rng, inst, duration, variant, profile)
        event["outcome"] = outcome
        event["duration_ms"] = min(duration, 86_400_000)
        yield inst, event
