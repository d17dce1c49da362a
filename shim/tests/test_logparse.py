from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES

from leptos_fast import logparse
from leptos_fast.logparse import Tracker, clean, finished_seconds, is_verbose_only


def replay(name: str, command: str, *, exit_outcome: str = "success", end_gap: float = 0.5) -> list[dict]:
    """Feed a recorded log through the tracker with its recorded timing (no real waiting)."""
    events: list[dict] = []
    tracker = Tracker(command, 0.0, events.append, incremental=False, wall_offset=1_700_000_000.0)
    now = 0.0
    for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines():
        delay, _, text = line.partition(" ")
        now += float(delay)
        tracker.feed(now, clean(text))
        tracker.tick(now)
    tracker.finish(now + end_gap, exit_outcome)
    return events


def test_clean__ansi_and_osc8__plain_text():
    line = "\x1b[34m      Notify\x1b[0m lib source change \x1b]8;;file:///a/src/app.rs\x1b\\\x1b[90msrc/app.rs\x1b[0m\x1b]8;;\x1b\\"
    assert clean(line) == "Notify lib source change src/app.rs"


def test_clean__carriage_returns__last_redraw_wins():
    assert (
        clean("\x1b[1m Building\x1b[0m [==>  ] 1/3\r\x1b[K   Compiling app v0.1.0\r")
        == "Compiling app v0.1.0"
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("Finished `dev` profile [unoptimized + debuginfo] target(s) in 12.34s", 12.34),
        ("Finished `dev` profile [unoptimized + debuginfo] target(s) in 1m 05s", 65.0),
        ("Finished release [optimized] target(s) in 0.9s", 0.9),
        ("Finished `release` profile [optimized] target(s) in 2m 00s", 120.0),
        ("Finished something odd", None),
        ("not a finished line in 3.0s", None),
    ],
)
def test_finished_seconds(text, seconds):
    assert finished_seconds(text) == seconds


def test_verbose_only__notify_and_cargo_verbose_lines():
    assert is_verbose_only("Notify lib source change src/app.rs")
    assert is_verbose_only("Running `/home/u/.rustup/toolchains/x/bin/rustc --crate-name app ...`")
    assert is_verbose_only("Fresh serde v1.0.200")
    assert not is_verbose_only("Running unittests src/lib.rs (target/debug/deps/app-123)")
    assert not is_verbose_only("Watch updated [LibSource]")
    assert not is_verbose_only("Compiling app v0.1.0")


def test_watch_session__recorded_output__expected_events():
    events = replay("watch_session.log", "watch", exit_outcome="success")
    kinds = [(e["kind"], e["outcome"], e.get("trigger")) for e in events]
    assert kinds == [
        ("build", "success", None),
        ("rebuild", "success", None),
        ("hot_reload", "success", "rust"),
        ("hot_reload", "success", "style"),
        ("rebuild", "interrupted", None),
        ("rebuild", "success", None),
        ("hot_reload", "success", "rust"),
        ("rebuild", "failure", None),
        ("hot_reload", "failure", "rust"),
        ("hot_reload", "success", "view"),
        ("rebuild", "success", None),
        ("hot_reload", "failure", "rust"),
    ]
    initial = events[0]
    assert initial["incremental"] is False
    assert initial["crates_compiled"] == 2
    assert initial["phases_ms"] == {"front": 65000, "server": 12340}
    assert initial["duration_ms"] == 250  # from the start to "Serving at", as recorded
    first_rebuild = events[1]
    assert first_rebuild["incremental"] is True
    assert first_rebuild["phases_ms"] == {"front": 3210, "server": 2500}
    assert first_rebuild["crates_compiled"] == 1
    assert first_rebuild["duration_ms"] == 130
    # the restarted build's hot reload counts from the first edit of the chain
    interrupted, restarted, reload = events[4], events[5], events[6]
    assert interrupted["duration_ms"] == 50
    assert restarted["duration_ms"] == 80
    assert reload["time_to_reload_ms"] == 130
    view = events[9]
    assert view["patch_sent"] is True
    assert view["time_to_patch_ms"] == 10
    timeout = events[11]
    assert timeout["time_to_reload_ms"] is None and timeout["patch_sent"] is False
    assert all(1 <= e["duration_ms"] <= logparse.MAX_DURATION_MS for e in events)
    assert all(abs(e["at"] - 1_700_000_000.0) < 10 for e in events)


def test_build__success__one_build_event_with_process_wall_time():
    events = replay("build_ok.log", "build", end_gap=0.2)
    assert len(events) == 1
    build = events[0]
    assert build["kind"] == "build" and build["outcome"] == "success"
    assert build["duration_ms"] == 300  # 0.10 of log + 0.20 until exit
    assert build["phases_ms"] == {"front": 4200, "server": 65000}


def test_build__failure_line_and_exit_code__failure():
    events = replay("build_fail.log", "build", exit_outcome="failure")
    assert [(e["kind"], e["outcome"]) for e in events] == [("build", "failure")]


def test_build__interrupted_by_ctrl_c__interrupted():
    events = replay("build_ok.log", "build", exit_outcome="interrupted")
    assert events[0]["outcome"] == "interrupted"


def test_unknown_and_changed_lines__ignored_without_error():
    events: list[dict] = []
    tracker = Tracker("watch", 0.0, events.append, incremental=True)
    for i, text in enumerate(
        ["", "???", "Watch", "Notify", "Finished in xs", "\x1b[", "Reload", "Build", "Patching", "Cargo"]
    ):
        tracker.feed(float(i), clean(text))
    tracker.finish(20.0, "success")
    assert events == []  # nothing was built, nothing claimed


def test_watch_ended_by_ctrl_c_mid_rebuild__rebuild_interrupted():
    events: list[dict] = []
    tracker = Tracker("watch", 0.0, events.append, incremental=True)
    tracker.feed(1.0, "Finished `dev` profile [unoptimized] target(s) in 1.00s")
    tracker.feed(1.1, "Serving at http://127.0.0.1:3000")
    tracker.feed(5.0, "Notify lib source change src/lib.rs")
    tracker.feed(5.5, "Compiling app v0.1.0")
    tracker.finish(6.0, "interrupted")
    assert [(e["kind"], e["outcome"]) for e in events] == [("build", "success"), ("rebuild", "interrupted")]


def test_reload_success__finalised_after_grace_period_by_tick():
    events: list[dict] = []
    tracker = Tracker("watch", 0.0, events.append, incremental=True, reload_grace=10.0)
    tracker.feed(0.5, "Serving at http://127.0.0.1:3000")
    tracker.feed(1.0, "Notify style change style/main.scss")
    tracker.feed(1.2, "Watch updated [Style]")
    assert [e["kind"] for e in events] == ["build"]
    assert tracker.next_deadline() == pytest.approx(11.2)
    tracker.tick(5.0)
    assert len(events) == 1
    tracker.tick(11.2)
    assert events[-1]["kind"] == "hot_reload" and events[-1]["outcome"] == "success"


def test_initial_watch_build_failed__build_failure_then_cycles_continue():
    events: list[dict] = []
    tracker = Tracker("watch", 0.0, events.append, incremental=False)
    tracker.feed(2.0, "error: could not compile `app` (lib) due to 1 previous error")
    tracker.feed(2.1, "Build failed")
    tracker.feed(4.0, "Notify lib source change src/lib.rs")
    tracker.feed(6.0, "Watch updated [LibSource]")
    tracker.finish(7.0, "success")
    assert [(e["kind"], e["outcome"]) for e in events] == [
        ("build", "failure"),
        ("rebuild", "success"),
        ("hot_reload", "success"),
    ]


def test_fixture_files_have_real_escape_sequences():
    text = Path(FIXTURES / "watch_session.log").read_text(encoding="utf-8")
    assert "\x1b[" in text and "\x1b]8;;" in text and "1m 05s" in text
