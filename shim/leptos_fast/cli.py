"""`leptos-fast`: enrollment, telemetry consent, status, feedback, benchmark, config and PATH setup."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from . import __version__, privacy, remote, spool, state
from .api import ApiError, NetworkError
from .config import Config, ConfigError, server_url
from .notice import FULL_NOTICE, TELEMETRY_DOC_URL
from .paths import Paths

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

ENROLL_ERRORS = {
    "enrollment_code_invalid": "this enrollment code does not exist; check it for typos",
    "enrollment_code_expired": "this enrollment code has expired; get a new one on the web page or Discord",
    "enrollment_code_used": "this enrollment code was already used by another installation",
}


class CliError(Exception):
    """A message for the user; the command exits with status 1."""


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _network_allowed(env: Mapping[str, str]) -> None:
    reason = privacy.blocked_reason(env)
    if reason:
        raise CliError(f"not contacting the service: {reason} (nothing is sent then)")


def _explain(error: Exception) -> str:
    if isinstance(error, ApiError):
        return f"the service refused: {error.message} ({error.code})"
    if isinstance(error, NetworkError):
        return f"could not reach the service ({error})"
    if isinstance(error, remote.NotRegistered):
        return "this installation is not registered yet (run `leptos-fast enroll CODE` or `telemetry on`)"
    return str(error)


def _refresh_flags_quietly(paths: Paths, env: Mapping[str, str]) -> None:
    """Fetch the flags right after an opt-in, so the next build already has the service's settings."""
    try:
        remote.refresh_flags(paths, env)
    except (ApiError, NetworkError, remote.NotRegistered) as error:
        _out(f"(flags will be fetched later: {_explain(error)})")


def _register(paths: Paths, env: Mapping[str, str]) -> None:
    if state.has_token(paths):
        return
    remote.register(paths, env)
    _out("Registered this installation with the Pitwall service.")


# -- commands ------------------------------------------------------------------------------------------------
def cmd_enroll(args: argparse.Namespace, paths: Paths, env: Mapping[str, str]) -> int:
    code = remote.normalise_code(args.code)
    if code is None:
        raise CliError("an enrollment code is 8 letters and digits, like ABCD-EFGH (the hyphen is optional)")
    _network_allowed(env)
    try:
        _register(paths, env)
        linked = remote.link(paths, env, code)
    except ApiError as error:
        raise CliError(ENROLL_ERRORS.get(error.code, _explain(error))) from None
    except (NetworkError, remote.NotRegistered) as error:
        raise CliError(_explain(error)) from None
    _out(f"Enrolled: this installation is in the {linked.get('ring')} ring.")
    _refresh_flags_quietly(paths, env)
    if not state.consent_given(paths):
        _out("Telemetry stays off. To share anonymous build timings: `leptos-fast telemetry on`.")
    _out("Now run `cargo leptos dev --fast` in your project.")
    return 0


def cmd_telemetry(args: argparse.Namespace, paths: Paths, env: Mapping[str, str]) -> int:
    action = args.action
    if action == "show":
        return _telemetry_show(paths, raw=args.raw)
    if action == "status":
        _out(_consent_line(paths, env))
        _out(f"queued events: {len(spool.read(paths))}")
        if os.path.exists(paths.sender_log):
            with open(paths.sender_log, encoding="utf-8") as handle:
                last = handle.read().splitlines()[-3:]
            if last:
                _out("last uploads:")
                for line in last:
                    _out(f"  {line}")
        _out(f"what is sent: {TELEMETRY_DOC_URL}")
        return 0
    if action == "on":
        _network_allowed(env)
        _out(FULL_NOTICE)
        try:
            _register(paths, env)
            remote.patch_consent(paths, env, True)
        except (ApiError, NetworkError, remote.NotRegistered) as error:
            raise CliError(f"telemetry stays off: {_explain(error)}") from None
        state.record_consent(paths, True)
        _refresh_flags_quietly(paths, env)
        _out("Telemetry is on. Thank you! `leptos-fast telemetry off` stops it at any time.")
        return 0
    # off: stop locally first, so nothing more is sent even if the service cannot be told
    state.record_consent(paths, False)
    spool.clear(paths)
    if args.delete:
        return cmd_forget(args, paths, env)
    _out("Telemetry is off; queued events were deleted.")
    if state.has_token(paths):  # withdrawing consent is allowed under DO_NOT_TRACK / CI too
        try:
            remote.patch_consent(paths, env, False)
        except (ApiError, NetworkError, remote.NotRegistered) as error:
            _out(f"(the service could not be told yet: {_explain(error)}; nothing will be sent meanwhile)")
    return 0


def _consent_line(paths: Paths, env: Mapping[str, str]) -> str:
    blocked = privacy.blocked_reason(env)
    given = state.consent_given(paths)
    line = "telemetry: on" if given else "telemetry: off"
    if blocked:
        line += f" (but nothing is collected or sent: {blocked})"
    if privacy.telemetry_debug(env):
        line += " (LEPTOS_FAST_TELEMETRY_DEBUG=1: events are printed, not sent)"
    return line


def _telemetry_show(paths: Paths, *, raw: bool) -> int:
    from .sender import batch_body, batches

    events = spool.read(paths)
    if not events:
        _out("No events are queued.")
        return 0
    for batch in batches(events):
        body = batch_body(batch)
        if raw:
            sys.stdout.buffer.write(body + b"\n")
        else:
            _out(f"# POST /api/v1/telemetry/batch ({len(batch)} events)")
            _out(json.dumps(json.loads(body), indent=2, ensure_ascii=False))
    sys.stdout.flush()
    return 0


def cmd_forget(args: argparse.Namespace, paths: Paths, env: Mapping[str, str]) -> int:
    state.record_consent(paths, False)
    spool.clear(paths)
    if state.has_token(paths):  # allowed even under DO_NOT_TRACK / CI: it only deletes
        try:
            remote.delete_me(paths, env)
        except ApiError as error:
            if error.status not in (401, 404):  # already gone on the service's side
                raise CliError(f"nothing was deleted: {_explain(error)}") from None
        except (NetworkError, remote.NotRegistered) as error:
            raise CliError(f"nothing was deleted on the service yet: {_explain(error)}") from None
    state.forget(paths)
    _out("This installation and all its data were deleted; the shim forgot its token and queued events.")
    return 0


def cmd_status(args: argparse.Namespace, paths: Paths, env: Mapping[str, str]) -> int:
    from . import settings as fast
    from .cargo_shim import find_real

    config = Config.load(paths)
    installation = state.load_installation(paths)
    registered = state.has_token(paths)
    _out(f"leptos-fast {__version__}")
    _out(f"service: {server_url(config, env)}")
    ring_source = "cached"
    if not registered:
        _out("installation: not registered (the shim has never contacted the service)")
    else:
        _out(f"installation: {installation.get('installation_id', '?')}")
        if not args.offline and not privacy.blocked_reason(env):
            try:
                installation.update(remote.fetch_me(paths, env, timeout=3.0))
                ring_source = "fresh"
                remote.refresh_flags(paths, env, timeout=3.0)
            except (ApiError, NetworkError, remote.NotRegistered) as error:
                _out(f"  ({_explain(error)}; showing what is cached)")
    ring = installation.get("ring")
    _out(f"ring: {ring} ({ring_source})" if ring else "ring: none (not enrolled)")
    _out(_consent_line(paths, env))
    _out(f"queued events: {len(spool.read(paths))}")

    ttl = int(config.get("flags_ttl_minutes")) * 60
    snapshot = fast.load_snapshot(paths) if registered else None
    if snapshot:
        age = time.time() - float(snapshot.get("fetched_at") or 0)
        source = "fresh" if age <= ttl else "cached"
        _out(f"flags ({source}, fetched {_age(age)} ago):")
        flags = snapshot.get("flags")
        if not isinstance(flags, dict):
            flags = {}
        for key, flag in sorted(flags.items()):
            _out(
                f"  {key} = {json.dumps(flag.get('value'))}, variant {flag.get('variant')} "
                f"({flag.get('reason')})"
            )
        if not flags:
            _out("  (none)")
    else:
        _out("flags: none (built-in defaults)")
    settings = fast.resolve(snapshot, ttl_seconds=ttl)
    _out(f"fast mode (`--fast`): variant {settings.variant}, from {settings.source}")
    if settings.note:
        _out(f"  why: {settings.note}")
    for key, value in settings.profile.items():
        _out(f"  {fast.PROFILE_ENV[key]}={value}")
    if settings.host_rustflags:
        _out(f"  CARGO_TARGET_<host>_RUSTFLAGS={' '.join(settings.host_rustflags)}")
    for name, value in sorted(settings.env.items()):
        _out(f"  {name}={value}")
    for arg in settings.lib_cargo_args:
        _out(f"  --lib-cargo-args={arg}")
    for arg in settings.bin_cargo_args:
        _out(f"  --bin-cargo-args={arg}")
    shim = _shim_script()
    real = find_real(shim or sys.argv[0], env)
    _out(f"real cargo-leptos: {real or 'not found'}")
    return 0


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{int(seconds)} s"
    if seconds < 7200:
        return f"{int(seconds // 60)} min"
    if seconds < 172_800:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} days"


def cmd_feedback(args: argparse.Namespace, paths: Paths, env: Mapping[str, str]) -> int:
    from .events import new_uuid

    text = " ".join(args.text).strip()
    if not 1 <= len(text) <= 4000:
        raise CliError("feedback must be 1 to 4000 characters")
    _network_allowed(env)
    client_id = new_uuid()
    last_error: Exception | None = None
    for attempt in range(3):
        try:
            _register(paths, env)
            answer = remote.send_feedback(paths, env, text, client_id)
        except ApiError as error:
            if error.status < 500 and error.status != 429:
                raise CliError(_explain(error)) from None
            last_error = error
        except (NetworkError, remote.NotRegistered) as error:
            last_error = error
        else:
            _out(f"Thank you, your feedback was received (id {answer.get('id')}).")
            return 0
        if attempt < 2:
            time.sleep(0.5 * (attempt + 1))  # same client_id: the service keeps only one copy
    raise CliError(f"feedback not sent: {_explain(last_error or Exception('unknown error'))}")


def cmd_config(args: argparse.Namespace, paths: Paths, env: Mapping[str, str]) -> int:
    from .config import KEYS

    config = Config.load(paths)
    action = args.action or "list"
    try:
        if action == "list":
            _out(f"# {config.path}")
            for key, (_kind, _default, help_text) in sorted(KEYS.items()):
                value = config.get(key)
                marker = "" if key in config.values else "  (default)"
                _out(f"{key} = {json.dumps(value)}{marker}    # {help_text}")
        elif action == "get":
            _out(str(json.dumps(config.get(_key(args)))))
        elif action == "set":
            if len(args.rest) != 2:
                raise CliError("usage: leptos-fast config set KEY VALUE")
            config.set(args.rest[0], args.rest[1])
            config.save()
        elif action == "unset":
            config.unset(_key(args))
            config.save()
        else:
            raise CliError(f"unknown config action {action!r} (list, get, set, unset)")
    except (ConfigError, KeyError) as error:
        raise CliError(str(error).strip("'\"")) from None
    return 0


def _key(args: argparse.Namespace) -> str:
    from .config import KEYS

    if len(args.rest) != 1:
        raise CliError(f"usage: leptos-fast config {args.action} KEY")
    if args.rest[0] not in KEYS:
        raise CliError(f"unknown key {args.rest[0]!r}; known keys: {', '.join(sorted(KEYS))}")
    return str(args.rest[0])


def _shim_script() -> str | None:
    """The `cargo-leptos` console script installed beside this `leptos-fast`."""
    here = os.path.dirname(os.path.abspath(sys.argv[0]))
    for name in ("cargo-leptos", "cargo-leptos.exe"):
        candidate = os.path.join(here, name)
        if os.path.isfile(candidate):
            return candidate
    return None


def path_lines(directory: str) -> dict[str, str]:
    quoted = directory.replace('"', '\\"')
    return {
        "bash": f'export PATH="{quoted}:$PATH"    # add to ~/.bashrc',
        "zsh": f'export PATH="{quoted}:$PATH"    # add to ~/.zshrc',
        "fish": f'fish_add_path --prepend --move "{quoted}"',
        "PowerShell": f'$env:Path = "{quoted};" + $env:Path    # add to $PROFILE',
    }


def cmd_setup(args: argparse.Namespace, paths: Paths, env: Mapping[str, str]) -> int:
    from .cargo_shim import find_real

    shim = _shim_script()
    if shim is None:
        raise CliError(
            "cannot find the cargo-leptos shim next to leptos-fast; reinstall with `pipx install ./shim`"
        )
    directory = os.path.dirname(shim)
    _out("Put the shim's directory first on PATH, so `cargo leptos` finds it before the real cargo-leptos:")
    for shell, line in path_lines(directory).items():
        _out(f"  {shell + ':':12}{line}")
    entries = [entry for entry in env.get("PATH", "").split(os.pathsep) if entry]
    first = next(
        (
            os.path.join(entry, "cargo-leptos")
            for entry in entries
            if os.path.isfile(os.path.join(entry, "cargo-leptos"))
        ),
        None,
    )
    real = find_real(shim, env)
    _out("")
    if first and os.path.realpath(first) == os.path.realpath(shim):
        _out("PATH is set up: `cargo leptos` runs the shim.")
    else:
        _out(f"Not set up yet: `cargo-leptos` on PATH is {first or 'missing'}.")
    _out(f"Real cargo-leptos: {real or 'not found (cargo install --locked cargo-leptos)'}")
    _out("Then, in a Leptos project: cargo leptos dev --fast")
    return 0


def cmd_send(args: argparse.Namespace, paths: Paths, env: Mapping[str, str]) -> int:
    from .sender import run

    _out(run(paths, env, force=True))
    return 0


def cmd_bench(args: argparse.Namespace, paths: Paths, env: Mapping[str, str]) -> int:
    from .bench import run_bench

    return run_bench(args, paths, env)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leptos-fast",
        description="The Pitwall shim for cargo-leptos. Run builds with `cargo leptos dev --fast`.",
        epilog=f"Telemetry is off by default; what it sends: {TELEMETRY_DOC_URL}",
    )
    parser.add_argument("--version", action="version", version=f"leptos-fast {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    enroll = commands.add_parser(
        "enroll", help="link this installation to a beta enrollment (web or Discord)"
    )
    enroll.add_argument("code", help="the enrollment code, like ABCD-EFGH")
    enroll.set_defaults(func=cmd_enroll)

    telemetry = commands.add_parser("telemetry", help="telemetry consent: on, off, status, show")
    telemetry.add_argument("action", choices=["on", "off", "status", "show"])
    telemetry.add_argument(
        "--delete", action="store_true", help="with off: also delete the installation's data"
    )
    telemetry.add_argument(
        "--raw", action="store_true", help="with show: the exact request bodies, unformatted"
    )
    telemetry.set_defaults(func=cmd_telemetry)

    forget = commands.add_parser(
        "forget", help="opt out: delete this installation and its data on the service"
    )
    forget.set_defaults(func=cmd_forget)

    status = commands.add_parser("status", help="ring, flags and the fast-mode settings in force")
    status.add_argument("--offline", action="store_true", help="do not ask the service, show what is cached")
    status.set_defaults(func=cmd_status)

    feedback = commands.add_parser("feedback", help="send feedback about fast mode")
    feedback.add_argument("text", nargs="+", help="your feedback (1 to 4000 characters)")
    feedback.set_defaults(func=cmd_feedback)

    bench = commands.add_parser("bench", help="run the standard benchmark: normal vs fast")
    bench.add_argument(
        "--runs", type=int, default=None, help="runs per scenario and mode (config: bench_runs)"
    )
    bench.add_argument(
        "--scenario",
        action="append",
        choices=["cold", "incremental_touch_lib", "incremental_touch_view", "style_only"],
        help="run only these scenarios (repeatable)",
    )
    bench.add_argument("--project", default=".", help="the Leptos project directory (default: here)")
    bench.add_argument("--no-upload", action="store_true", help="do not upload the results even with consent")
    bench.set_defaults(func=cmd_bench)

    config = commands.add_parser("config", help="read or change the config file: list, get, set, unset")
    config.add_argument("action", nargs="?", choices=["list", "get", "set", "unset"])
    config.add_argument("rest", nargs="*")
    config.set_defaults(func=cmd_config)

    setup = commands.add_parser("setup", aliases=["path"], help="print the PATH line for your shell")
    setup.set_defaults(func=cmd_setup)

    send = commands.add_parser("send")  # upload the queue now, in the foreground (troubleshooting)
    send.set_defaults(func=cmd_send)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    paths = Paths()
    try:
        return int(args.func(args, paths, os.environ))
    except CliError as error:
        sys.stderr.write(f"leptos-fast: {error}\n")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
