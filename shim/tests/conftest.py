from __future__ import annotations

import os
import shutil
import stat
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest

SHIM_DIR = Path(__file__).resolve().parents[1]
TESTS_DIR = Path(__file__).resolve().parent
FIXTURES = TESTS_DIR / "fixtures"
sys.path.insert(0, str(SHIM_DIR))
sys.path.insert(0, str(TESTS_DIR))

from fakeservice import FakeService  # noqa: E402
from wheelbuild import install_shim  # noqa: E402

from leptos_fast.privacy import CI_VARS  # noqa: E402


def scrubbed_environ() -> dict[str, str]:
    """The test process's environment without anything that would change the shim's behaviour."""
    return {
        key: value
        for key, value in os.environ.items()
        if key not in CI_VARS
        and key != "DO_NOT_TRACK"
        and not key.startswith(("LEPTOS_FAST_", "STANDIN_", "CARGO_PROFILE_", "CARGO_TARGET_"))
    }


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for key in list(os.environ):
        if key in CI_VARS or key == "DO_NOT_TRACK" or key.startswith(("LEPTOS_FAST_", "STANDIN_")):
            monkeypatch.delenv(key)
    home = tmp_path / "lf-home"
    monkeypatch.setenv("LEPTOS_FAST_HOME", str(home))
    return home


@pytest.fixture
def home(clean_environ: Path) -> Path:
    return clean_environ


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.01) -> Any:
    """Poll a condition until it holds or the deadline passes (never a blind sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


@pytest.fixture
def service():
    fake = FakeService()
    yield fake
    fake.close()


def make_executable(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.fixture
def standin(tmp_path: Path) -> Path:
    """A directory holding a stand-in `cargo-leptos` (the "real" binary)."""
    directory = tmp_path / "real-bin"
    directory.mkdir()
    source = (TESTS_DIR / "standin_cargo_leptos.py").read_text()
    make_executable(directory / "cargo-leptos", f"#!{sys.executable}\n{source}")
    return directory


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shim installed with pip into a fresh venv, offline: the venv's bin directory."""
    return install_shim(SHIM_DIR, tmp_path_factory.mktemp("venv"), scrubbed_environ())


def cargo_bin_dir() -> str:
    cargo = shutil.which("cargo")
    assert cargo, "cargo must be on PATH for these tests"
    return str(Path(cargo).parent)


def shim_env(
    home: Path, *path_dirs: Path | str, service_url: str | None = None, **extra: str
) -> dict[str, str]:
    env = scrubbed_environ()
    env["PATH"] = os.pathsep.join([*(str(p) for p in path_dirs), cargo_bin_dir(), "/usr/bin", "/bin"])
    env["LEPTOS_FAST_HOME"] = str(home)
    env["LEPTOS_FAST_SERVER_URL"] = service_url or "http://127.0.0.1:9"  # nothing listens on port 9
    env.update(extra)
    return env
