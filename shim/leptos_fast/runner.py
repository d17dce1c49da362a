"""Running the real cargo-leptos as a child while reading its stderr line by line.

stdin and stdout are inherited untouched. stderr goes through the shim: every byte is passed on at once,
except whole lines that `on_line` asks to drop (those the shim's own `-v` added). When the shim's stderr is a
terminal the child gets a pseudo-terminal as its stderr, so it still sees a terminal and keeps its colours
and progress bars. Ctrl-C reaches the child from the terminal directly (same process group); SIGTERM and
SIGHUP sent to the shim are forwarded, so the dev server shuts down gracefully; the shim then leaves with the
child's status.

Nothing is prepared before the child starts: the line handlers (and the log parser with them) are built at the
first output, so a command that ends at once without output never pays for them; and besides `os` and `time`
this module imports only C modules (`_signal` and `select`: `signal` itself would pull in `enum`). The child's
exit wakes the pump at once (SIGCHLD), so the shim leaves as soon as the output is read to the end."""

from __future__ import annotations

import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

    OnLine = Callable[[float, str], bool]
    OnTick = Callable[[float], "float | None"]
    Setup = Callable[[], "tuple[OnLine, OnTick]"]

PARTIAL_HOLD = 0.05  # an unfinished line (a progress bar) is shown after at most this long
DRAIN_AFTER_EXIT = 0.5  # grandchildren may keep the stream open; read what is left, then stop
MAX_PENDING = 64 << 10


class _Stream:
    """Bytes from the child to our stderr, split into lines for the parser without delaying them."""

    def __init__(self, on_line: OnLine) -> None:
        from .logparse import clean  # imports `re`: only once there is output

        self.clean = clean
        self.on_line = on_line
        self.pending = b""
        self.shown = 0  # bytes of `pending` already written (a partial line that was flushed)
        self.broken = False

    def write(self, data: bytes) -> None:
        while data and not self.broken:
            try:
                written = os.write(2, data)
            except InterruptedError:
                continue
            except OSError:
                self.broken = True  # our stderr went away; keep reading so the child never blocks
                return
            data = data[written:]

    def take(self, data: bytes, now: float) -> None:
        self.pending += data
        while True:
            newline = self.pending.find(b"\n")
            if newline < 0:
                break
            line, self.pending = self.pending[: newline + 1], self.pending[newline + 1 :]
            drop = self.on_line(now, self.clean(line[:-1].decode("utf-8", "replace")))
            if self.shown:
                self.write(line[self.shown :])
            elif not drop:
                self.write(line)
            self.shown = 0
        if b"\r" in self.pending[self.shown :] or len(self.pending) > MAX_PENDING:
            self.flush_partial()

    def has_unshown(self) -> bool:
        return len(self.pending) > self.shown

    def flush_partial(self) -> None:
        self.write(self.pending[self.shown :])
        self.shown = len(self.pending)
        if self.shown > MAX_PENDING:
            self.on_line(time.monotonic(), self.clean(self.pending.decode("utf-8", "replace")))
            self.pending, self.shown = b"", 0

    def close(self, now: float) -> None:
        if self.pending:
            if not self.shown:
                drop = self.on_line(now, self.clean(self.pending.decode("utf-8", "replace")))
                if not drop:
                    self.write(self.pending)
            else:
                self.write(self.pending[self.shown :])
                self.on_line(now, self.clean(self.pending.decode("utf-8", "replace")))
        self.pending, self.shown = b"", 0


def run(real: str, args: list[str], env: dict[str, str], setup: Setup) -> tuple[int, bool]:
    """Run the real binary; return (exit code, negative for a signal; whether the shim was asked to stop).

    `setup` builds the line and tick handlers. It is called once, at the child's first output (which waits
    in the pipe meanwhile), and never if there is none: preparing the handlers never delays the build's
    start, nor a command that ends at once.
    """
    if hasattr(os, "posix_spawn") and hasattr(os, "WNOHANG"):
        return _run_posix(real, args, env, setup)
    return _run_portable(real, args, env, setup)


def _copy_winsize(source: int, target: int) -> None:
    import fcntl
    import termios

    try:
        size = fcntl.ioctl(source, termios.TIOCGWINSZ, b"\0" * 8)
        fcntl.ioctl(target, termios.TIOCSWINSZ, size)
    except OSError:
        pass


def _open_pty() -> tuple[int, int] | None:
    try:
        import termios

        master, slave = os.openpty()
        attrs = termios.tcgetattr(slave)
        attrs[1] &= ~termios.OPOST  # pass "\n" through as written: our own terminal does the translation
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
    except (ImportError, OSError):
        return None
    _copy_winsize(2, slave)
    return master, slave


def _terminal_sends_sigint() -> bool:
    """Whether a SIGINT most likely came from the terminal, which delivers it to the child as well."""
    for fd in (0, 1, 2):
        try:
            return os.tcgetpgrp(fd) == os.getpgrp()
        except OSError:
            continue
    return False


def _run_posix(real: str, args: list[str], env: dict[str, str], setup: Setup) -> tuple[int, bool]:
    import _signal  # type: ignore[import-not-found]
    import select

    pty_pair = _open_pty() if os.isatty(2) else None
    read_fd, write_fd = pty_pair if pty_pair else os.pipe()
    child = {"pid": 0, "done": False, "stopped": False, "slave": write_fd if pty_pair else -1}
    from_terminal = _terminal_sends_sigint()

    def forward(signum: int, _frame: object) -> None:
        child["stopped"] = True
        if signum == _signal.SIGINT and from_terminal:
            return
        if child["pid"] and not child["done"]:
            try:
                os.kill(child["pid"], signum)
            except OSError:
                pass

    def resize(_signum: int, _frame: object) -> None:
        _copy_winsize(2, child["slave"] if child["slave"] >= 0 else read_fd)

    def exited(_signum: int, _frame: object) -> None:
        pass  # the wake-up descriptor below is what wakes the pump

    # The child's exit must wake the pump at once: with a terminal, our copy of its other side stays open
    # (so no end of file), and a grandchild may hold a pipe. The C handler writes to `wake` on SIGCHLD.
    wake = _wake_pipe(_signal)
    handled = [_signal.SIGINT, _signal.SIGTERM, _signal.SIGHUP]
    previous = {signum: _signal.signal(signum, forward) for signum in handled}
    if wake is not None:
        previous[_signal.SIGCHLD] = _signal.signal(_signal.SIGCHLD, exited)
    if pty_pair:
        previous[_signal.SIGWINCH] = _signal.signal(_signal.SIGWINCH, resize)
    reset = [_signal.SIGINT, _signal.SIGTERM, _signal.SIGHUP, _signal.SIGWINCH, _signal.SIGPIPE]
    if hasattr(_signal, "SIGXFSZ"):
        reset.append(_signal.SIGXFSZ)
    try:
        try:
            child["pid"] = os.posix_spawn(
                real, [real, *args], env, file_actions=[(os.POSIX_SPAWN_DUP2, write_fd, 2)], setsigdef=reset
            )
        finally:
            if not pty_pair:
                os.close(write_fd)
        status = _pump(child, read_fd, wake[0] if wake else -1, _Lazy(setup), select.select)
    finally:
        if child["slave"] >= 0:
            os.close(child["slave"])
        os.close(read_fd)
        for signum, handler in previous.items():
            _signal.signal(signum, handler)
        if wake is not None:
            _signal.set_wakeup_fd(wake[2])
            os.close(wake[0])
            os.close(wake[1])
    return os.waitstatus_to_exitcode(status), bool(child["stopped"])


def _wake_pipe(_signal: Any) -> tuple[int, int, int] | None:
    """(read end, write end, previous wake-up fd) of a pipe the C signal handler writes to; None if the
    wake-up descriptor cannot be set (not the main thread): the pump then notices the exit within a second."""
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    try:
        previous = _signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
    except ValueError:
        os.close(wake_r)
        os.close(wake_w)
        return None
    return wake_r, wake_w, previous


class _Lazy:
    """The stream and the tick handler, built by `setup` when first needed."""

    def __init__(self, setup: Setup) -> None:
        self.setup: Setup | None = setup
        self.stream: _Stream | None = None
        self.on_tick: OnTick | None = None

    def build(self) -> _Stream:
        if self.stream is None:
            assert self.setup is not None
            on_line, self.on_tick = self.setup()
            self.setup = None
            self.stream = _Stream(on_line)
        return self.stream


def _pump(child: dict[str, int], read_fd: int, wake_fd: int, lazy: _Lazy, wait: Callable[..., Any]) -> int:
    """Read until the child has exited and its stream is drained; return the raw wait status.

    After the exit, what the child wrote is read to the end: our copy of a pseudo-terminal's other side is
    closed so that the last read ends with EIO; a stream still held open by a grandchild is read while it
    keeps talking, at most DRAIN_AFTER_EXIT seconds."""
    pid = child["pid"]
    watched = [read_fd] if wake_fd < 0 else [read_fd, wake_fd]
    status: int | None = None
    drain_until = 0.0
    while True:
        now = time.monotonic()
        exited = status is not None
        stream = lazy.stream
        timeout = 1.0
        deadline = lazy.on_tick(now) if lazy.on_tick is not None else None
        if deadline is not None:
            timeout = min(timeout, max(0.0, deadline - now))
        if stream is not None and stream.has_unshown():
            timeout = min(timeout, PARTIAL_HOLD)
        if exited:
            timeout = min(timeout, max(0.0, drain_until - now))
        readable = wait(watched, [], [], timeout)[0]
        now = time.monotonic()
        if wake_fd in readable:
            try:
                while os.read(wake_fd, 512):
                    pass
            except OSError:  # drained (EAGAIN)
                pass
        ready = read_fd in readable
        eof = False
        if ready:
            try:
                data = os.read(read_fd, 65536)
            except OSError:  # EIO: every holder of the pty's other side has closed it
                data = b""
            if data:
                lazy.build().take(data, now)
            else:
                eof = True
        elif stream is not None and stream.has_unshown():
            stream.flush_partial()
        if status is None:
            done, raw = os.waitpid(pid, os.WNOHANG)
            if done:
                status = raw
                child["done"] = True
                drain_until = now + DRAIN_AFTER_EXIT
                if child.get("slave", -1) >= 0:
                    os.close(child["slave"])  # the pty's other side: EIO once all it got was read
                    child["slave"] = -1
        if eof or (exited and (not readable or now >= drain_until)):  # not even a wake-up: quiet
            break
    if lazy.stream is not None:
        lazy.stream.close(time.monotonic())
    if status is None:
        status = os.waitpid(pid, 0)[1]
        child["done"] = True
    return status


def _run_portable(real: str, args: list[str], env: dict[str, str], setup: Setup) -> tuple[int, bool]:
    """Windows and other platforms without posix_spawn: a pipe and a reader thread."""
    import queue
    import signal
    import subprocess
    import threading

    chunks: queue.Queue[bytes] = queue.Queue()
    stopped = {"flag": False}

    def ignore(_signum: int, _frame: object) -> None:
        stopped["flag"] = True  # the console delivers Ctrl-C to the child as well

    previous = signal.signal(signal.SIGINT, ignore)
    try:
        process = subprocess.Popen([real, *args], env=env, stderr=subprocess.PIPE)  # noqa: S603
        assert process.stderr is not None
        pipe = process.stderr

        def reader() -> None:
            while True:
                data = pipe.read1(65536) if hasattr(pipe, "read1") else pipe.read(65536)
                chunks.put(data)
                if not data:
                    return

        threading.Thread(target=reader, daemon=True).start()
        on_line, on_tick = setup()
        stream = _Stream(on_line)
        finished_at: float | None = None
        while True:
            now = time.monotonic()
            deadline = on_tick(now)
            timeout = 1.0 if deadline is None else min(1.0, max(0.0, deadline - now))
            if stream.has_unshown():
                timeout = min(timeout, PARTIAL_HOLD)
            try:
                data = chunks.get(timeout=timeout)
            except queue.Empty:
                data = None
                if stream.has_unshown():
                    stream.flush_partial()
            if data == b"":
                break
            if data:
                stream.take(data, time.monotonic())
            if finished_at is None and process.poll() is not None:
                finished_at = time.monotonic()
            if finished_at is not None and (
                data is None or time.monotonic() - finished_at > DRAIN_AFTER_EXIT
            ):
                break
        stream.close(time.monotonic())
        return process.wait(), stopped["flag"]
    finally:
        signal.signal(signal.SIGINT, previous)
