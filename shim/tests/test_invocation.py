from __future__ import annotations

import os

from conftest import make_executable

from leptos_fast.cargo_shim import Invocation, find_real


def test_dev_fast__becomes_watch_without_shim_flags():
    inv = Invocation(["leptos", "dev", "--fast", "--hot-reload", "--", "--port", "3000", "--fast"])
    assert inv.command == "watch" and inv.fast and inv.measured
    assert inv.forward() == ["leptos", "watch", "--hot-reload", "--", "--port", "3000", "--fast"]
    assert inv.forward(["--lib-cargo-args=--config=x"], verbose=True) == [
        "leptos",
        "watch",
        "-v",
        "--lib-cargo-args=--config=x",
        "--hot-reload",
        "--",
        "--port",
        "3000",
        "--fast",
    ]


def test_dev_without_fast__watch_in_normal_mode():
    inv = Invocation(["leptos", "dev", "--quiet"])
    assert inv.command == "watch" and not inv.fast and inv.quiet
    assert inv.forward() == ["leptos", "watch"]


def test_global_options_before_the_subcommand():
    inv = Invocation(["leptos", "--manifest-path", "app/Cargo.toml", "--log", "wasm", "build", "--release"])
    assert inv.command == "build" and inv.release
    assert inv.forward() == [
        "leptos",
        "--manifest-path",
        "app/Cargo.toml",
        "--log",
        "wasm",
        "build",
        "--release",
    ]


def test_other_commands__forwarded_unchanged():
    for argv in (
        ["leptos", "new", "--git", "https://github.com/leptos-rs/start-axum"],
        ["leptos", "build", "--quiet"],
        ["leptos", "serve", "--", "--quiet"],
        ["leptos", "--help"],
        ["--version"],
        [],
    ):
        inv = Invocation(argv)
        assert not inv.changed
        assert inv.forward() == argv


def test_help_and_version_are_not_measured():
    assert not Invocation(["leptos", "watch", "--help"]).measured
    assert Invocation(["leptos", "end-to-end"]).measured


def test_user_verbose_detected():
    assert Invocation(["leptos", "watch", "-vv"]).user_verbose
    assert not Invocation(["leptos", "watch", "-vx"]).user_verbose


def test_find_real__path_after_own_dir__then_cargo_home(tmp_path):
    own, before, after, cargo_home = (tmp_path / n for n in ("own", "before", "after", "cargo-home"))
    for d in (own, before, after, cargo_home / "bin"):
        d.mkdir(parents=True)
    shim = make_executable(own / "cargo-leptos", "#!/bin/sh\n")
    make_executable(before / "cargo-leptos", "#!/bin/sh\n")
    path = os.pathsep.join(map(str, (before, own, after)))
    env = {"PATH": path, "CARGO_HOME": str(cargo_home)}
    assert find_real(str(shim), env) is None
    make_executable(cargo_home / "bin" / "cargo-leptos", "#!/bin/sh\n")
    assert find_real(str(shim), env) == str(cargo_home / "bin" / "cargo-leptos")
    make_executable(after / "cargo-leptos", "#!/bin/sh\n")
    assert find_real(str(shim), env) == str(after / "cargo-leptos")


def test_find_real__override_and_never_itself(tmp_path):
    shim = make_executable(tmp_path / "cargo-leptos", "#!/bin/sh\n")
    other = make_executable(tmp_path / "real", "#!/bin/sh\n")
    assert find_real(str(shim), {"LEPTOS_FAST_REAL_CARGO_LEPTOS": str(other)}) == str(other)
    assert find_real(str(shim), {"LEPTOS_FAST_REAL_CARGO_LEPTOS": str(shim)}) is None
    os.symlink(shim, tmp_path / "link")
    assert find_real(str(shim), {"PATH": str(tmp_path), "CARGO_HOME": str(tmp_path / "none")}) is None
