"""Where the shim keeps its files.

`LEPTOS_FAST_HOME` puts config, cache and state under one directory (tests, portable setups); otherwise the
XDG base directories are used on Unix and %APPDATA% / %LOCALAPPDATA% on Windows. Only `os` is imported: this
module is on the shim's hot path."""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

APP = "leptos-fast"


def _xdg(env: Mapping[str, str], var: str, fallback: str) -> str:
    value = env.get(var, "")
    if value and os.path.isabs(value):
        return os.path.join(value, APP)
    return os.path.join(os.path.expanduser(fallback), APP)


class Paths:
    """The three directories and the files in them. Nothing is created until something is written."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        home = env.get("LEPTOS_FAST_HOME", "")
        if home:
            home = os.path.abspath(os.path.expanduser(home))
            self.config_dir = os.path.join(home, "config")
            self.cache_dir = os.path.join(home, "cache")
            self.state_dir = os.path.join(home, "state")
        elif os.name == "nt":
            roaming = env.get("APPDATA") or os.path.expanduser("~\\AppData\\Roaming")
            local = env.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
            self.config_dir = os.path.join(roaming, APP)
            self.cache_dir = os.path.join(local, APP, "cache")
            self.state_dir = os.path.join(local, APP, "state")
        else:
            self.config_dir = _xdg(env, "XDG_CONFIG_HOME", "~/.config")
            self.cache_dir = _xdg(env, "XDG_CACHE_HOME", "~/.cache")
            self.state_dir = _xdg(env, "XDG_STATE_HOME", "~/.local/state")

    # config
    @property
    def config_file(self) -> str:
        return os.path.join(self.config_dir, "config.toml")

    # state: things that must survive (identity, consent, queued events)
    @property
    def installation_file(self) -> str:
        return os.path.join(self.state_dir, "installation.json")

    @property
    def token_file(self) -> str:
        return os.path.join(self.state_dir, "token")

    @property
    def spool_file(self) -> str:
        return os.path.join(self.state_dir, "spool.jsonl")

    @property
    def spool_lock(self) -> str:
        return os.path.join(self.state_dir, "spool.lock")

    @property
    def spool_pending(self) -> str:
        return os.path.join(self.state_dir, "spool.pending")

    @property
    def sender_lock(self) -> str:
        return os.path.join(self.state_dir, "sender.lock")

    @property
    def sender_state(self) -> str:
        return os.path.join(self.state_dir, "sender.json")

    @property
    def sender_log(self) -> str:
        return os.path.join(self.state_dir, "sender.log")

    @property
    def pending_feedback(self) -> str:
        return os.path.join(self.state_dir, "feedback-pending.jsonl")

    # cache: things that can be rebuilt (flag snapshot, probed versions)
    @property
    def flags_file(self) -> str:
        return os.path.join(self.cache_dir, "flags.json")

    @property
    def facts_file(self) -> str:
        return os.path.join(self.cache_dir, "facts.json")

    @property
    def bench_dir(self) -> str:
        return os.path.join(self.cache_dir, "bench")


def ensure_dir(path: str) -> None:
    os.makedirs(path, mode=0o700, exist_ok=True)


def write_atomic(path: str, data: bytes, mode: int = 0o600) -> None:
    """Write via a temporary file and rename, so readers never see half a file."""
    ensure_dir(os.path.dirname(path))
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)  # the umask may have taken bits away from a token file
    with open(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def read_bytes(path: str, limit: int = 4 << 20) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read(limit)
    except OSError:
        return None
