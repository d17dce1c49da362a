"""Everything the shim asks of the service. Only reached after the user opted in (enroll or telemetry on)."""

from __future__ import annotations

import json
import os
import re
import time

from . import __version__, launch, state
from .api import ApiError, Client, Response, expect_dict
from .config import Config, server_url
from .envfacts import arch, os_name
from .paths import Paths, write_atomic
from .settings import load_snapshot

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class NotRegistered(Exception):
    pass


def platform() -> dict[str, str]:
    return {"os": os_name(), "arch": arch(), "shim_version": __version__}


def client(paths: Paths, env: Mapping[str, str], *, timeout: float = 5.0, auth: bool = True) -> Client:
    token = state.read_token(paths) if auth else None
    return Client(server_url(Config.load(paths), env), token=token, timeout=timeout)


def register(paths: Paths, env: Mapping[str, str], *, timeout: float = 10.0) -> dict[str, Any]:
    """Create the installation on first opt-in; the token is stored 0600 and never shown."""
    if state.has_token(paths):
        return state.load_installation(paths)
    body = expect_dict(
        client(paths, env, timeout=timeout, auth=False).request(
            "POST", "/api/v1/installations", {"platform": platform()}
        ),
        "installation_id",
        "token",
    )
    token, installation_id = body["token"], body["installation_id"]
    if not isinstance(token, str) or not token or not isinstance(installation_id, str):
        raise ApiError(201, "bad_response", "the service returned no usable token")
    state.write_token(paths, token)
    return state.save_installation(paths, installation_id=installation_id, registered_at=_now())


def _authed(paths: Paths, env: Mapping[str, str], timeout: float) -> Client:
    api = client(paths, env, timeout=timeout)
    if not api.token:
        raise NotRegistered()
    return api


def fetch_me(paths: Paths, env: Mapping[str, str], *, timeout: float = 5.0) -> dict[str, Any]:
    me = expect_dict(_authed(paths, env, timeout).request("GET", "/api/v1/installations/me"), "ring")
    _remember(paths, me)
    return me


def patch_consent(
    paths: Paths, env: Mapping[str, str], given: bool, *, timeout: float = 10.0
) -> dict[str, Any]:
    body = {"telemetry_consent": given, "consent_version": state.CONSENT_VERSION}
    me = expect_dict(_authed(paths, env, timeout).request("PATCH", "/api/v1/installations/me", body), "ring")
    _remember(paths, me)
    return me


def delete_me(paths: Paths, env: Mapping[str, str], *, timeout: float = 10.0) -> None:
    _authed(paths, env, timeout).request("DELETE", "/api/v1/installations/me")


def normalise_code(text: str) -> str | None:
    """`abcd-efgh`, `ABCDEFGH`, ` abcd efgh ` -> `ABCD-EFGH`; Crockford's i/l -> 1 and o -> 0."""
    code = re.sub(r"[\s\-]", "", text).upper().translate(str.maketrans("ILO", "110"))
    if len(code) != 8 or any(char not in CROCKFORD for char in code):
        return None
    return f"{code[:4]}-{code[4:]}"


def link(paths: Paths, env: Mapping[str, str], code: str, *, timeout: float = 10.0) -> dict[str, Any]:
    body = expect_dict(
        _authed(paths, env, timeout).request("POST", "/api/v1/installations/me/link", {"code": code}), "ring"
    )
    state.save_installation(paths, ring=body.get("ring"), enrollment_id=body.get("enrollment_id"))
    return body


def send_feedback(
    paths: Paths, env: Mapping[str, str], text: str, client_id: str, *, timeout: float = 10.0
) -> dict[str, Any]:
    response = _authed(paths, env, timeout).request(
        "POST", "/api/v1/feedback", {"text": text, "client_id": client_id}
    )
    return response.body if isinstance(response.body, dict) else {}


def _remember(paths: Paths, me: dict[str, Any]) -> None:
    fields = {key: me.get(key) for key in ("ring", "telemetry_consent", "consent_version", "consent_at")}
    if isinstance(me.get("installation_id"), str):
        fields["installation_id"] = me["installation_id"]
    state.save_installation(paths, **fields)


# -- flags (OFREP bulk evaluation) ---------------------------------------------------------------------------
def flags_attempt_marker(paths: Paths) -> str:
    return os.path.join(paths.cache_dir, "flags.attempt")


def flags_age(paths: Paths, now: float | None = None) -> float:
    return launch.flags_age(paths.cache_dir, now)


def _parse_flags(body: object) -> dict[str, dict[str, Any]]:
    if not isinstance(body, dict) or not isinstance(body.get("flags"), list):
        raise ApiError(200, "bad_response", "OFREP answer without a flags list")
    flags: dict[str, dict[str, Any]] = {}
    for item in body["flags"]:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            continue
        metadata = item.get("metadata")
        payload = metadata.get("payload") if isinstance(metadata, dict) else None
        if payload is not None and not isinstance(payload, str):
            payload = json.dumps(payload)
        variant = item.get("variant")
        flags[item["key"][:128]] = {
            "value": item.get("value") if isinstance(item.get("value"), (bool, int, float, str)) else None,
            "variant": variant[:64] if isinstance(variant, str) else None,
            "reason": str(item.get("reason") or "")[:64],
            "payload": payload[:65536] if isinstance(payload, str) else None,
        }
    return flags


def refresh_flags(paths: Paths, env: Mapping[str, str], *, timeout: float = 3.0) -> dict[str, Any]:
    """POST /ofrep/v1/evaluate/flags with If-None-Match; store the snapshot. Raises on any failure."""
    try:
        write_atomic(flags_attempt_marker(paths), b"", 0o644)
    except OSError:
        pass
    api = _authed(paths, env, timeout)
    installation = state.load_installation(paths)
    old = load_snapshot(paths)
    headers = {}
    if old and isinstance(old.get("etag"), str):
        headers["If-None-Match"] = old["etag"]
    context = {"targetingKey": str(installation.get("installation_id") or ""), "shimVersion": __version__}
    context.update({"os": os_name(), "arch": arch()})
    response: Response = api.request(
        "POST", "/ofrep/v1/evaluate/flags", {"context": context}, headers=headers
    )
    if response.status == 304 and old:
        snapshot = dict(old)
    else:
        snapshot = {"flags": _parse_flags(response.body), "etag": response.headers.get("etag")}
    snapshot["fetched_at"] = time.time()
    write_atomic(paths.flags_file, json.dumps(snapshot, indent=1, sort_keys=True).encode(), 0o644)
    return snapshot


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
