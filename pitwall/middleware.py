"""Request bodies are checked before anything reads them: too large is 413, an encoding the view does not inflate
is 415.

Django alone would answer 400 to a body over DATA_UPLOAD_MAX_MEMORY_SIZE, and only once something touches
`request.body`; CsrfViewMiddleware reads form bodies in its own process_view, so this middleware sits before it.
A view that takes more (the GitHub webhook) or inflates gzip itself (the telemetry batch) says so with
`body_limit_setting` / `accepts_content_encodings` on the view function or its class, and checks the
decompressed size itself.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from pitwall.errors import error_body

IDENTITY_ENCODINGS = ("", "identity")
ViewFunc = TypeVar("ViewFunc", bound=Callable[..., Any])


def takes_body_up_to(setting: str) -> Callable[[ViewFunc], ViewFunc]:
    """Decorator for a function view whose bodies may be larger than DATA_UPLOAD_MAX_MEMORY_SIZE."""

    def mark(view_func: ViewFunc) -> ViewFunc:
        setattr(view_func, "body_limit_setting", setting)  # noqa: B010 - mypy refuses attributes on functions
        return view_func

    return mark


def _view_attribute(view_func: Callable[..., Any], name: str) -> Any:
    found = getattr(view_func, name, None)
    if found is None:  # DRF's as_view() and Django's View.as_view() keep the class on the function
        found = getattr(getattr(view_func, "cls", None) or getattr(view_func, "view_class", None), name, None)
    return found


def body_limit(view_func: Callable[..., Any]) -> int:
    setting = _view_attribute(view_func, "body_limit_setting")
    return int(getattr(settings, setting) if setting else settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


class RequestBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        raw_length = request.META.get("CONTENT_LENGTH") or ""
        if not raw_length:
            return None  # no body: Django reads nothing without a Content-Length
        try:
            declared = int(raw_length)
        except ValueError:
            return JsonResponse(error_body("malformed_request", "Invalid Content-Length."), status=400)
        limit = body_limit(view_func)
        if declared > limit:
            return JsonResponse(
                error_body("too_large", f"The body is larger than {limit} bytes.",
                           {"body": f"{declared} > {limit} bytes"}),
                status=413,
            )
        encoding = request.headers.get("Content-Encoding", "").strip().lower()
        accepted = _view_attribute(view_func, "accepts_content_encodings") or ()
        if declared and encoding not in IDENTITY_ENCODINGS and encoding not in accepted:
            return JsonResponse(
                error_body("unsupported_content_encoding", "This endpoint takes no Content-Encoding.",
                           {"content_encoding": encoding[:40]}),
                status=415,
            )
        return None
