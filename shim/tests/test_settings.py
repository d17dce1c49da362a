from __future__ import annotations

import json
import time

import pytest

from leptos_fast import settings as fast
from leptos_fast.paths import Paths

PLAN_DEV_FAST = {
    "schema": 1,
    "profile": {"opt-level": 0, "debug": True, "incremental": True, "codegen-units": 16},
    "host_rustflags": [],
    "env": {},
    "lib_cargo_args": [],
    "bin_cargo_args": [],
}


def snapshot(payload, *, variant="plan-dev-fast", value=True, age=0.0):
    flag = {"value": value, "variant": variant, "reason": "TARGETING_MATCH"}
    if payload is not None:
        flag["payload"] = payload if isinstance(payload, str) else json.dumps(payload)
    return {"fetched_at": time.time() - age, "etag": '"x"', "flags": {"fast-mode": flag}}


def test_builtin__tuned_line_tables():
    settings = fast.builtin()
    assert settings.variant == "builtin-default" and settings.source == "default"
    assert settings.profile == {"opt-level": "0", "debug": "line-tables-only", "incremental": "true"}


def test_resolve__no_snapshot__builtin_default():
    assert fast.resolve(None, ttl_seconds=900).source == "default"


def test_resolve__fresh_and_cached_payload():
    fresh = fast.resolve(snapshot(PLAN_DEV_FAST), ttl_seconds=900)
    assert (fresh.variant, fresh.source) == ("plan-dev-fast", "fresh")
    assert fresh.profile == {"opt-level": "0", "debug": "true", "incremental": "true", "codegen-units": "16"}
    cached = fast.resolve(snapshot(PLAN_DEV_FAST, age=3600), ttl_seconds=900)
    assert cached.source == "cached"


def test_resolve__flag_off__builtin_with_reason():
    settings = fast.resolve(snapshot(None, variant="disabled", value=False), ttl_seconds=900)
    assert settings.variant == "builtin-default" and "off" in settings.note


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        [],
        {**PLAN_DEV_FAST, "schema": 2},
        {**PLAN_DEV_FAST, "surprise": 1},
        {**PLAN_DEV_FAST, "profile": {"panic": "abort"}},
        {**PLAN_DEV_FAST, "profile": {"opt-level": 7}},
        {**PLAN_DEV_FAST, "profile": {"debug": "everything"}},
        {**PLAN_DEV_FAST, "env": {"RUSTFLAGS": "-Cpanic=abort"}},
        {**PLAN_DEV_FAST, "env": {"CARGO_ENCODED_RUSTFLAGS": "x"}},
        {**PLAN_DEV_FAST, "env": {"CARGO_BUILD_RUSTFLAGS": "x"}},
        {**PLAN_DEV_FAST, "env": {"CARGO_PROFILE_DEV_PANIC": "abort"}},
        {**PLAN_DEV_FAST, "env": {"LEPTOS_SITE_ADDR": "0.0.0.0:1"}},
        {**PLAN_DEV_FAST, "env": {"CARGO_HOME": "/tmp"}},
        {**PLAN_DEV_FAST, "host_rustflags": ["-C", "panic=abort"]},
        {**PLAN_DEV_FAST, "host_rustflags": ["-C link-arg=x"]},
        {**PLAN_DEV_FAST, "lib_cargo_args": ["--config=profile.dev.panic='abort'"]},
        {**PLAN_DEV_FAST, "lib_cargo_args": ["--config=build.rustflags=['-Cx']"]},
        {**PLAN_DEV_FAST, "bin_cargo_args": ["--features=evil"]},
    ],
)
def test_resolve__invalid_or_forbidden_payload__builtin(payload):
    settings = fast.resolve(snapshot(payload), ttl_seconds=900)
    assert settings.variant == "builtin-default"
    assert "refused" in settings.note


def test_validate__full_payload__accepted():
    payload = {
        "schema": 1,
        "profile": {
            "opt-level": 1,
            "debug": "line-tables-only",
            "incremental": True,
            "split-debuginfo": "unpacked",
        },
        "host_rustflags": ["-C", "link-arg=-fuse-ld=mold"],
        "env": {"CARGO_BUILD_JOBS": "8"},
        "lib_cargo_args": ["--config=profile.dev.package.leptos_macro.opt-level=3"],
        "bin_cargo_args": ["--config=profile.dev.codegen-units=64"],
    }
    settings = fast.validate(payload, variant="mold-v1", source="fresh")
    assert settings.linker() == "mold"
    assert settings.profile["split-debuginfo"] == "unpacked"


def test_apply__env_args_and_host_only_rustflags(tmp_path):
    paths = Paths({"LEPTOS_FAST_HOME": str(tmp_path)})
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "host-triple").write_text("x86_64-unknown-linux-gnu\n")  # cached: rustc is not run
    settings = fast.validate(
        {
            "schema": 1,
            "profile": {"debug": "line-tables-only", "codegen-units": 16},
            "host_rustflags": ["-C", "link-arg=-fuse-ld=mold"],
            "env": {"CARGO_BUILD_JOBS": "4"},
            "lib_cargo_args": ["--config=profile.dev.opt-level=1"],
            "bin_cargo_args": [],
        },
        variant="v",
        source="fresh",
    )
    env = {"CARGO_PROFILE_DEV_CODEGEN_UNITS": "256", "PATH": "/bin"}
    args, applied, kept = fast.apply(settings, env, paths)
    assert args == ["--lib-cargo-args=--config=profile.dev.opt-level=1"]
    assert env["CARGO_PROFILE_DEV_DEBUG"] == "line-tables-only"
    assert env["CARGO_PROFILE_DEV_CODEGEN_UNITS"] == "256"  # the user's own choice wins
    assert kept == ["CARGO_PROFILE_DEV_CODEGEN_UNITS"]
    assert env["CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS"] == "-C link-arg=-fuse-ld=mold"
    assert "RUSTFLAGS" not in env and "CARGO_ENCODED_RUSTFLAGS" not in env
    assert not any(name.startswith("LEPTOS_") for name in env)
    assert set(applied) == {"CARGO_PROFILE_DEV_DEBUG", "CARGO_BUILD_JOBS"}


def test_host_triple__from_rustc_then_cached(tmp_path):
    paths = Paths({"LEPTOS_FAST_HOME": str(tmp_path)})
    import os

    triple = fast.host_triple(paths, dict(os.environ))
    assert triple and "-" in triple
    assert (tmp_path / "cache" / "host-triple").read_text().strip() == triple
    assert fast.host_triple(paths, {"RUSTC": "/nonexistent/rustc"}) == triple
