"""A local stand-in of the Pitwall service API (http.server on 127.0.0.1, port 0), with scriptable failures."""

from __future__ import annotations

import gzip
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAST_MODE_PAYLOAD = {
    "schema": 1,
    "profile": {"opt-level": 0, "debug": True, "incremental": True, "codegen-units": 16},
    "host_rustflags": [],
    "env": {},
    "lib_cargo_args": [],
    "bin_cargo_args": [],
}


class FakeService:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.installations: dict[str, dict[str, Any]] = {}  # token -> installation
        self.events: dict[str, dict[str, Any]] = {}
        self.feedback: dict[str, str] = {}
        self.codes = {"ABCD-EFGH": "beta", "PREV-1EW0": "preview"}
        self.used_codes: set[str] = set()
        # scripted answers per route: a list of status codes / "hang" / "garbage" / "cut" / "empty", consumed first
        self.script: dict[str, list[Any]] = {}
        self.flag_variant = "plan-dev-fast"
        self.flag_payload: Any = json.dumps(FAST_MODE_PAYLOAD)
        self.flag_on = True
        self.etag = '"flags-v1"'
        self.release_hang = threading.Event()
        self.lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                service._dispatch(self)

            do_GET = do_POST = do_PATCH = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.release_hang.set()
        self.server.shutdown()
        self.server.server_close()

    # -- helpers for tests ---------------------------------------------------------------------------------
    def paths_requested(self) -> list[str]:
        with self.lock:
            return [f"{r['method']} {r['path']}" for r in self.requests]

    def batches(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r["json"] for r in self.requests if r["path"] == "/api/v1/telemetry/batch"]

    # -- request handling ----------------------------------------------------------------------------------
    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        if handler.headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        path = handler.path
        auth = handler.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else None
        record = {
            "method": handler.command,
            "path": path,
            "json": body,
            "headers": dict(handler.headers.items()),
            "at": time.time(),
        }
        with self.lock:
            self.requests.append(record)
            scripted = self.script.get(path, [])
            action = scripted.pop(0) if scripted else None
        if action == "hang":
            self.release_hang.wait(60)
            return
        if action == "garbage":
            self._send(handler, 200, b"<html>not json", content_type="text/html")
            return
        if action == "cut":  # 200 and its headers, then the server dies before the body
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", "64")
            handler.end_headers()
            handler.wfile.flush()
            handler.close_connection = True
            return
        if action == "empty":  # a 200 with no body at all, as from a broken proxy
            self._send(handler, 200, b"")
            return
        if isinstance(action, tuple):  # (status, headers)
            self._error(handler, action[0], "scripted", "scripted failure", headers=action[1])
            return
        if isinstance(action, int):
            self._error(handler, action, "scripted", "scripted failure")
            return
        route = (handler.command, path)
        if route == ("POST", "/api/v1/installations"):
            new_token = uuid.uuid4().hex
            installation = {
                "installation_id": str(uuid.uuid4()),
                "ring": "general",
                "telemetry_consent": False,
                "consent_version": None,
                "consent_at": None,
                "first_seen": "2025-01-01T00:00:00Z",
                "last_seen": "2025-01-01T00:00:00Z",
                "platform": (body or {}).get("platform"),
            }
            self.installations[new_token] = installation
            self._json(handler, 201, {"installation_id": installation["installation_id"], "token": new_token})
            return
        installation = self.installations.get(token or "")
        if installation is None:
            self._error(handler, 401, "not_authenticated", "bad token")
            return
        public = {k: v for k, v in installation.items() if k != "platform"}
        if route == ("GET", "/api/v1/installations/me"):
            self._json(handler, 200, public)
        elif route == ("PATCH", "/api/v1/installations/me"):
            installation["telemetry_consent"] = bool(body["telemetry_consent"])
            installation["consent_version"] = body.get("consent_version")
            self._json(handler, 200, {k: v for k, v in installation.items() if k != "platform"})
        elif route == ("DELETE", "/api/v1/installations/me"):
            del self.installations[token or ""]
            self._send(handler, 204, b"")
        elif route == ("POST", "/api/v1/installations/me/link"):
            code = str(body.get("code"))
            if code in self.used_codes:
                self._error(handler, 400, "enrollment_code_used", "used")
            elif code not in self.codes:
                self._error(handler, 400, "enrollment_code_invalid", "invalid")
            else:
                self.used_codes.add(code)
                installation["ring"] = self.codes[code]
                self._json(handler, 200, {"ring": self.codes[code], "enrollment_id": str(uuid.uuid4())})
        elif route == ("POST", "/ofrep/v1/evaluate/flags"):
            if handler.headers.get("If-None-Match") == self.etag:
                self._send(handler, 304, b"", headers={"ETag": self.etag})
                return
            flag: dict[str, Any] = {"key": "fast-mode", "reason": "TARGETING_MATCH"}
            if self.flag_on:
                flag.update(value=True, variant=self.flag_variant)
                flag["metadata"] = {"payloadType": "json", "payload": self.flag_payload}
            else:
                flag.update(value=False, variant="disabled")
            self._json(handler, 200, {"flags": [flag]}, headers={"ETag": self.etag})
        elif route == ("POST", "/api/v1/telemetry/batch"):
            if not installation["telemetry_consent"]:
                self._error(handler, 403, "no_consent", "no consent")
                return
            accepted = duplicates = 0
            for event in body["events"]:
                if event["event_id"] in self.events:
                    duplicates += 1
                else:
                    self.events[event["event_id"]] = event
                    accepted += 1
            self._json(handler, 200, {"accepted": accepted, "duplicates": duplicates, "rejected": []})
        elif route == ("POST", "/api/v1/feedback"):
            text = body.get("text", "")
            if not 1 <= len(text) <= 4000:
                self._error(handler, 400, "invalid", "bad text")
                return
            self.feedback[body["client_id"]] = text
            self._json(handler, 201, {"id": len(self.feedback), "status": "received"})
        else:
            self._error(handler, 404, "not_found", "no route")

    def _json(self, handler: BaseHTTPRequestHandler, status: int, body: Any, headers: Any = None) -> None:
        self._send(handler, status, json.dumps(body).encode(), headers=headers)

    def _error(
        self, handler: BaseHTTPRequestHandler, status: int, code: str, message: str, headers: Any = None
    ):
        body = {"error": {"code": code, "message": message, "details": {}}}
        self._send(handler, status, json.dumps(body).encode(), headers=headers)

    def _send(self, handler, status, payload, content_type="application/json", headers=None) -> None:
        handler.send_response(status)
        if status not in (204, 304):
            handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        if payload:
            handler.wfile.write(payload)
