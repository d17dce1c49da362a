"""A local HTTP server that answers the GitHub REST endpoints the bots call, the way GitHub does.

Absolute URLs on its own host in every object, Link-header pagination (a small page size, whatever per_page
asks), rate-limit headers, and, on request, a 403 with Retry-After (a secondary rate limit) once per rule.
Every request is recorded. Runs on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorization: str = ""


@dataclass
class Throttle:
    """Answer the first matching request with 403 + Retry-After (GitHub's secondary rate limit)."""

    method: str
    path_pattern: str
    retry_after: int = 7
    fired: bool = False


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FakeGitHub:
    owner: str = "Codertocat"
    name: str = "Hello-World"
    page_size: int = 2
    bot_login: str = "pitwall-bot[bot]"
    rate_remaining: int = 4999
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    throttles: list[Throttle] = field(default_factory=list)
    base_url: str = ""
    _next_id: int = 9000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- data ---------------------------------------------------------------------------------------------

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def repo_path(self) -> str:
        return f"/repos/{self.owner}/{self.name}"

    def _user(self, login: str, kind: str = "User") -> dict[str, Any]:
        return {"login": login, "id": abs(hash(login)) % 10**8, "type": kind, "url": f"{self.base_url}/users/{login}"}

    def add_issue(
        self,
        number: int,
        *,
        title: str,
        body: str = "",
        labels: tuple[str, ...] = (),
        author: str = "octocat",
        author_type: str = "User",
        updated_at: datetime,
        pull_request: bool = False,
    ) -> dict[str, Any]:
        url = f"{self.base_url}{self.repo_path}/issues/{number}"
        issue = {
            "id": 100000 + number,
            "number": number,
            "url": url,
            "comments_url": f"{url}/comments",
            "repository_url": f"{self.base_url}{self.repo_path}",
            "html_url": f"https://github.com/{self.full_name}/issues/{number}",
            "title": title,
            "body": body,
            "state": "open",
            "user": self._user(author, author_type),
            "labels": [{"name": label, "id": abs(hash(label)) % 10**6} for label in labels],
            "created_at": iso(updated_at),
            "updated_at": iso(updated_at),
        }
        if pull_request:
            issue["pull_request"] = {"url": f"{self.base_url}{self.repo_path}/pulls/{number}"}
        self.issues[number] = issue
        return issue

    def add_comment(
        self,
        issue_number: int,
        *,
        body: str,
        author: str = "octocat",
        author_type: str = "User",
        updated_at: datetime,
        comment_id: int | None = None,
    ) -> dict[str, Any]:
        with self._lock:
            self._next_id += 1
            comment_id = comment_id or self._next_id
        comment = {
            "id": comment_id,
            "url": f"{self.base_url}{self.repo_path}/issues/comments/{comment_id}",
            "html_url": f"https://github.com/{self.full_name}/issues/{issue_number}#issuecomment-{comment_id}",
            "issue_url": f"{self.base_url}{self.repo_path}/issues/{issue_number}",
            "body": body,
            "user": self._user(author, author_type),
            "created_at": iso(updated_at),
            "updated_at": iso(updated_at),
        }
        self.comments[comment_id] = comment
        return comment

    def comments_of(self, issue_number: int) -> list[dict[str, Any]]:
        return [c for c in self.comments.values() if c["issue_url"].endswith(f"/issues/{issue_number}")]

    def calls(self, method: str, path_pattern: str = "") -> list[Recorded]:
        return [r for r in self.requests if r.method == method and re.fullmatch(path_pattern or ".*", r.path)]

    # --- the server ---------------------------------------------------------------------------------------

    def handle(
        self, method: str, target: str, body: bytes, authorization: str = ""
    ) -> tuple[int, dict[str, str], Any]:
        split = urlsplit(target)
        path, query = split.path, {k: v[-1] for k, v in parse_qs(split.query).items()}
        payload = json.loads(body) if body else None
        with self._lock:
            self.requests.append(Recorded(method, path, query, payload, authorization))
            self.rate_remaining -= 1
        headers = {
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": str(max(self.rate_remaining, 0)),
            "X-RateLimit-Reset": str(int(datetime.now(UTC).timestamp()) + 3600),
        }
        for throttle in self.throttles:
            if not throttle.fired and throttle.method == method and re.fullmatch(throttle.path_pattern, path):
                throttle.fired = True
                headers["Retry-After"] = str(throttle.retry_after)
                return 403, headers, {"message": "You have exceeded a secondary rate limit. Please wait a few "
                                                 "minutes before you try again.",
                                      "documentation_url": "https://docs.github.com/rest"}
        status, answer = self._route(method, path, query, payload, headers)
        return status, headers, answer

    def _route(
        self, method: str, path: str, query: dict[str, str], payload: Any, headers: dict[str, str]
    ) -> tuple[int, Any]:
        repo = re.escape(self.repo_path)
        if method == "POST" and re.fullmatch(r"/app/installations/(\d+)/access_tokens", path):
            expires = iso(datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1))
            return 201, {"token": "ghs_installation_token", "expires_at": expires, "permissions": {"issues": "write"}}
        if method == "GET" and re.fullmatch(repo, path):
            return 200, {"id": 1296269, "name": self.name, "full_name": self.full_name,
                         "url": f"{self.base_url}{self.repo_path}",
                         "owner": self._user(self.owner, "Organization")}
        if method == "GET" and re.fullmatch(repo + "/issues", path):
            wanted = {label.casefold() for label in query.get("labels", "").split(",") if label}
            found = [
                issue for issue in self.issues.values()
                if (not wanted or wanted <= {label["name"].casefold() for label in issue["labels"]})
                and issue["updated_at"] >= query.get("since", "")
            ]
            return self._page(path, query, sorted(found, key=lambda i: (i["updated_at"], i["number"])), headers)
        if method == "GET" and re.fullmatch(repo + "/issues/comments", path):
            found = [c for c in self.comments.values() if c["updated_at"] >= query.get("since", "")]
            return self._page(path, query, sorted(found, key=lambda c: (c["updated_at"], c["id"])), headers)
        if match := re.fullmatch(repo + r"/issues/(\d+)", path):
            issue = self.issues.get(int(match[1]))
            return (200, issue) if issue and method == "GET" else (404, {"message": "Not Found"})
        if match := re.fullmatch(repo + r"/issues/(\d+)/comments", path):
            number = int(match[1])
            if number not in self.issues:
                return 404, {"message": "Not Found"}
            if method == "POST":
                created = self.add_comment(number, body=payload["body"], author=self.bot_login, author_type="Bot",
                                           updated_at=datetime.now(UTC))
                return 201, created
            found = [c for c in self.comments_of(number) if c["updated_at"] >= query.get("since", "")]
            return self._page(path, query, sorted(found, key=lambda c: c["id"]), headers)
        if match := re.fullmatch(repo + r"/issues/comments/(\d+)", path):
            comment = self.comments.get(int(match[1]))
            if comment is None:
                return 404, {"message": "Not Found"}
            if method == "PATCH":
                comment["body"] = payload["body"]
                comment["updated_at"] = iso(datetime.now(UTC))
                return 200, comment
            if method == "DELETE":
                del self.comments[comment["id"]]
                return 204, None
            return 200, comment
        return 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}

    def _page(
        self, path: str, query: dict[str, str], items: list[dict[str, Any]], headers: dict[str, str]
    ) -> tuple[int, Any]:
        page = int(query.get("page", "1"))
        last = max(1, -(-len(items) // self.page_size))
        chunk = items[(page - 1) * self.page_size: page * self.page_size]

        def link(to: int) -> str:
            return f"{self.base_url}{path}?{urlencode({**query, 'page': str(to)})}"

        links = []
        if page < last:
            links += [f'<{link(page + 1)}>; rel="next"', f'<{link(last)}>; rel="last"']
        if page > 1:
            links += [f'<{link(1)}>; rel="first"', f'<{link(page - 1)}>; rel="prev"']
        if links:
            headers["Link"] = ", ".join(links)
        return 200, chunk


def serve(fake: FakeGitHub) -> tuple[ThreadingHTTPServer, threading.Thread]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, answer = fake.handle(self.command, self.path, body,
                                                  self.headers.get("Authorization", ""))
            data = b"" if answer is None else json.dumps(answer).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-github",
                              daemon=True)
    thread.start()
    return server, thread
