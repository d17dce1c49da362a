"""The user's config file (`leptos-fast config`), a small TOML subset: `key = value` lines.

Values are strings in double quotes, `true` / `false`, or integers. Parsed with string methods only, because
the shim reads it on every start and `tomllib` is not in Python 3.9."""

from __future__ import annotations

import os

from .paths import Paths, read_bytes, write_atomic

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT_SERVER_URL = "https://pitwall.leptos.dev"

# key -> (type, default, help)
KEYS: dict[str, tuple[type, str | bool | int, str]] = {
    "server_url": (str, DEFAULT_SERVER_URL, "Pitwall service base URL (LEPTOS_FAST_SERVER_URL overrides it)"),
    "quiet": (bool, False, "hide the one-line summary of fast-mode settings at start"),
    "bench_runs": (int, 3, "runs per scenario and mode for `leptos-fast bench`"),
    "flags_ttl_minutes": (int, 15, "how old the flag snapshot may get before a background refresh"),
}


class ConfigError(ValueError):
    pass


def parse_value(key: str, text: str) -> str | bool | int:
    kind = KEYS[key][0]
    text = text.strip()
    if kind is bool:
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off"):
            return False
        raise ConfigError(f"{key}: expected true or false, got {text!r}")
    if kind is int:
        try:
            number = int(text)
        except ValueError:
            raise ConfigError(f"{key}: expected an integer, got {text!r}") from None
        if number < 1:
            raise ConfigError(f"{key}: must be at least 1")
        return number
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1]
    return text


def _format_value(value: str | bool | int) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Config:
    def __init__(self, values: dict[str, str | bool | int], path: str) -> None:
        self.values = values
        self.path = path

    @classmethod
    def load(cls, paths: Paths) -> Config:
        values: dict[str, str | bool | int] = {}
        raw = read_bytes(paths.config_file, 64 << 10)
        if raw:
            for line in raw.decode("utf-8", "replace").splitlines():
                line = line.strip()
                if not line or line.startswith("#") or "=" not in line:
                    continue
                key, _, text = line.partition("=")
                key = key.strip()
                if key in KEYS:
                    try:
                        values[key] = parse_value(key, text.split(" #", 1)[0])
                    except ConfigError:
                        continue  # a broken line must never stop a build
        return cls(values, paths.config_file)

    def get(self, key: str) -> str | bool | int:
        return self.values.get(key, KEYS[key][1])

    def set(self, key: str, text: str) -> None:
        if key not in KEYS:
            raise ConfigError(f"unknown key {key!r}; known keys: {', '.join(sorted(KEYS))}")
        self.values[key] = parse_value(key, text)

    def unset(self, key: str) -> None:
        if key not in KEYS:
            raise ConfigError(f"unknown key {key!r}")
        self.values.pop(key, None)

    def save(self) -> None:
        lines = ["# leptos-fast config; edit with `leptos-fast config set KEY VALUE`"]
        lines += [f"{key} = {_format_value(value)}" for key, value in sorted(self.values.items())]
        write_atomic(self.path, ("\n".join(lines) + "\n").encode(), 0o644)


def server_url(config: Config, env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    url = env.get("LEPTOS_FAST_SERVER_URL") or str(config.get("server_url"))
    return url.rstrip("/")
