"""The `env` object of an event: tool versions, project size and machine class. Never a path, name or source.

Probing rustc and cargo-leptos costs tens of milliseconds, so the results are cached (a day, keyed by the
binary and the project's toolchain file) and this runs only when an event is about to be recorded."""

from __future__ import annotations

import os
import re
import sys
import time

from . import __version__
from .paths import Paths, read_bytes, write_atomic

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

_SEMVER = r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.\-]+)?"
CACHE_SECONDS = 86_400


def os_name() -> str:
    if sys.platform.startswith("linux"):
        return "linux"
    if sys.platform == "darwin":
        return "macos"
    if sys.platform in ("win32", "cygwin"):
        return "windows"
    return "other"


def arch() -> str:
    machine = os.uname().machine if hasattr(os, "uname") else os.environ.get("PROCESSOR_ARCHITECTURE", "")
    machine = machine.lower()
    aliases = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64", "i686": "x86", "i386": "x86"}
    machine = aliases.get(machine, machine)
    return machine if re.fullmatch(r"[a-z0-9_]{1,16}", machine) else "other"


def memory_bytes() -> int | None:
    try:
        if sys.platform.startswith("linux"):
            raw = read_bytes("/proc/meminfo", 8192) or b""
            found = re.search(rb"^MemTotal:\s+(\d+)\s*kB", raw, re.MULTILINE)
            return int(found.group(1)) * 1024 if found else None
        if sys.platform == "darwin":
            import subprocess

            out = subprocess.run(
                ["/usr/sbin/sysctl", "-n", "hw.memsize"], capture_output=True, timeout=5, check=False
            )
            return int(out.stdout.strip() or 0) or None
        if sys.platform == "win32":
            import ctypes

            class MemoryStatus(ctypes.Structure):
                _fields_ = [
                    ("length", ctypes.c_ulong),
                    ("load", ctypes.c_ulong),
                    ("total_phys", ctypes.c_ulonglong),
                    ("avail_phys", ctypes.c_ulonglong),
                    ("total_page", ctypes.c_ulonglong),
                    ("avail_page", ctypes.c_ulonglong),
                    ("total_virtual", ctypes.c_ulonglong),
                    ("avail_virtual", ctypes.c_ulonglong),
                    ("avail_extended", ctypes.c_ulonglong),
                ]

            status = MemoryStatus()
            status.length = ctypes.sizeof(MemoryStatus)
            if ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):
                return int(status.total_phys)
    except (OSError, ValueError):
        return None
    return None


def memory_bucket(total: int | None) -> int | None:
    if not total:
        return None
    gib = total / (1 << 30)
    for bucket in (4, 8, 16, 32, 64):
        if gib <= bucket * 1.1:  # a "16 GB" machine reports a little less than 16 GiB
            return bucket
    return 128


def size_bucket(package_count: int | None) -> str | None:
    if package_count is None:
        return None
    return "small" if package_count < 150 else "medium" if package_count < 400 else "large"


def find_lockfile(start: str) -> str | None:
    directory = os.path.abspath(start)
    for _ in range(32):
        candidate = os.path.join(directory, "Cargo.lock")
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent
    return None


def lockfile_facts(text: str) -> dict[str, Any]:
    """Package count, local (workspace) packages and the leptos version from Cargo.lock's text."""
    blocks = text.split("[[package]]")[1:]
    members = 0
    leptos_version = None
    for block in blocks:
        if "\nsource = " not in block:
            members += 1
        name = re.search(r'^name = "([^"]+)"', block, re.MULTILINE)
        if name and name.group(1) == "leptos":
            version = re.search(r'^version = "([^"]+)"', block, re.MULTILINE)
            if version and re.fullmatch(_SEMVER, version.group(1)):
                leptos_version = version.group(1)
    return {
        "package_count": len(blocks) if blocks else None,
        "workspace_members": members if blocks else None,
        "leptos_version": leptos_version,
    }


def semver_in(text: str) -> str | None:
    found = re.search(_SEMVER, text)
    return found.group(0) if found else None


def toolchain_of(rustc_version: str | None) -> str | None:
    if rustc_version is None:
        return None
    if "nightly" in rustc_version or "-dev" in rustc_version:
        return "nightly"
    if "beta" in rustc_version:
        return "beta"
    return "stable"


def _run_version(argv: list[str], cwd: str, env: Mapping[str, str]) -> str | None:
    import subprocess

    try:
        done = subprocess.run(  # noqa: S603 - the user's own rustc / cargo-leptos
            argv,
            capture_output=True,
            timeout=20,
            check=False,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return semver_in(done.stdout.decode("utf-8", "replace")) if done.returncode == 0 else None


def _tool_key(real: str, project_dir: str, env: Mapping[str, str]) -> str:
    parts = [real, env.get("RUSTUP_TOOLCHAIN", ""), env.get("RUSTC", "")]
    for path in (
        real,
        os.path.join(project_dir, "rust-toolchain.toml"),
        os.path.join(project_dir, "rust-toolchain"),
    ):
        try:
            parts.append(str(os.stat(path).st_mtime_ns))
        except OSError:
            parts.append("-")
    return "|".join(parts)


def collect(
    paths: Paths, *, real: str, project_dir: str, env: Mapping[str, str], linker: str | None
) -> dict[str, Any]:
    import json

    lockfile = find_lockfile(project_dir)
    root = os.path.dirname(lockfile) if lockfile else project_dir
    raw = read_bytes(lockfile, 16 << 20) if lockfile else None
    project = lockfile_facts(raw.decode("utf-8", "replace")) if raw else {}

    cache: dict[str, Any] = {}
    cached = read_bytes(paths.facts_file, 1 << 20)
    if cached:
        try:
            loaded = json.loads(cached)
            cache = loaded if isinstance(loaded, dict) else {}
        except ValueError:
            cache = {}
    key = _tool_key(real, root, env)
    tools = cache.get("tools", {}).get(key)
    now = time.time()
    if not isinstance(tools, dict) or now - float(tools.get("at", 0)) > CACHE_SECONDS:
        rustc = _run_version([env.get("RUSTC") or "rustc", "-V"], root, env)
        tools = {"at": now, "rustc": rustc, "cargo_leptos": _run_version([real, "--version"], root, env)}
        machine = {"memory_gb": memory_bucket(memory_bytes())}
        cache = {"tools": {key: tools}, "machine": machine}
        try:
            write_atomic(paths.facts_file, json.dumps(cache).encode(), 0o644)
        except OSError:
            pass
    machine = cache.get("machine", {})
    cpu = os.cpu_count()
    package_count = project.get("package_count")
    return {
        "shim_version": __version__,
        "cargo_leptos_version": tools.get("cargo_leptos"),
        "rustc_version": tools.get("rustc"),
        "leptos_version": project.get("leptos_version"),
        "toolchain": toolchain_of(tools.get("rustc")),
        "os": os_name(),
        "arch": arch(),
        "cpu_count": min(1024, cpu) if cpu else None,
        "memory_gb": machine.get("memory_gb") if isinstance(machine, dict) else None,
        "size_bucket": size_bucket(package_count),
        "package_count": package_count,
        "workspace_members": project.get("workspace_members"),
        "linker": linker,
    }
