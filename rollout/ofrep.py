"""OFREP mapping: the server's evaluation context and the engine's answers in OFREP's shape.

The context is the client's, merged with what the server knows: the installation id is the targeting key and
the ring comes from enrollment. Whatever the client says about those is ignored.
"""

import hashlib
import json
from typing import Any

from rollout.engine import Evaluation, FlagNotFound, Snapshot

# Context names only the server may set.
SERVER_FIELDS = frozenset(
    {"targetingKey", "userId", "ring", "remoteAddress", "properties", "appName", "environment"}
)
MAX_CONTEXT_FIELDS = 50
MAX_VALUE_LENGTH = 256


class InvalidContext(ValueError):
    pass


def evaluation_context(
    *, installation_id: str, ring: str, client_context: Any, remote_address: str | None
) -> dict[str, Any]:
    if not isinstance(client_context, dict):
        raise InvalidContext("context must be an object")
    if len(client_context) > MAX_CONTEXT_FIELDS:
        raise InvalidContext(f"context has more than {MAX_CONTEXT_FIELDS} fields")
    properties: dict[str, str] = {}
    session_id: str | None = None
    current_time: str | None = None
    for name, value in client_context.items():
        if name in SERVER_FIELDS:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (int, float)):
            value = str(value)
        elif not isinstance(value, str):
            continue  # nested values cannot be matched by any operator
        if len(value) > MAX_VALUE_LENGTH:
            raise InvalidContext(f"context field {name!r} is longer than {MAX_VALUE_LENGTH} characters")
        if name == "sessionId":
            session_id = value
        elif name == "currentTime":
            current_time = value
        else:
            properties[name] = value
    properties["ring"] = ring
    context: dict[str, Any] = {
        "userId": installation_id,
        "appName": "leptos-fast",
        "environment": "production",
        "properties": properties,
    }
    if session_id is not None:
        context["sessionId"] = session_id
    if current_time is not None:
        context["currentTime"] = current_time
    if remote_address:
        context["remoteAddress"] = remote_address
    return context


def success_body(evaluation: Evaluation) -> dict[str, Any]:
    variant = evaluation.variant
    body: dict[str, Any] = {
        "key": evaluation.key,
        "value": evaluation.enabled,
        "reason": evaluation.reason,
        "variant": variant.get("name", "disabled"),
        "metadata": {},
    }
    payload = variant.get("payload")
    if evaluation.enabled and isinstance(payload, dict):
        body["metadata"] = {
            "payloadType": str(payload.get("type", "")),
            "payload": str(payload.get("value", "")),
        }
    return body


def not_found_body(key: str) -> dict[str, Any]:
    return {"key": key, "errorCode": "FLAG_NOT_FOUND", "errorDetails": f"Flag '{key}' was not found"}


def evaluate_one(snapshot: Snapshot, key: str, context: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return success_body(snapshot.evaluate(key, context))
    except FlagNotFound:
        return None


def evaluate_all(snapshot: Snapshot, context: dict[str, Any]) -> dict[str, Any]:
    return {"flags": [success_body(snapshot.evaluate(name, context)) for name in snapshot.feature_names]}


def etag_for(body: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return f'"{digest[:32]}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in candidates
