"""Installing the shim into a fresh venv offline, for the e2e tests and bench/shim_overhead.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def build_wheel(source: Path, out_dir: Path) -> Path:
    """A plain wheel of the shim, written with zipfile: pip then installs it offline and generates the real
    console scripts from its entry points. Used when the offline setuptools cannot build wheels itself
    (setuptools < 70.1 without the `wheel` package)."""
    import base64
    import hashlib
    import re
    import zipfile

    pyproject = (source / "pyproject.toml").read_text()
    version = re.search(r'^version = "([^"]+)"', pyproject, re.MULTILINE).group(1)
    scripts = re.findall(r'^([\w-]+) = "(leptos_fast[\w.]*:\w+)"', pyproject, re.MULTILINE)
    dist_info = f"leptos_fast-{version}.dist-info"
    files: dict[str, bytes] = {}
    for path in sorted((source / "leptos_fast").glob("*.py")):
        files[f"leptos_fast/{path.name}"] = path.read_bytes()
    files[f"{dist_info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: leptos-fast\nVersion: {version}\n".encode()
    )
    files[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    entry_points = "[console_scripts]\n" + "".join(f"{name} = {target}\n" for name, target in scripts)
    files[f"{dist_info}/entry_points.txt"] = entry_points.encode()
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = out_dir / f"leptos_fast-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return wheel


def install_shim(shim_dir: Path, root: Path, env: dict[str, str]) -> Path:
    """`pip install --no-deps --no-build-isolation ./shim` into a new venv; returns its bin directory.

    If the offline setuptools cannot build wheels (setuptools < 70.1 without the `wheel` package), pip installs
    a wheel made by `build_wheel` instead. Either way the console scripts are the ones pip generates.
    """
    source = root / "shim-src"
    shutil.copytree(
        shim_dir,
        source,
        ignore=shutil.ignore_patterns("tests", "build", "*.egg-info", "__pycache__", ".*cache"),
    )
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    pip = [
        str(bin_dir / "python"),
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "-q",
    ]
    env = {**env, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    done = subprocess.run([*pip, str(source)], capture_output=True, env=env)
    if done.returncode != 0:
        assert b"bdist_wheel" in done.stdout + done.stderr, done.stdout + done.stderr
        subprocess.run([*pip, str(build_wheel(source, root))], check=True, capture_output=True, env=env)
    assert (bin_dir / "cargo-leptos").exists() and (bin_dir / "leptos-fast").exists()
    return bin_dir
