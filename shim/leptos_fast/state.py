"""The installation's identity and consent, kept in the state directory.

The hot path only asks "is there a token?" and "was consent given?", answered by the existence of two files,
so it never parses JSON. `installation.json` holds the descriptive part (id, ring, enrollment) for
`status`."""

from __future__ import annotations

import os
import time

from .paths import Paths, read_bytes, write_atomic

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CONSENT_VERSION = "1"


def has_token(paths: Paths) -> bool:
    return os.path.exists(paths.token_file)


def read_token(paths: Paths) -> str | None:
    raw = read_bytes(paths.token_file, 4096)
    token = raw.decode("utf-8", "replace").strip() if raw else ""
    return token or None


def write_token(paths: Paths, token: str) -> None:
    write_atomic(paths.token_file, token.encode() + b"\n", 0o600)


def consent_file(paths: Paths) -> str:
    return os.path.join(paths.state_dir, "telemetry-consent")


def consent_given(paths: Paths) -> bool:
    return os.path.exists(consent_file(paths))


def record_consent(paths: Paths, given: bool) -> None:
    if given:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        write_atomic(consent_file(paths), f"version={CONSENT_VERSION}\nat={stamp}\n".encode(), 0o600)
    else:
        _remove(consent_file(paths))


def notice_marker(paths: Paths) -> str:
    return os.path.join(paths.state_dir, "notice-shown")


def load_installation(paths: Paths) -> dict[str, Any]:
    import json

    raw = read_bytes(paths.installation_file, 64 << 10)
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def save_installation(paths: Paths, **fields: Any) -> dict[str, Any]:
    import json

    record = load_installation(paths)
    record.update(fields)
    write_atomic(paths.installation_file, json.dumps(record, indent=2, sort_keys=True).encode() + b"\n")
    return record


def forget(paths: Paths) -> None:
    """Drop identity, consent and everything queued (after the service deleted the installation)."""
    for path in (
        paths.token_file,
        paths.installation_file,
        consent_file(paths),
        paths.spool_file,
        paths.sender_state,
        os.path.join(paths.state_dir, "sender.backoff"),
        paths.pending_feedback,
        paths.flags_file,
    ):
        _remove(path)


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
