"""Start-up overhead of the cargo-leptos shim (shim/leptos_fast) against the real binary called directly.

One run measures, interleaved, the wall time of:
  bare      `python -c pass` with the interpreter the console script uses (the unit of the target),
  direct    the stand-in `cargo-leptos leptos build` (a native binary that exits at once),
  shim      the installed `cargo-leptos` console script running `leptos build`:
              - telemetry off (the default: the shim execs the real binary),
              - telemetry on, service reachable (a local stand-in of the API),
              - telemetry on, service unreachable (a closed port),
              - telemetry on, service that accepts connections and never answers.
Overhead = median(shim) - median(direct); target: at most 1.5x median(bare) in all three service cases.
Each sample starts after a short pause, so the detached sender of the previous sample (which uploads after
a build, never during one) does not compete for the CPU; `--settle 0` shows the back-to-back figures.

    python bench/shim_overhead.py [--runs 40] [--settle 0.25]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHIM = ROOT / "shim"
sys.path[:0] = [str(SHIM), str(SHIM / "tests")]

from fakeservice import FakeService  # noqa: E402
from leptos_fast import remote, state  # noqa: E402
from leptos_fast.paths import Paths  # noqa: E402
from leptos_fast.privacy import CI_VARS  # noqa: E402
from wheelbuild import install_shim  # noqa: E402

TARGET_RATIO = 1.5


def stand_in(directory: Path) -> Path:
    """A cargo-leptos that exits at once: a tiny native binary when rustc is there, else /bin/true."""
    target = directory / "cargo-leptos"
    source = directory / "main.rs"
    source.write_text("fn main() {}\n")
    done = subprocess.run(["rustc", "-O", "-o", str(target), str(source)], capture_output=True)
    if done.returncode != 0:
        shutil.copy("/bin/true", target)
    return target


def base_env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if k not in CI_VARS and k != "DO_NOT_TRACK" and not k.startswith("LEPTOS")
    }


def opted_in_home(home: Path, url: str, service: FakeService) -> dict[str, str]:
    """A home that opted in for real against the local service, then pointed at `url`."""
    env = {"LEPTOS_FAST_HOME": str(home), "LEPTOS_FAST_SERVER_URL": service.url}
    paths = Paths(env)
    remote.register(paths, env)
    remote.patch_consent(paths, env, True)
    state.record_consent(paths, True)
    remote.refresh_flags(paths, env)
    return {**env, "LEPTOS_FAST_SERVER_URL": url}


def time_once(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        argv,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--settle", type=float, default=0.25, help="pause before each sample (s)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="shim-overhead-"))
    service = FakeService()
    hanging = socket.socket()
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(1024)  # the kernel accepts connections; nobody ever reads or answers
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()  # nothing listens there any more: connection refused
    try:
        print("installing the shim into a fresh venv ...", flush=True)
        bin_dir = install_shim(SHIM, work / "install", base_env())
        real_dir = work / "real"
        real_dir.mkdir()
        real = stand_in(real_dir)
        project = work / "project"
        project.mkdir()
        (project / "Cargo.toml").write_text('[package]\nname = "app"\nversion = "0.1.0"\n')
        (project / "Cargo.lock").write_text('version = 4\n\n[[package]]\nname = "app"\nversion = "0.1.0"\n')
        env = base_env()
        env["PATH"] = os.pathsep.join([str(bin_dir), str(real_dir), env.get("PATH", "")])
        python = str(bin_dir / "python")
        shim = [str(bin_dir / "cargo-leptos"), "leptos", "build"]
        cases: dict[str, tuple[list[str], dict[str, str]]] = {
            "bare python -c pass": ([python, "-c", "pass"], env),
            "direct cargo-leptos": ([str(real), "leptos", "build"], env),
            "shim, telemetry off": (shim, {**env, "LEPTOS_FAST_HOME": str(work / "home-off")}),
            "shim, on, service up": (shim, {**env, **opted_in_home(work / "home-up", service.url, service)}),
            "shim, on, unreachable": (
                shim,
                {**env, **opted_in_home(work / "home-down", f"http://127.0.0.1:{closed_port}", service)},
            ),
            "shim, on, never answers": (
                shim,
                {
                    **env,
                    **opted_in_home(
                        work / "home-hang", f"http://127.0.0.1:{hanging.getsockname()[1]}", service
                    ),
                },
            ),
        }
        for argv, case_env in cases.values():  # warm the page cache and write the .pyc files
            for _ in range(3):
                time_once(argv, case_env, project)
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, (argv, case_env) in cases.items():
                # Let the previous sample's detached sender finish first: it runs after a build, not during
                # the next one (on a 2-core machine it would otherwise steal the CPU of the next sample).
                time.sleep(args.settle)
                samples[name].append(time_once(argv, case_env, project))
        median = {name: statistics.median(values) for name, values in samples.items()}
        bare, direct = median["bare python -c pass"], median["direct cargo-leptos"]
        print(
            f"\n{args.runs} interleaved runs each, wall time; python: {sys.version.split()[0]}, {os.cpu_count()} CPUs"
        )
        print(f"{'case':<26}{'median':>10}{'p90':>10}{'overhead':>11}{'x bare':>8}")
        verdicts = []
        for name, values in samples.items():
            p90 = sorted(values)[int(len(values) * 0.9) - 1]
            line = f"{name:<26}{median[name] * 1000:>8.1f}ms{p90 * 1000:>8.1f}ms"
            if name.startswith("shim"):
                overhead = median[name] - direct
                ratio = overhead / bare
                line += f"{overhead * 1000:>9.1f}ms{ratio:>7.2f}x"
                verdicts.append((name, ratio))
            print(line)
        print(f"\ntarget: shim overhead <= {TARGET_RATIO}x one bare interpreter start ({bare * 1000:.1f} ms)")
        for name, ratio in verdicts:
            print(f"  {name:<26} {'ok' if ratio <= TARGET_RATIO else 'OVER'} ({ratio:.2f}x)")
        received = len(service.events)
        print(f"\nevents the reachable service received from the background sender: {received}")
        return 0
    finally:
        service.close()
        hanging.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
