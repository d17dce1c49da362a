"""A small client for the Pitwall service (urllib only). Never logs or prints the token.

Every call has a timeout; any answer that is not what the API promises (garbage, wrong shape, HTML from a
proxy) becomes an ApiError, so a hostile or broken server cannot crash the shim."""

from __future__ import annotations

import json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_RESPONSE_BYTES = 1 << 20


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.retry_after = retry_after


class NetworkError(Exception):
    """The service could not be reached, or did not answer in time."""


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import email.utils
    import time

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: Any) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class Client:
    def __init__(self, base_url: str, *, token: str | None = None, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw_body: bytes | None = None,
        headers: dict[str, str] | None = None,
        gzip_body: bool = False,
        ok: tuple[int, ...] = (200, 201, 204),
    ) -> Response:
        import urllib.error
        import urllib.request

        data = raw_body if raw_body is not None else None if body is None else json.dumps(body).encode()
        all_headers = {"Accept": "application/json", "User-Agent": _user_agent()}
        if data is not None:
            all_headers["Content-Type"] = "application/json"
            if gzip_body:
                import gzip

                data = gzip.compress(data, compresslevel=6)
                all_headers["Content-Encoding"] = "gzip"
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        all_headers.update(headers or {})
        if not self.base_url.startswith(("https://", "http://")):
            raise NetworkError(f"the service URL must start with https:// or http://, not {self.base_url!r}")
        # the scheme was checked just above: only http(s)
        request = urllib.request.Request(  # noqa: S310
            self.base_url + path, data=data, method=method, headers=all_headers
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                status = answer.status
                answer_headers = {k.lower(): v for k, v in answer.headers.items()}
                payload = answer.read(MAX_RESPONSE_BYTES)
        except urllib.error.HTTPError as error:
            status = error.code
            answer_headers = {k.lower(): v for k, v in (error.headers or {}).items()}
            try:
                payload = error.read(MAX_RESPONSE_BYTES)
            except OSError:
                payload = b""
            finally:
                error.close()
        except (OSError, ValueError) as error:  # URLError, timeouts, resets, bad URLs
            raise NetworkError(str(error) or type(error).__name__) from None
        except Exception as error:  # http.client.HTTPException and friends: a server speaking garbage
            raise NetworkError(f"bad response: {type(error).__name__}") from None
        parsed: Any = None
        if payload:
            try:
                parsed = json.loads(payload)
            except ValueError:
                parsed = None
        if status in ok or status == 304:
            if status not in (204, 304) and payload and parsed is None:
                raise ApiError(status, "bad_response", "the service answered with something that is not JSON")
            return Response(status, answer_headers, parsed)
        error_obj = parsed.get("error") if isinstance(parsed, dict) else None
        if not isinstance(error_obj, dict):
            error_obj = {}
        details = error_obj.get("details")
        raise ApiError(
            status,
            str(error_obj.get("code") or f"http_{status}")[:64],
            str(error_obj.get("message") or "the service refused the request")[:500],
            details=details if isinstance(details, dict) else None,
            retry_after=parse_retry_after(answer_headers.get("retry-after")),
        )


def _user_agent() -> str:
    from . import __version__

    return f"leptos-fast/{__version__}"


def expect_dict(response: Response, *keys: str) -> dict[str, Any]:
    body = response.body
    if not isinstance(body, dict) or any(key not in body for key in keys):
        raise ApiError(response.status, "bad_response", "the service's answer is missing fields")
    return body
