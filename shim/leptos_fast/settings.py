"""Fast-mode settings: the flag's variant payload, validated strictly, turned into env overrides and args.

Nothing here edits the user's files. Settings reach cargo through `CARGO_PROFILE_DEV_*` variables, a host-
only `CARGO_TARGET_<HOST_TRIPLE>_RUSTFLAGS` (the wasm build links with rust-lld, so never a global linker)
and cargo-leptos's `--lib-cargo-args` / `--bin-cargo-args`. `RUSTFLAGS` and `CARGO_ENCODED_RUSTFLAGS` are
never set (cargo-leptos sets `RUSTFLAGS` itself and cargo reads one rustflags source only), `panic` is never
touched (a panic would kill the dev server) and no `LEPTOS_*` variable is added (cargo-leptos warns about
unknown ones)."""

from __future__ import annotations

import os
import time

from .paths import Paths, read_bytes, write_atomic

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

FLAG_KEY = "fast-mode"
BUILTIN_VARIANT = "builtin-default"
SCHEMA = 1

# The service's "tuned-line-tables" variant: full debug info is the largest cost of a dev build that nobody
# reads in a watch loop; line tables keep panics' backtraces useful.
BUILTIN_PAYLOAD: dict[str, Any] = {
    "schema": 1,
    "profile": {
        "opt-level": 0,
        "debug": "line-tables-only",
        "incremental": True,
        "codegen-units": None,
        "split-debuginfo": None,
    },
    "host_rustflags": [],
    "env": {},
    "lib_cargo_args": [],
    "bin_cargo_args": [],
}

PROFILE_ENV = {
    "opt-level": "CARGO_PROFILE_DEV_OPT_LEVEL",
    "debug": "CARGO_PROFILE_DEV_DEBUG",
    "incremental": "CARGO_PROFILE_DEV_INCREMENTAL",
    "codegen-units": "CARGO_PROFILE_DEV_CODEGEN_UNITS",
    "split-debuginfo": "CARGO_PROFILE_DEV_SPLIT_DEBUGINFO",
}
_DEBUG_WORDS = ("none", "line-directives-only", "line-tables-only", "limited", "full")
# `re` is imported where a pattern is used: the built-in settings (and an empty list) need none, and this
# module loads on every --fast start.
_ENV_NAME = r"CARGO_[A-Z0-9_]{1,100}"
_ENV_DENIED = ("CARGO_HOME", "CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR")
_CARGO_ARG = r"--config=profile\.dev\.[A-Za-z0-9_.\-]{1,100}=[^\s]{1,200}"
_FORBIDDEN = r"(?i)rustflags|panic"
_VARIANT_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


class InvalidPayload(ValueError):
    pass


class FastSettings:
    """Settings in force for one run, with where they came from (`fresh`, `cached` or `default`)."""

    def __init__(
        self,
        *,
        variant: str,
        source: str,
        profile: dict[str, str],
        host_rustflags: list[str],
        env: dict[str, str],
        lib_cargo_args: list[str],
        bin_cargo_args: list[str],
        note: str = "",
    ) -> None:
        self.variant = variant
        self.source = source
        self.profile = profile
        self.host_rustflags = host_rustflags
        self.env = env
        self.lib_cargo_args = lib_cargo_args
        self.bin_cargo_args = bin_cargo_args
        self.note = note

    def describe(self) -> str:
        parts = [f"{key}={value}" for key, value in self.profile.items()]
        if self.host_rustflags:
            parts.append("host rustflags: " + " ".join(self.host_rustflags))
        if self.env:
            parts.append("env: " + " ".join(sorted(self.env)))
        for arg in self.lib_cargo_args:
            parts.append(f"lib: {arg}")
        for arg in self.bin_cargo_args:
            parts.append(f"bin: {arg}")
        return ", ".join(parts) or "cargo defaults"

    def linker(self) -> str | None:
        """The linker named in the host flags (`mold`, `lld`, ...), never a path."""
        import re

        for flag in self.host_rustflags:
            found = re.search(r"fuse-ld=(?:.*/)?([A-Za-z0-9_.\-]+)", flag) or re.search(
                r"linker=(?:.*[/\\])?([A-Za-z0-9_.\-]+)", flag
            )
            if found:
                return found.group(1)[:32]
        return None


def _profile_value(key: str, value: object) -> str | None:
    if value is None:
        return None
    if key == "opt-level":
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3:
            return str(value)
        if value in ("s", "z"):
            return str(value)
    elif key == "debug":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int) and 0 <= value <= 2:
            return str(value)
        if value in _DEBUG_WORDS:
            return str(value)
    elif key == "incremental":
        if isinstance(value, bool):
            return "true" if value else "false"
    elif key == "codegen-units":
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 4096:
            return str(value)
    elif key == "split-debuginfo":
        if value in ("off", "packed", "unpacked"):
            return str(value)
    else:
        raise InvalidPayload(f"unknown profile key {key!r}")
    raise InvalidPayload(f"bad value for profile.{key}: {value!r}")


def _valid_variant(name: str) -> bool:
    """`[A-Za-z0-9][A-Za-z0-9_.-]{0,63}`, without `re`."""
    return 0 < len(name) <= 64 and name[0] not in "_.-" and all(char in _VARIANT_CHARS for char in name)


def _string_list(payload: Mapping[str, Any], key: str, pattern: str | None) -> list[str]:
    value = payload.get(key, [])
    if not isinstance(value, list) or len(value) > 32:
        raise InvalidPayload(f"{key} must be a list of at most 32 strings")
    if value:
        import re
    for item in value:
        if not isinstance(item, str) or not item or len(item) > 256 or any(c.isspace() for c in item):
            raise InvalidPayload(f"{key}: bad entry {item!r}")
        if "\0" in item or re.search(_FORBIDDEN, item):
            raise InvalidPayload(f"{key}: refused entry {item!r}")
        if pattern is not None and not re.fullmatch(pattern, item):
            raise InvalidPayload(f"{key}: only --config=profile.dev.KEY=VALUE is allowed, not {item!r}")
    return list(value)


def validate(payload: object, *, variant: str, source: str) -> FastSettings:
    """Turn a variant payload into settings, or raise InvalidPayload: anything unexpected is refused."""
    if not isinstance(payload, dict):
        raise InvalidPayload("payload is not an object")
    unknown = set(payload) - {
        "schema",
        "profile",
        "host_rustflags",
        "env",
        "lib_cargo_args",
        "bin_cargo_args",
    }
    if unknown:
        raise InvalidPayload(f"unknown keys {sorted(unknown)}")
    if payload.get("schema") != SCHEMA:
        raise InvalidPayload(f"unsupported schema {payload.get('schema')!r}")
    if not _valid_variant(variant):
        raise InvalidPayload(f"bad variant name {variant!r}")
    raw_profile = payload.get("profile", {})
    if not isinstance(raw_profile, dict):
        raise InvalidPayload("profile is not an object")
    profile: dict[str, str] = {}
    for key, value in raw_profile.items():
        text = _profile_value(key, value)
        if text is not None:
            profile[key] = text
    raw_env = payload.get("env", {})
    if not isinstance(raw_env, dict) or len(raw_env) > 32:
        raise InvalidPayload("env must be an object of at most 32 entries")
    env: dict[str, str] = {}
    if raw_env:
        import re
    for name, value in raw_env.items():
        if not isinstance(name, str) or not re.fullmatch(_ENV_NAME, name) or name in _ENV_DENIED:
            raise InvalidPayload(f"env: refused name {name!r}")
        if re.search(_FORBIDDEN, name):
            raise InvalidPayload(f"env: refused name {name!r}")
        if not isinstance(value, str) or len(value) > 1024 or "\0" in value:
            raise InvalidPayload(f"env: bad value for {name}")
        env[name] = value
    return FastSettings(
        variant=variant,
        source=source,
        profile=profile,
        host_rustflags=_string_list(payload, "host_rustflags", None),
        env=env,
        lib_cargo_args=_string_list(payload, "lib_cargo_args", _CARGO_ARG),
        bin_cargo_args=_string_list(payload, "bin_cargo_args", _CARGO_ARG),
    )


def builtin(note: str = "") -> FastSettings:
    settings = validate(BUILTIN_PAYLOAD, variant=BUILTIN_VARIANT, source="default")
    settings.note = note
    return settings


def resolve(
    snapshot: Mapping[str, Any] | None, *, ttl_seconds: float, now: float | None = None
) -> FastSettings:
    """Settings from the flag snapshot's variant payload, else the built-in default."""
    if not snapshot:
        return builtin("no answer from the service yet")
    flags = snapshot.get("flags")
    flag = flags.get(FLAG_KEY) if isinstance(flags, dict) else None
    if not isinstance(flag, dict) or flag.get("value") is not True:
        return builtin("the fast-mode flag is off for this installation")
    fetched_at = snapshot.get("fetched_at")
    age = (time.time() if now is None else now) - (fetched_at if isinstance(fetched_at, (int, float)) else 0)
    source = "fresh" if age <= ttl_seconds else "cached"
    try:
        import json

        payload = flag.get("payload")
        if not isinstance(payload, str):
            raise InvalidPayload("no payload")
        return validate(json.loads(payload), variant=str(flag.get("variant") or ""), source=source)
    except (InvalidPayload, ValueError) as error:
        return builtin(f"service payload refused ({error})")


def load_snapshot(paths: Paths) -> dict[str, Any] | None:
    raw = read_bytes(paths.flags_file, 1 << 20)
    if not raw:
        return None
    import json

    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def host_triple(paths: Paths, env: Mapping[str, str]) -> str | None:
    """The host triple from `rustc -vV`, cached: rustc is not run on every start."""
    cache = os.path.join(paths.cache_dir, "host-triple")
    raw = read_bytes(cache, 256)
    if raw and raw.strip():
        return raw.decode("ascii", "replace").strip()
    import subprocess

    try:
        output = subprocess.run(  # noqa: S603 - the user's own rustc
            [env.get("RUSTC") or "rustc", "-vV"], capture_output=True, timeout=30, check=False, env=dict(env)
        ).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.SubprocessError):
        return None
    import re

    found = re.search(r"^host:\s*(\S+)", output, re.MULTILINE)
    if not found:
        return None
    try:
        write_atomic(cache, found.group(1).encode() + b"\n", 0o644)
    except OSError:
        pass
    return found.group(1)


def target_rustflags_var(triple: str) -> str:
    import re

    return "CARGO_TARGET_" + re.sub(r"[^A-Za-z0-9]", "_", triple).upper() + "_RUSTFLAGS"


def apply(
    settings: FastSettings, env: dict[str, str], paths: Paths
) -> tuple[list[str], list[str], list[str]]:
    """Add the settings to `env` in place; return (extra args, variables set, variables the user already set).

    A variable the user set explicitly wins over fast mode, so a deliberate choice is never overridden.
    """
    wanted: dict[str, str] = {PROFILE_ENV[key]: value for key, value in settings.profile.items()}
    wanted.update(settings.env)
    if settings.host_rustflags:
        triple = host_triple(paths, env)
        if triple:
            name = target_rustflags_var(triple)
            existing = env.get(name, "").strip()
            env[name] = (existing + " " if existing else "") + " ".join(settings.host_rustflags)
    applied: list[str] = []
    kept: list[str] = []
    for name, value in wanted.items():
        if name in env:
            kept.append(name)
        else:
            env[name] = value
            applied.append(name)
    args = [f"--lib-cargo-args={arg}" for arg in settings.lib_cargo_args]
    args += [f"--bin-cargo-args={arg}" for arg in settings.bin_cargo_args]
    return args, applied, kept
