from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from test_spool_sender import make_events

from leptos_fast import cli, spool, state
from leptos_fast.notice import TELEMETRY_DOC_URL
from leptos_fast.paths import Paths


@pytest.fixture
def server(service, monkeypatch):
    monkeypatch.setenv("LEPTOS_FAST_SERVER_URL", service.url)
    return service


@pytest.fixture
def paths(home) -> Paths:
    return Paths()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_enroll__registers_then_links__token_private(server, paths, capsys):
    code, out, err = run(capsys, "enroll", "abcd efgh")
    assert code == 0, err
    assert "beta ring" in out
    assert server.paths_requested()[:2] == [
        "POST /api/v1/installations",
        "POST /api/v1/installations/me/link",
    ]
    link = next(r for r in server.requests if r["path"].endswith("/link"))
    assert link["json"] == {"code": "ABCD-EFGH"}
    platform = next(iter(server.installations.values()))["platform"]
    assert set(platform) == {"os", "arch", "shim_version"}
    token = state.read_token(paths)
    assert token and token not in out + err
    assert stat.S_IMODE(os.stat(paths.token_file).st_mode) == 0o600
    assert state.load_installation(paths)["ring"] == "beta"
    assert not state.consent_given(paths)  # enrolling does not turn telemetry on
    assert os.path.exists(paths.flags_file)


@pytest.mark.parametrize(
    ("code", "message"),
    [("ZZZZ-ZZZZ", "does not exist"), ("ABC", "8 letters"), ("ABCD-EFGU", "8 letters")],
)
def test_enroll__bad_codes__clear_message(server, capsys, code, message):
    exit_code, _out, err = run(capsys, "enroll", code)
    assert exit_code == 1 and message in err


def test_enroll__used_code__explained(server, capsys):
    assert run(capsys, "enroll", "ABCD-EFGH")[0] == 0
    server.installations.clear()
    state.forget(Paths())
    code, _out, err = run(capsys, "enroll", "abcdefgh")
    assert code == 1 and "already used" in err


def test_before_opt_in__no_command_but_explicit_ones_contacts_service(server, capsys):
    run(capsys, "status")
    run(capsys, "telemetry", "status")
    run(capsys, "telemetry", "show")
    run(capsys, "config", "list")
    assert server.requests == []


def test_telemetry_on__notice_registration_consent(server, paths, capsys):
    code, out, _ = run(capsys, "telemetry", "on")
    assert code == 0
    assert TELEMETRY_DOC_URL in out and "Never sent" in out
    assert state.consent_given(paths)
    (installation,) = server.installations.values()
    assert installation["telemetry_consent"] is True and installation["consent_version"] == "1"


def test_telemetry_off__local_first_then_service(server, paths, capsys):
    run(capsys, "telemetry", "on")
    spool.append(paths, make_events(2))
    code, _out, _ = run(capsys, "telemetry", "off")
    assert code == 0 and not state.consent_given(paths)
    assert spool.read(paths) == []
    (installation,) = server.installations.values()
    assert installation["telemetry_consent"] is False


def test_telemetry_off__service_down__still_off_locally(server, paths, capsys, monkeypatch):
    run(capsys, "telemetry", "on")
    monkeypatch.setenv("LEPTOS_FAST_SERVER_URL", "http://127.0.0.1:9")
    code, out, _ = run(capsys, "telemetry", "off")
    assert code == 0 and not state.consent_given(paths) and "could not be told" in out


def test_forget__deletes_on_service_and_locally(server, paths, capsys):
    run(capsys, "telemetry", "on")
    spool.append(paths, make_events(1))
    assert run(capsys, "forget")[0] == 0
    assert server.installations == {}
    assert not state.has_token(paths) and spool.read(paths) == []
    assert not os.path.exists(paths.installation_file)


@pytest.mark.parametrize("blocker", ["DO_NOT_TRACK", "CI"])
def test_do_not_track_or_ci__opt_in_commands_refuse(server, capsys, monkeypatch, blocker):
    monkeypatch.setenv(blocker, "1")
    for argv in (["telemetry", "on"], ["enroll", "ABCD-EFGH"], ["feedback", "hello"]):
        code, _out, err = run(capsys, *argv)
        assert code == 1 and "not contacting the service" in err
    assert server.requests == []
    code, out, _ = run(capsys, "telemetry", "status")
    assert "nothing is collected or sent" in out


def test_telemetry_show__exact_batches(server, paths, capsys):
    run(capsys, "telemetry", "on")
    events = make_events(2)
    spool.append(paths, events)
    _code, out, _ = run(capsys, "telemetry", "show", "--raw")
    assert json.loads(out) == {"schema": 1, "events": events}
    _code, out, _ = run(capsys, "telemetry", "show")
    assert "POST /api/v1/telemetry/batch (2 events)" in out and events[0]["event_id"] in out


def test_status__sources_default_fresh_cached(server, paths, capsys, monkeypatch):
    _, out, _ = run(capsys, "status")
    assert "not registered" in out and "variant builtin-default, from default" in out
    assert "CARGO_PROFILE_DEV_DEBUG=line-tables-only" in out
    run(capsys, "enroll", "ABCD-EFGH")
    _, out, _ = run(capsys, "status")
    assert "ring: beta (fresh)" in out
    assert "variant plan-dev-fast, from fresh" in out and "CARGO_PROFILE_DEV_CODEGEN_UNITS=16" in out
    monkeypatch.setenv("LEPTOS_FAST_SERVER_URL", "http://127.0.0.1:9")
    flags_file = Path(paths.flags_file)
    snapshot = json.loads(flags_file.read_text())
    snapshot["fetched_at"] -= 7200
    flags_file.write_text(json.dumps(snapshot))
    _, out, _ = run(capsys, "status")
    assert "could not reach the service" in out and "ring: beta (cached)" in out
    assert "variant plan-dev-fast, from cached" in out


def test_feedback__retries_with_same_client_id(server, capsys):
    server.script["/api/v1/feedback"] = [503]
    code, _out, err = run(capsys, "feedback", "fast", "mode", "is", "great")
    assert code == 0, err
    attempts = [r["json"] for r in server.requests if r["path"] == "/api/v1/feedback"]
    assert len(attempts) == 2 and attempts[0]["client_id"] == attempts[1]["client_id"]
    assert list(server.feedback.values()) == ["fast mode is great"]


def test_feedback__too_long__refused_locally(server, capsys):
    assert run(capsys, "feedback", "x" * 4001)[0] == 1
    assert server.requests == []


def test_config__set_get_unset(home, capsys):
    assert run(capsys, "config", "set", "quiet", "true")[0] == 0
    assert run(capsys, "config", "get", "quiet")[1].strip() == "true"
    assert run(capsys, "config", "set", "bench_runs", "zero")[0] == 1
    assert run(capsys, "config", "set", "nope", "1")[0] == 1
    assert run(capsys, "config", "unset", "quiet")[0] == 0
    assert run(capsys, "config", "get", "quiet")[1].strip() == "false"
    assert "server_url" in run(capsys, "config")[1]


def test_setup__prints_path_lines_for_every_shell(tmp_path, capsys, monkeypatch):
    from conftest import make_executable

    make_executable(tmp_path / "cargo-leptos", "#!/bin/sh\n")
    monkeypatch.setattr("sys.argv", [str(tmp_path / "leptos-fast")])
    code, out, _ = run(capsys, "setup")
    assert code == 0
    for expected in (
        f'export PATH="{tmp_path}:$PATH"',
        f'fish_add_path --prepend --move "{tmp_path}"',
        f'$env:Path = "{tmp_path};" + $env:Path',
    ):
        assert expected in out
