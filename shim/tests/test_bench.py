from __future__ import annotations

import argparse
import os
import stat
import sys

import pytest
from conftest import make_executable

from leptos_fast import bench, spool, state
from leptos_fast.paths import Paths

FAKE_BUILD = """#!{python}
import os, sys, time
target = os.environ["CARGO_TARGET_DIR"]
os.makedirs(os.path.join(target, "debug"), exist_ok=True)
with open(os.environ["BENCH_CALLS"], "a") as f:
    f.write(" ".join(sys.argv[1:]) + "|" + target + "|" + os.environ.get("CARGO_PROFILE_DEV_DEBUG", "-") + "\\n")
sys.exit(0)
"""


@pytest.fixture
def leptos_project(tmp_path):
    project = tmp_path / "app"
    (project / "src" / "components").mkdir(parents=True)
    (project / "style").mkdir()
    (project / "target" / "debug").mkdir(parents=True)
    (project / "target" / "debug" / "keep.me").write_text("user cache")
    (project / "Cargo.toml").write_text(
        '[package]\nname = "app"\nversion = "0.1.0"\n\n[package.metadata.leptos]\nstyle-file = "style/main.scss"\n'
    )
    (project / "src" / "lib.rs").write_text("pub mod components;\n")
    (project / "src" / "components" / "mod.rs").write_text("view! { <p>hi</p> }\n")
    (project / "style" / "main.scss").write_text("body { color: red; }\n")
    return project


def test_bench__all_scenarios__table_separate_targets_mtime_only(
    tmp_path, leptos_project, home, capsys, monkeypatch
):
    calls = tmp_path / "calls.txt"
    real = make_executable(tmp_path / "cargo-leptos", FAKE_BUILD.format(python=sys.executable))
    monkeypatch.setenv("LEPTOS_FAST_REAL_CARGO_LEPTOS", str(real))
    monkeypatch.setenv("BENCH_CALLS", str(calls))
    paths = Paths()
    state.record_consent(paths, True)
    state.write_token(paths, "t")  # no service here: the detached sender will just fail quietly
    monkeypatch.setenv("LEPTOS_FAST_SERVER_URL", "http://127.0.0.1:9")
    lib = leptos_project / "src" / "lib.rs"
    before = {
        p: (p.read_bytes(), os.stat(p).st_atime_ns, os.stat(p).st_mtime_ns)
        for p in leptos_project.rglob("*")
        if p.is_file()
    }
    args = argparse.Namespace(runs=2, scenario=None, project=str(leptos_project), no_upload=False)
    assert bench.run_bench(args, paths, os.environ) == 0
    out = capsys.readouterr().out
    for scenario in bench.SCENARIOS:
        assert scenario in out
    assert "normal (median)" in out and "Queued 16 benchmark results" in out
    lines = calls.read_text().splitlines()
    assert len(lines) == 4 * 2 * 2 + 3 * 2  # runs + warm-ups
    assert all(line.startswith("leptos build") for line in lines)
    targets = {line.split("|")[1] for line in lines}
    assert all(t.startswith(paths.bench_dir) for t in targets)
    assert {line.split("|")[2] for line in lines} == {"-", "line-tables-only"}
    assert (leptos_project / "target" / "debug" / "keep.me").read_text() == "user cache"
    for path, (content, _atime, mtime) in before.items():
        assert path.read_bytes() == content
        if path in (lib, leptos_project / "src/components/mod.rs", leptos_project / "style/main.scss"):
            assert os.stat(path).st_mtime_ns > mtime  # (reading the files moves atime; see test_touch)
    events = spool.read(paths)
    assert len(events) == 16 and {e["kind"] for e in events} == {"bench"}
    assert {e["scenario"] for e in events} == set(bench.SCENARIOS) and {e["run"] for e in events} == {1, 2}
    assert len({e["session_id"] for e in events}) == 1


def test_bench__no_consent__nothing_queued(tmp_path, leptos_project, home, capsys, monkeypatch):
    real = make_executable(tmp_path / "cargo-leptos", FAKE_BUILD.format(python=sys.executable))
    monkeypatch.setenv("LEPTOS_FAST_REAL_CARGO_LEPTOS", str(real))
    monkeypatch.setenv("BENCH_CALLS", str(tmp_path / "calls.txt"))
    args = argparse.Namespace(runs=1, scenario=["cold"], project=str(leptos_project), no_upload=False)
    assert bench.run_bench(args, Paths(), os.environ) == 0
    assert "not uploaded" in capsys.readouterr().out
    assert spool.read(Paths()) == []


def test_touch__mtime_only(tmp_path):
    path = tmp_path / "f.rs"
    path.write_text("fn main() {}\n")
    os.utime(path, ns=(1_000_000_000, 2_000_000_000))
    bench.touch(str(path))
    info = os.stat(path)
    assert info.st_atime_ns == 1_000_000_000 and info.st_mtime_ns > 2_000_000_000
    assert path.read_text() == "fn main() {}\n"
    assert stat.S_ISREG(info.st_mode)
