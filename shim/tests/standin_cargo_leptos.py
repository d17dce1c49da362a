"""A stand-in for the real cargo-leptos, driven by environment variables (tests write a wrapper around it).

STANDIN_RECORD  file to write what it saw: argv, cargo/leptos env vars, which stdio are terminals, stdin, signals
STANDIN_LOG     a recorded log to replay on stderr: lines of "<seconds to wait> <text>", real timing
STANDIN_EXIT    exit code after the replay (default 0)
STANDIN_WAIT    "1": after the replay, wait for SIGINT/SIGTERM; then print a shutdown line and exit
STANDIN_STDIN   "1": read stdin to the end and record it
STANDIN_CRATE   run the real `cargo build -v` there and record its stderr (rustc command lines)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

record: dict = {}


def save() -> None:
    path = os.environ.get("STANDIN_RECORD")
    if path:
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as handle:
            json.dump(record, handle)
        os.replace(tmp, path)


def on_signal(signum: int, _frame: object) -> None:
    name = signal.Signals(signum).name
    record.setdefault("signals", []).append(name)
    sys.stderr.write(f"{'Shutdown':>12} graceful after {name}\n")
    sys.stderr.flush()
    save()
    sys.exit(0 if signum == signal.SIGTERM else 130)


def main() -> int:
    argv = sys.argv[1:]
    if "--version" in argv or "-V" in argv:
        print("cargo-leptos 0.2.99")
        return 0
    record.update(
        argv=argv,
        env={k: v for k, v in os.environ.items() if k.startswith(("CARGO_", "LEPTOS", "RUSTFLAGS"))},
        isatty=[os.isatty(fd) for fd in (0, 1, 2)],
        pid=os.getpid(),
        pgrp=os.getpgrp(),
        ready=False,
    )
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    if os.environ.get("STANDIN_STDIN") == "1":
        record["stdin"] = sys.stdin.read()
    save()
    crate = os.environ.get("STANDIN_CRATE")
    if crate:
        done = subprocess.run(["cargo", "build", "-v"], cwd=crate, capture_output=True, text=True)
        record["cargo_stderr"] = done.stderr
        sys.stderr.write(done.stderr)
        save()
        return done.returncode
    sys.stdout.write("stdout line from cargo-leptos\n")
    sys.stdout.flush()
    log = os.environ.get("STANDIN_LOG")
    if log:
        with open(log, encoding="utf-8") as handle:
            for line in handle:
                delay, _, text = line.rstrip("\n").partition(" ")
                time.sleep(float(delay))
                sys.stderr.write(text + "\n")
                sys.stderr.flush()
    record["ready"] = True
    save()
    if os.environ.get("STANDIN_WAIT") == "1":
        while True:
            signal.pause()
    record["exit_at"] = time.time()
    save()
    return int(os.environ.get("STANDIN_EXIT", "0"))


if __name__ == "__main__":
    sys.exit(main())
