"""Project-level pages: the user docs the shim links to, served from docs/ as they are in the repo."""

from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

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
