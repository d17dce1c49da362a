"""`leptos-fast bench`: the standard benchmark, normal vs fast mode, N runs of each scenario.

Scenarios: a cold build, and incremental builds after touching a lib file, a view file, or the style file.
Builds run the real cargo-leptos directly (the shim would only add its own start-up) with `CARGO_TARGET_DIR`
pointing into the shim's cache, one directory per mode: the user's own target directory is never used, so its
build cache is never deleted. Touching a file sets its modification time only; contents never change."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

from . import privacy, spool, state
from . import settings as fast
from .config import Config
from .paths import Paths, ensure_dir

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping
    from typing import Any

SCENARIOS = ("cold", "incremental_touch_lib", "incremental_touch_view", "style_only")
MODES = ("normal", "fast")
SKIP_DIRS = {"target", ".git", "node_modules", "pkg", "dist", "end2end"}


def _sources(project: str) -> list[str]:
    found: list[str] = []
    for root, dirs, files in os.walk(project):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        found.extend(os.path.join(root, name) for name in sorted(files) if name.endswith(".rs"))
        if len(found) > 5000:
            break
    return found


def find_files(project: str) -> dict[str, str | None]:
    """The file each incremental scenario touches: a lib file, a file with `view!`, the style file."""
    sources = _sources(project)
    lib = next((path for path in sources if path.endswith(os.sep + "lib.rs")), None)
    view = None
    for path in sources:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                if "view!" in handle.read():
                    view = path
                    if path != lib:
                        break
        except OSError:
            continue
    style = None
    for root, dirs, files in os.walk(project):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")]
        if "Cargo.toml" in files:
            with open(os.path.join(root, "Cargo.toml"), encoding="utf-8", errors="replace") as handle:
                found = re.search(r'^\s*style-file\s*=\s*"([^"]+)"', handle.read(), re.MULTILINE)
            if found and os.path.isfile(os.path.join(root, found.group(1))):
                style = os.path.join(root, found.group(1))
                break
    return {"incremental_touch_lib": lib, "incremental_touch_view": view, "style_only": style}


def touch(path: str) -> None:
    """Move the modification time forward; the access time and the contents stay as they were."""
    info = os.stat(path)
    now = max(time.time_ns(), info.st_mtime_ns + 1_000_000)
    os.utime(path, ns=(info.st_atime_ns, now))


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


class Progress:
    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.tty = sys.stdout.isatty()

    def start(self, label: str) -> None:
        text = f"[{self.done + 1:>3}/{self.total}] {label} ..."
        if self.tty:
            sys.stdout.write("\r\x1b[K" + text)
        else:
            sys.stdout.write(text)
        sys.stdout.flush()

    def end(self, result: str) -> None:
        self.done += 1
        sys.stdout.write(f" {result}\n")
        sys.stdout.flush()


def run_bench(args: argparse.Namespace, paths: Paths, env: Mapping[str, str]) -> int:
    from .cargo_shim import find_real
    from .cli import CliError, _shim_script

    project = os.path.abspath(args.project)
    if not os.path.isfile(os.path.join(project, "Cargo.toml")):
        raise CliError(f"no Cargo.toml in {project}; run from a Leptos project or pass --project")
    real = find_real(_shim_script() or sys.argv[0], env)
    if real is None:
        raise CliError("cannot find the real cargo-leptos (install it, or set LEPTOS_FAST_REAL_CARGO_LEPTOS)")
    config = Config.load(paths)
    runs = args.runs or int(config.get("bench_runs"))
    if not 1 <= runs <= 50:
        raise CliError("--runs must be between 1 and 50")
    files = find_files(project)
    scenarios = [name for name in (args.scenario or SCENARIOS) if name == "cold" or files.get(name)]
    for name in args.scenario or SCENARIOS:
        if name not in scenarios:
            print(f"skipping {name}: no file to touch was found")
    settings = fast.resolve(
        fast.load_snapshot(paths) if state.has_token(paths) else None,
        ttl_seconds=int(config.get("flags_ttl_minutes")) * 60,
    )
    import hashlib

    slot = hashlib.sha256(project.encode()).hexdigest()[:12]
    base = os.path.join(paths.bench_dir, slot)
    log_path = os.path.join(base, "bench.log")
    ensure_dir(base)
    print(f"Benchmark: {len(scenarios)} scenarios x normal/fast x {runs} runs; fast = {settings.variant}")
    print(f"(build output goes to {log_path}; your own target directory is not touched)")
    warmups = sum(2 for name in scenarios if name != "cold")
    progress = Progress(len(scenarios) * 2 * runs + warmups)
    results: dict[tuple[str, str], list[float]] = {}
    measurements: list[dict[str, Any]] = []
    with open(log_path, "wb") as log:

        def build(mode: str, target: str) -> tuple[float, int]:
            run_env = dict(env)
            run_env["CARGO_TARGET_DIR"] = target
            extra: list[str] = []
            if mode == "fast":
                extra = fast.apply(settings, run_env, paths)[0]
            log.write(f"\n=== {mode} build, target {target}\n".encode())
            log.flush()
            started = time.monotonic()
            code = subprocess.call(  # noqa: S603
                [real, "leptos", "build", *extra],
                cwd=project,
                env=run_env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
            return time.monotonic() - started, code

        for scenario in scenarios:
            targets = {
                mode: os.path.join(base, f"{'cold' if scenario == 'cold' else 'warm'}-{mode}")
                for mode in MODES
            }
            if scenario != "cold":
                for mode in MODES:
                    progress.start(f"{scenario:<24} {mode:<6} warm-up")
                    seconds, code = build(mode, targets[mode])
                    progress.end(f"{seconds:.2f} s" if code == 0 else f"failed (exit {code})")
            for run in range(1, runs + 1):
                for mode in MODES:  # alternate modes so that drift hits both alike
                    if scenario == "cold":
                        shutil.rmtree(targets[mode], ignore_errors=True)
                    else:
                        touch(str(files[scenario]))
                    progress.start(f"{scenario:<24} {mode:<6} run {run}/{runs}")
                    seconds, code = build(mode, targets[mode])
                    progress.end(f"{seconds:.2f} s" if code == 0 else f"failed (exit {code})")
                    if code == 0:
                        results.setdefault((scenario, mode), []).append(seconds)
                    measurements.append(
                        {
                            "kind": "bench",
                            "mode": mode,
                            "scenario": scenario,
                            "run": run,
                            "outcome": "success" if code == 0 else "failure",
                            "duration_ms": max(1, round(seconds * 1000)),
                            "at": time.time(),
                        }
                    )
    print()
    print(f"{'scenario':<26}{'normal (median)':>16}{'fast (median)':>16}{'change':>10}")
    for scenario in scenarios:
        normal = median(results.get((scenario, "normal"), []))
        quick = median(results.get((scenario, "fast"), []))
        change = f"{(quick - normal) / normal * 100:+.0f} %" if normal and quick else "-"
        cells = [f"{value:.2f} s" if value is not None else "failed" for value in (normal, quick)]
        print(f"{scenario:<26}{cells[0]:>16}{cells[1]:>16}{change:>10}")
    _record(
        paths, env, measurements, real=real, project=project, settings=settings, upload=not args.no_upload
    )
    return 0


def _record(
    paths: Paths,
    env: Mapping[str, str],
    measurements: list[dict[str, Any]],
    *,
    real: str,
    project: str,
    settings: fast.FastSettings,
    upload: bool,
) -> None:
    from . import envfacts
    from .events import EventContext
    from .launch import spawn_sender

    debug = privacy.telemetry_debug(env)
    allowed = upload and privacy.blocked_reason(env) is None and state.consent_given(paths)
    if not (allowed or debug) or not measurements:
        print("\nResults were not uploaded (telemetry is off)." if upload else "")
        return
    facts = envfacts.collect(paths, real=real, project_dir=project, env=env, linker=settings.linker())
    contexts = {
        mode: EventContext(
            command="build",
            mode=mode,
            variant=settings.variant if mode == "fast" else None,
            profile="dev",
            env=facts,
        )
        for mode in MODES
    }
    contexts["fast"].session_id = contexts["normal"].session_id  # one benchmark, one session
    events = [contexts[measurement["mode"]].make(measurement) for measurement in measurements]
    if debug:
        import json

        for event in events:
            sys.stderr.write("leptos-fast telemetry (debug, not sent): " + json.dumps(event) + "\n")
        return
    spool.append(paths, events)
    spawn_sender(env)
    print(f"\nQueued {len(events)} benchmark results for upload (see `leptos-fast telemetry show`).")
