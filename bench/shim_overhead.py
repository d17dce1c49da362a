"""Start-up overhead of the cargo-leptos shim (shim/leptos_fast) against the real binary called directly.

One run measures, interleaved, the wall time of:
  bare      `python -c pass` with the interpreter the console script uses (the unit of the target),
  direct    the stand-in `cargo-leptos leptos build` (a native binary that exits at once),
  shim      the `cargo-leptos` console script running `leptos build`:
              - telemetry off (the default: the shim execs the real binary),
              - telemetry on, service reachable (a local stand-in of the API),
              - telemetry on, service unreachable (a closed port),
              - telemetry on, service that accepts connections and never answers,
              - telemetry on, service reachable, stdout and stderr a terminal (the child then gets a pty),
            each through two console scripts of the same installation: the one pip >= 26 (and so pipx)
            writes, without `import re` ("pip26"), and the one `python -m venv`'s bundled pip wrote, which
            imports `re` first ("old pip").
Overhead = median(shim) - median(direct); target: at most 1.5x median(bare) in all three service cases.
Before each sample the previous samples' detached work (the last event, the queue, the upload: it runs after
a build, never during one) is waited for, with `--settle` seconds of pause, so that it does not compete for
the CPU. The load average is printed: on a busy machine, compare the ratios rather than the milliseconds.

    python bench/shim_overhead.py [--runs 40] [--settle 0.2]
"""

from __future__ import annotations

import argparse
import fcntl
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

# The console script pip >= 26.0 writes for `cargo-leptos = "leptos_fast.cargo_shim:main"` (its
# PipScriptMaker template); pipx installs with its own, current pip.
PIP26_SCRIPT = """#!{python}
import sys
from leptos_fast.cargo_shim import main
if __name__ == '__main__':
    sys.argv[0] = sys.argv[0].removesuffix('.exe')
    sys.exit(main())
"""


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


def time_once(argv: list[str], env: dict[str, str], cwd: Path, *, terminal: bool = False) -> float:
    """Wall time from start to exit; with `terminal`, stdout and stderr are a fresh pseudo-terminal."""
    master = slave = -1
    if terminal:
        master, slave = os.openpty()
    out = slave if terminal else subprocess.DEVNULL
    try:
        started = time.perf_counter()
        subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=out, check=True)
        return time.perf_counter() - started
    finally:
        if terminal:
            os.close(slave)
            os.close(master)


def wait_for_background(home: Path, timeout: float = 10.0) -> None:
    """Wait until the detached work of the shim's last runs is done: the queue's pending mark (the last event
    being written) and the sender's lock (an upload) are free. Bounded: a hanging upload is not waited out."""
    deadline = time.monotonic() + timeout
    for name in ("spool.pending", "sender.lock"):
        try:
            fd = os.open(home / "state" / name, os.O_RDWR)
        except OSError:
            continue
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released by the close below
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.005)
        finally:
            os.close(fd)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--settle", type=float, default=0.2, help="pause before each sample (s)")
    args = parser.parse_args()

    load_before = os.getloadavg()
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
        python = str(bin_dir / "python")
        pip_version = subprocess.run(
            [python, "-m", "pip", "--version"], capture_output=True, text=True, check=False
        ).stdout.split()[1:2]
        old_script = bin_dir / "cargo-leptos"
        old_imports_re = "import re\n" in old_script.read_text()
        pip26_script = work / "pip26-bin" / "cargo-leptos"
        pip26_script.parent.mkdir()
        pip26_script.write_text(PIP26_SCRIPT.format(python=python))
        pip26_script.chmod(0o755)
        real_dir = work / "real"
        real_dir.mkdir()
        real = stand_in(real_dir)
        project = work / "project"
        project.mkdir()
        (project / "Cargo.toml").write_text('[package]\nname = "app"\nversion = "0.1.0"\n')
        (project / "Cargo.lock").write_text('version = 4\n\n[[package]]\nname = "app"\nversion = "0.1.0"\n')
        env = base_env()
        env["PATH"] = os.pathsep.join([str(real_dir), env.get("PATH", "")])  # scripts run by their path
        hang_url = f"http://127.0.0.1:{hanging.getsockname()[1]}"
        homes = {
            "telemetry off": (work / "home-off", {"LEPTOS_FAST_HOME": str(work / "home-off")}),
            "on, service up": (work / "home-up", opted_in_home(work / "home-up", service.url, service)),
            "on, unreachable": (
                work / "home-down",
                opted_in_home(work / "home-down", f"http://127.0.0.1:{closed_port}", service),
            ),
            "on, never answers": (work / "home-hang", opted_in_home(work / "home-hang", hang_url, service)),
        }
        # name -> (argv, env, home, stdout and stderr a terminal)
        cases: dict[str, tuple[list[str], dict[str, str], Path | None, bool]] = {
            "bare python -c pass": ([python, "-c", "pass"], env, None, False),
            "direct cargo-leptos": ([str(real), "leptos", "build"], env, None, False),
        }
        for flavour, script in (("pip26", pip26_script), ("old pip", old_script)):
            argv = [str(script), "leptos", "build"]
            for label, (home, home_env) in homes.items():
                cases[f"{flavour}: {label}"] = (argv, {**env, **home_env}, home, False)
            home, home_env = homes["on, service up"]
            cases[f"{flavour}: on, up, terminal"] = (argv, {**env, **home_env}, home, True)

        def settle() -> None:
            # The detached work of earlier samples runs after their build, not during the next one (on a
            # 2-core machine it would otherwise steal the CPU of the next sample): let it finish. Waited for
            # before and after the pause: the sender takes its lock only once it has loaded its modules.
            for _ in range(2):
                for home, _env in homes.values():
                    wait_for_background(home)
                time.sleep(args.settle / 2)

        for argv, case_env, _home, terminal in cases.values():  # warm the page cache, write the .pyc files
            for _ in range(3):
                settle()
                time_once(argv, case_env, project, terminal=terminal)
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, (argv, case_env, _home, terminal) in cases.items():
                settle()
                samples[name].append(time_once(argv, case_env, project, terminal=terminal))
        load_after = os.getloadavg()
        median = {name: statistics.median(values) for name, values in samples.items()}
        bare, direct = median["bare python -c pass"], median["direct cargo-leptos"]
        print(
            f"\n{args.runs} interleaved runs each, wall time; python {sys.version.split()[0]}, "
            f"{os.cpu_count()} CPUs; load average (1/5/15 min) before "
            + "/".join(f"{x:.2f}" for x in load_before)
            + ", after "
            + "/".join(f"{x:.2f}" for x in load_after)
        )
        print(
            "pip26: the console script pip >= 26 and pipx write (no `import re`); "
            f"old pip: the one pip {''.join(pip_version) or '?'} wrote"
            + (" (imports `re` first)" if old_imports_re else "")
        )
        print(f"{'case':<32}{'median':>9}{'p90':>10}{'overhead':>11}{'x bare':>8}")
        verdicts = []
        for name, values in samples.items():
            p90 = sorted(values)[max(0, int(len(values) * 0.9) - 1)]
            line = f"{name:<32}{median[name] * 1000:>7.1f}ms{p90 * 1000:>8.1f}ms"
            if ":" in name:
                overhead = median[name] - direct
                ratio = overhead / bare
                line += f"{overhead * 1000:>9.1f}ms{ratio:>7.2f}x"
                verdicts.append((name, ratio))
            print(line)
        print(f"\ntarget: shim overhead <= {TARGET_RATIO}x one bare interpreter start ({bare * 1000:.1f} ms)")
        for name, ratio in verdicts:
            print(f"  {name:<32} {'ok' if ratio <= TARGET_RATIO else 'OVER'} ({ratio:.2f}x)")
        received = len(service.events)
        print(f"\nevents the reachable service received from the background sender: {received}")
        return 0
    finally:
        service.close()
        hanging.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
