"""`cargo-leptos`, the shim: cargo runs `cargo-leptos leptos dev --fast`, the shim runs the real binary.

This is the hot path of every build, so until the real binary runs it imports only `os`, `sys` and a few
small modules of its own (no `re`, `json`, `signal` or `subprocess`). When telemetry is off (the default)
the shim replaces itself with the real binary (exec): stdin, stdout, colours, exit status and signals are
then exactly the real binary's. With consent it runs the real binary as a child to measure it (see
runner.py); when the child exits, a forked, detached copy of the shim records the last event, queues it and
uploads what is queued, while the shim leaves at once with the child's status. The shim itself never touches
the network."""

from __future__ import annotations

import os
import sys

from .launch import GUARD

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from .logparse import Tracker
    from .paths import Paths

MEASURED = ("build", "watch", "serve", "test", "end-to-end")
GLOBAL_OPTIONS_WITH_VALUE = ("--manifest-path", "--log")
NO_MEASURE_FLAGS = ("-h", "--help", "-V", "--version")
MAX_DEPTH = 3
BINARY = "cargo-leptos.exe" if os.name == "nt" else "cargo-leptos"


class Invocation:
    """argv as cargo hands it over, split into the parts the shim cares about."""

    def __init__(self, argv: list[str]) -> None:
        self.prefix: list[str] = []
        rest = list(argv)
        if rest and rest[0] == "leptos":  # `cargo leptos ...` runs `cargo-leptos leptos ...`
            self.prefix, rest = ["leptos"], rest[1:]
        index = 0
        while index < len(rest):
            arg = rest[index]
            if arg == "--" or not arg.startswith("-"):
                break
            index += 2 if arg in GLOBAL_OPTIONS_WITH_VALUE else 1
        index = min(index, len(rest))
        self.global_args = rest[:index]
        self.typed: str | None = rest[index] if index < len(rest) and rest[index] != "--" else None
        after = rest[index + 1 :] if self.typed is not None else rest[index:]
        split = after.index("--") if "--" in after else len(after)
        own, self.trailing = after[:split], after[split:]
        self.command = "watch" if self.typed == "dev" else self.typed
        measured = self.command in MEASURED
        self.fast = measured and "--fast" in own
        shim_flags = ("--fast", "--quiet") if (self.typed == "dev" or self.fast) else ()
        self.quiet = "--quiet" in own and bool(shim_flags)
        self.sub_args = [arg for arg in own if arg not in shim_flags]
        self.user_verbose = any(
            arg == "--verbose" or (arg.startswith("-v") and set(arg[1:]) == {"v"}) for arg in self.sub_args
        )
        self.release = "--release" in self.sub_args or "-r" in self.sub_args
        self.measured = measured and not any(arg in NO_MEASURE_FLAGS for arg in self.sub_args)
        self.changed = self.typed == "dev" or self.fast or bool(shim_flags and self.quiet)

    def forward(self, extra: list[str] | None = None, *, verbose: bool = False) -> list[str]:
        if self.typed is None:
            return self.prefix + self.global_args + self.trailing
        own = (["-v"] if verbose else []) + (extra or []) + self.sub_args
        return self.prefix + self.global_args + [str(self.command)] + own + self.trailing


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_real(self_path: str, env: Mapping[str, str]) -> str | None:
    """The real cargo-leptos: the override, else on PATH after the shim's directory, else $CARGO_HOME/bin."""
    override = env.get("LEPTOS_FAST_REAL_CARGO_LEPTOS")
    if override:
        return override if _executable(override) and not _same_file(override, self_path) else None
    own_dir = os.path.dirname(self_path)
    entries = [entry for entry in env.get("PATH", "").split(os.pathsep) if entry]
    own_index = next((i for i, entry in enumerate(entries) if _same_file(entry, own_dir)), None)
    candidates = entries[own_index + 1 :] if own_index is not None else entries
    cargo_home = env.get("CARGO_HOME") or os.path.join(os.path.expanduser("~"), ".cargo")
    candidates.append(os.path.join(cargo_home, "bin"))
    for directory in candidates:
        path = os.path.join(directory, BINARY)
        if _executable(path) and not _same_file(path, self_path):
            return path
    return None


def _say(message: str) -> None:
    sys.stderr.write(f"leptos-fast: {message}\n")
    sys.stderr.flush()


def _exec(real: str, args: list[str], env: dict[str, str]) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "nt":
        import subprocess

        return subprocess.call([real, *args], env=env)  # noqa: S603
    import _signal  # type: ignore[import-not-found]  # the C module: `signal` would pull in more than this needs

    # Python ignores SIGPIPE (and SIGXFSZ); an exec'd program must start with the default actions.
    _signal.signal(_signal.SIGPIPE, _signal.SIG_DFL)
    if hasattr(_signal, "SIGXFSZ"):
        _signal.signal(_signal.SIGXFSZ, _signal.SIG_DFL)
    try:
        os.execve(real, [real, *args], env)  # noqa: S606 - exactly what a shell would run
    except OSError as error:
        _say(f"could not run {real}: {error.strerror}")
    return 126


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    self_path = os.path.abspath(sys.argv[0])
    env = dict(os.environ)
    try:
        depth = int(env.get(GUARD, "0") or 0)
    except ValueError:
        depth = 0
    real = find_real(self_path, env)
    if real is None or depth >= MAX_DEPTH:
        reason = "it keeps finding the shim itself" if real else "it is neither on PATH after the shim nor in"
        _say(
            f"cannot find the real cargo-leptos ({reason} $CARGO_HOME/bin).\n"
            "  Install it with `cargo install --locked cargo-leptos`, or set LEPTOS_FAST_REAL_CARGO_LEPTOS."
            if real is None
            else f"cannot find the real cargo-leptos ({reason}); set LEPTOS_FAST_REAL_CARGO_LEPTOS."
        )
        return 127
    env[GUARD] = str(depth + 1)
    if depth > 0:  # another shim sent us here: only pass through
        return _exec(real, args, env)
    invocation = Invocation(args)
    if not invocation.measured:
        return _exec(real, invocation.forward() if invocation.changed else args, env)
    return _run(real, invocation, env)


def _run(real: str, invocation: Invocation, env: dict[str, str]) -> int:
    from . import privacy, state
    from .paths import Paths

    paths = Paths(env)
    blocked = privacy.blocked_reason(env)
    debug = privacy.telemetry_debug(env)
    registered = state.has_token(paths)
    consent = blocked is None and state.consent_given(paths)
    measure = consent or debug
    config = None
    extra: list[str] = []
    fast_settings = None
    if invocation.fast or registered:
        from .config import Config

        config = Config.load(paths)
    if invocation.fast and config is not None:
        from . import settings as fast

        ttl = int(config.get("flags_ttl_minutes")) * 60
        fast_settings = fast.resolve(fast.load_snapshot(paths) if registered else None, ttl_seconds=ttl)
        extra, _applied, kept = fast.apply(fast_settings, env, paths)
        if not invocation.quiet and not config.get("quiet"):
            note = f"; kept your {', '.join(kept)}" if kept else ""
            _say(
                f"fast mode, {fast_settings.variant} ({fast_settings.source}): "
                f"{fast_settings.describe()}{note}"
            )
    if blocked is None and not consent and not os.path.exists(state.notice_marker(paths)):
        _first_run_notice(paths)
    send = consent and not debug
    refresh = False
    if registered and blocked is None and config is not None:
        from .launch import flags_age, spawn_sender

        refresh = flags_age(paths.cache_dir) > int(config.get("flags_ttl_minutes")) * 60
        if refresh and not send:
            spawn_sender(env)  # refreshes the flag snapshot for the next start; never waited for
    args = invocation.forward(extra, verbose=measure and not invocation.user_verbose)
    if not measure:
        return _exec(real, args, env)
    variant = fast_settings.variant if fast_settings else None
    return _measure(real, args, env, invocation, paths, fast_settings, variant, send=send, refresh=refresh)


def _first_run_notice(paths: Paths) -> None:
    from . import state
    from .notice import SHORT_NOTICE
    from .paths import write_atomic

    sys.stderr.write(SHORT_NOTICE)
    try:
        write_atomic(state.notice_marker(paths), b"shown\n", 0o644)
    except OSError:
        pass


def _target_is_warm(invocation: Invocation, env: Mapping[str, str]) -> bool:
    target = env.get("CARGO_TARGET_DIR") or os.path.join(_project_dir(invocation), "target")
    return any(os.path.isdir(os.path.join(target, sub)) for sub in ("debug", "release", "front", "server"))


def _project_dir(invocation: Invocation) -> str:
    args = invocation.global_args
    if "--manifest-path" in args:
        index = args.index("--manifest-path") + 1
        if index < len(args):
            return os.path.dirname(os.path.abspath(args[index]))
    return os.getcwd()


class _Recorder:
    """The log tracker and what it emits. Built when the runner first needs it (see runner.run), and the event
    machinery (JSON, tool versions, the queue) only at the first event: none of it delays the real binary."""

    def __init__(
        self,
        *,
        real: str,
        env: dict[str, str],
        invocation: Invocation,
        paths: Paths,
        fast_settings: Any,
        variant: str | None,
        send: bool,
        debug: bool,
        start: float,
        wall_offset: float,
        incremental: bool,
    ) -> None:
        self.real = real
        self.env = env
        self.invocation = invocation
        self.paths = paths
        self.fast_settings = fast_settings
        self.variant = variant
        self.send = send
        self.debug = debug
        self.start = start
        self.wall_offset = wall_offset
        self.incremental = incremental
        self.tracker: Tracker | None = None
        self.context: Any = None

    def _tracker(self) -> Tracker:
        if self.tracker is None:
            from . import logparse

            self.tracker = logparse.Tracker(
                str(self.invocation.command),
                self.start,
                self.emit,
                incremental=self.incremental,
                wall_offset=self.wall_offset,
            )
        return self.tracker

    def setup(self) -> tuple[Any, Any]:
        from . import logparse

        tracker = self._tracker()
        hide_verbose = not self.invocation.user_verbose

        def on_line(now: float, text: str) -> bool:
            tracker.feed(now, text)
            return hide_verbose and logparse.is_verbose_only(text)

        def on_tick(now: float) -> float | None:
            tracker.tick(now)
            return tracker.next_deadline()

        return on_line, on_tick

    def emit(self, measurement: dict[str, Any]) -> None:
        try:
            from . import envfacts, spool, state
            from .events import EventContext

            invocation = self.invocation
            if self.context is None:
                self.context = EventContext(
                    command=str(invocation.command),
                    mode="fast" if invocation.fast else "normal",
                    variant=self.variant,
                    profile="release" if invocation.release else "dev",
                )
            context = self.context
            if not context.env:
                context.env = envfacts.collect(
                    self.paths,
                    real=self.real,
                    project_dir=_project_dir(invocation),
                    env=self.env,
                    linker=self.fast_settings.linker() if self.fast_settings else None,
                )
            event = context.make(measurement)
            if self.debug:
                import json

                sys.stderr.write("leptos-fast telemetry (debug, not sent): " + json.dumps(event) + "\n")
            elif self.send:
                spool.append(self.paths, [event], require=state.consent_file(self.paths))
        except Exception as error:
            _say(f"could not record a build event ({type(error).__name__})")

    def finish(self, now: float, outcome: str) -> None:
        self._tracker().finish(now, outcome)


def _measure(
    real: str,
    args: list[str],
    env: dict[str, str],
    invocation: Invocation,
    paths: Paths,
    fast_settings: Any,
    variant: str | None,
    *,
    send: bool,
    refresh: bool,
) -> int:
    import time

    from . import privacy, runner

    start = time.monotonic()
    wall_offset = time.time() - start
    recorder = _Recorder(
        real=real,
        env=env,
        invocation=invocation,
        paths=paths,
        fast_settings=fast_settings,
        variant=variant,
        send=send,
        debug=privacy.telemetry_debug(env),
        start=start,
        wall_offset=wall_offset,
        incremental=_target_is_warm(invocation, env),
    )
    try:
        code, stopped = runner.run(real, args, env, recorder.setup)
    except OSError as error:
        _say(f"could not run {real}: {error.strerror}")
        return 126
    ended = time.monotonic()
    outcome = (
        "success"
        if code == 0
        else "interrupted"
        if (stopped or code < 0 or code in (130, 143))
        else "failure"
    )
    # What is left (the last event, the queue, the sender) is no business of the user's: a detached copy
    # of this process does it and the shim leaves now with the real binary's status. Where there is no fork
    # (Windows), and for the debug output (it goes to the terminal), it is done here first.
    background, mark = _fork_detached(paths) if send else (None, None)
    if background:  # the parent
        if code < 0:
            _die_like(-code)
        # stdio is flushed. Tearing the interpreter down would touch most of its memory, now shared
        # copy-on-write with the copy, and cost more than everything else the shim does: skip it.
        os._exit(code)
    try:
        recorder.finish(ended, outcome)
        if mark is not None:
            os.close(mark)  # the last event is queued (or dropped): readers of the queue may go on
        _after_build(paths, env, send=send, refresh=refresh, in_background=background == 0)
    finally:
        if background == 0:
            os._exit(0)
    return _leave(code)


def _fork_detached(paths: Paths) -> tuple[int | None, int | None]:
    """Fork a copy that carries on detached. Returns (pid, None) in the parent, (0, mark) in the copy,
    (None, None) where fork is missing or fails. The copy has its own session, a lower priority and
    /dev/null for stdio, so it never holds the terminal nor the pipes of whoever waits for the shim. `mark`
    is the queue's `pending_writer` mark, taken before the fork so that it is held from before the parent
    leaves: the copy closes it once the last event is written."""
    if not hasattr(os, "fork"):
        return None, None
    from . import spool

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()  # or the copy would write it a second time
        except (OSError, ValueError):
            pass
    mark = spool.pending_writer(paths)
    try:
        pid = os.fork()
    except OSError:
        pid = None
    if pid != 0:  # the parent (or no copy): the copy, if any, holds the mark now
        if mark is not None:
            os.close(mark)
        return pid, None
    try:
        os.setsid()  # never a process group leader (a fresh fork): cannot fail
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        if null > 2:
            os.close(null)
    except OSError:
        pass
    try:
        os.nice(10)  # background work: the user's own processes go first
    except OSError:
        pass
    return 0, mark


def _after_build(
    paths: Paths, env: dict[str, str], *, send: bool, refresh: bool, in_background: bool
) -> None:
    """Start the sender when it has something to do (queued events, or a stale flag snapshot)."""
    from . import spool

    if not send or not (refresh or spool.has_events(paths)):
        return
    from .launch import sender_wanted, spawn_sender

    if not sender_wanted(paths.state_dir, refresh=refresh):
        return
    if in_background:  # already detached: be the sender rather than start one more interpreter
        from . import sender

        sender.main([])
    else:
        spawn_sender(env)


def _leave(code: int) -> int:
    if code < 0:
        _die_like(-code)
    return code


def _die_like(signum: int) -> None:
    """Leave the way the child did, so the shell sees the same signal status."""
    import _signal

    sys.stdout.flush()
    sys.stderr.flush()
    _signal.signal(signum, _signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    sys.exit(128 + signum)


if __name__ == "__main__":
    sys.exit(main())
