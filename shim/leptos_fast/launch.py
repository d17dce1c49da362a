"""Starting the background sender, kept apart so the shim's hot path imports nothing heavy to do it."""

from __future__ import annotations

import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

GUARD = "LEPTOS_FAST_DEPTH"


def flags_age(cache_dir: str, now: float | None = None) -> float:
    """Seconds since the flag snapshot was fetched or a refresh was last tried (two stat calls)."""
    newest = 0.0
    for name in ("flags.json", "flags.attempt"):
        try:
            newest = max(newest, os.stat(os.path.join(cache_dir, name)).st_mtime)
        except OSError:
            pass
    return (time.time() if now is None else now) - newest


def backoff_marker(state_dir: str) -> str:
    """A file whose modification time is when the sender may try again (set after 429 / 5xx / errors)."""
    return os.path.join(state_dir, "sender.backoff")


def sender_wanted(state_dir: str, *, refresh: bool) -> bool:
    """Whether starting a sender now could do anything: not in backoff, and none already running."""
    try:
        if os.stat(backoff_marker(state_dir)).st_mtime > time.time() and not refresh:
            return False
    except OSError:
        pass
    if os.name == "nt":
        return True
    import fcntl

    try:
        fd = os.open(os.path.join(state_dir, "sender.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released by the close below
    except OSError:
        return False  # a sender is running; it picks up what is queued now as well
    finally:
        os.close(fd)
    return True


def spawn_sender(env: Mapping[str, str]) -> None:
    """Run `leptos_fast.sender.main` detached (own session, no stdio) and do not wait for it."""
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = f"import sys;sys.path[0]={package_parent!r};from leptos_fast.sender import main;sys.exit(main())"
    argv = [sys.executable, "-c", code]
    child_env = {key: value for key, value in env.items() if key != GUARD}
    try:
        if hasattr(os, "posix_spawn"):
            actions = [
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
            ]
            os.posix_spawn(sys.executable, argv, child_env, file_actions=actions, setsid=True)
        else:
            import subprocess

            flags = getattr(subprocess, "DETACHED_PROCESS", 0) | getattr(
                subprocess, "CREATE_NEW_PROCESS_GROUP", 0
            )
            subprocess.Popen(  # noqa: S603 - our own interpreter
                argv,
                env=child_env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                creationflags=flags,
                close_fds=True,
            )
    except OSError:
        pass  # telemetry must never break the build
