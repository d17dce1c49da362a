"""Project-level pages: the user docs the shim links to, served from docs/ as they are in the repo, and the 404
page."""

from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults

from pitwall.errors import error_body

# URLs under these prefixes are API calls: a path that matches no route still answers in the API's error shape.
API_PREFIXES = ("/api/", "/ofrep/")

# Only these documents are public (the shim's notice links to the telemetry one).
PUBLIC_DOCS = {"shim": "shim.md", "telemetry": "telemetry.md"}


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse('{"status": "ok"}', content_type="application/json")


def docs_page(request: HttpRequest, name: str) -> HttpResponse:
    filename = PUBLIC_DOCS.get(name)
    if filename is None:
        raise Http404("No such document.")
    text = (Path(settings.BASE_DIR) / "docs" / filename).read_text(encoding="utf-8")
    return render(request, "docs_page.html", {"title": name.capitalize(), "text": text})


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 page, except for API paths (an id that is not a number, a key with a slash), which get JSON."""
    if request.path.startswith(API_PREFIXES):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return defaults.page_not_found(request, exception)
