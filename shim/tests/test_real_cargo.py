"""Fast-mode overrides reach rustc: a stand-in cargo-leptos runs the real `cargo build -v` on a tiny crate."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import shim_env

pytestmark = pytest.mark.e2e


@pytest.fixture
def crate(tmp_path: Path) -> Path:
    directory = tmp_path / "tiny"
    (directory / "src").mkdir(parents=True)
    (directory / "Cargo.toml").write_text('[package]\nname = "tiny"\nversion = "0.1.0"\nedition = "2021"\n')
    (directory / "src" / "lib.rs").write_text("pub fn answer() -> u32 { 42 }\n")
    return directory


def build(installed, standin, home, crate, tmp_path, *args: str) -> str:
    record = tmp_path / f"record-{'-'.join(args)}.json"
    env = shim_env(
        home,
        installed,
        standin,
        STANDIN_RECORD=str(record),
        STANDIN_CRATE=str(crate),
        CARGO_TARGET_DIR=str(tmp_path / f"target-{'-'.join(args)}"),
    )
    done = subprocess.run(["cargo", "leptos", *args], env=env, cwd=crate, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(record.read_text())["cargo_stderr"]


def test_fast_mode__profile_overrides_reach_rustc(installed, standin, home, crate, tmp_path):
    fast = build(installed, standin, home, crate, tmp_path, "build", "--fast")
    rustc = [line for line in fast.splitlines() if "--crate-name tiny" in line]
    assert rustc and "-C debuginfo=line-tables-only" in rustc[0]
    assert "panic" not in rustc[0]


def test_normal_mode__no_overrides(installed, standin, home, crate, tmp_path):
    normal = build(installed, standin, home, crate, tmp_path, "build")
    rustc = [line for line in normal.splitlines() if "--crate-name tiny" in line]
    assert rustc and "-C debuginfo=2" in rustc[0]
    assert "line-tables-only" not in normal
