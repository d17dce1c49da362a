"""Every URL pattern of the project, walked as anonymous, as an installation token, as a logged-in non-staff user
and as staff: staff pages and endpoints refuse the first three; public ones are reachable by anyone.

Whatever is not in PUBLIC or INSTALLATION below is staff-only, so a new route is protected by this test until
someone decides, here and on purpose, that it is public.
"""

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern

from rollout import services as rollout_services
from rollout.models import Feature

pytestmark = pytest.mark.django_db

# Reachable without any credentials (the view itself decides what it accepts, e.g. a signed webhook).
PUBLIC = {
    "home",
    "healthz",
    "docs-page",
    "api-schema",
    "api-docs",
    "admin:login",
    "admin:logout",
    "feedback-form",
    "public-join",
    "public-status",
    "installation-register",  # the shim's first call
    "enrollment-create",  # the enrollment API behind /join/ and the Discord bot
    "github-webhook",  # authenticated by its HMAC signature, not by a login
}
# For the shim: an installation token, never a login.
INSTALLATION = {
    "installation-me",
    "installation-link",
    "ofrep-evaluate-flags",
    "ofrep-evaluate-flag",
    "telemetry-batch",
    "feedback-submit",
}

# Plausible values for path converters and regex groups, by converter and by group name.
CONVERTER_SAMPLES = {
    "int": "1",
    "slug": "fast-mode",
    "str": "fast-mode",
    "path": "1",
    "uuid": str(uuid.uuid4()),
}
GROUP_SAMPLES = {"url": "x/", "object_id": "1", "content_type_id": "1"}
_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^)]*)\)")


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", or the pattern itself for unnamed ones
    url: str
    pattern: URLPattern


def _sample(pattern: Any) -> str:
    if isinstance(pattern, RoutePattern):
        return _ROUTE_PARAM.sub(lambda m: CONVERTER_SAMPLES[m.group("converter") or "str"], str(pattern))
    assert isinstance(pattern, RegexPattern), pattern

    def group(match: re.Match[str]) -> str:
        body = match.group("body")
        if re.fullmatch(r"[\w-]+(\|[\w-]+)*", body):  # an alternation of literals: take the first
            return body.split("|")[0]
        return GROUP_SAMPLES.get(match.group("name"), "x")

    return _REGEX_GROUP.sub(group, str(pattern).lstrip("^").rstrip("$")).replace("\\", "")


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + _sample(entry.pattern), inner)
        else:
            assert isinstance(entry, URLPattern)
            name = f"{namespace}{entry.name}" if entry.name else f"{namespace}{entry.pattern}"
            yield Route(name=name, url="/" + prefix + _sample(entry.pattern), pattern=entry)


ROUTES = list(_walk(get_resolver().url_patterns))


def _refused(response: Any) -> bool:
    """401/403, or a redirect to the login page."""
    if response.status_code in (401, 403):
        return True
    return response.status_code == 302 and "/admin/login/" in response.get("Location", "")


@pytest.fixture
def clients(fast_mode: Feature, installation_client: Any) -> dict[str, Client]:
    user_model = get_user_model()
    member = user_model.objects.create_user("member", "member@example.com", "pw-not-used")
    staff = user_model.objects.create_user(
        "staffer", "staff@example.com", "pw-not-used", is_staff=True, is_superuser=True
    )
    shim, installation = installation_client
    # A consenting installation: the telemetry upload answers 403 to one that has not (consent, not access).
    rollout_services.installation_set_consent(
        installation=installation, telemetry_consent=True, consent_version="1"
    )
    logged_in, staff_client = Client(), Client()
    logged_in.force_login(member)
    staff_client.force_login(staff)
    return {"anonymous": Client(), "installation": shim, "non-staff": logged_in, "staff": staff_client}


def test_url_samples__every_pattern__resolves_to_itself() -> None:
    assert len(ROUTES) > 50
    for route in ROUTES:
        assert resolve(route.url).func == route.pattern.callback, route


def test_allowlists__name_existing_routes() -> None:
    names = {route.name for route in ROUTES}
    assert names >= PUBLIC, PUBLIC - names
    assert names >= INSTALLATION, INSTALLATION - names


def test_every_url__each_kind_of_caller__staff_only_unless_allowlisted(clients: dict[str, Client]) -> None:
    problems: list[str] = []
    for route in ROUTES:
        for who, client in clients.items():
            for method in ("get", "post"):
                if method == "post" and (route.name in PUBLIC or who == "staff"):
                    continue  # posting would create or change things; GET shows the route is reachable
                response = getattr(client, method)(route.url)
                status = response.status_code
                where = f"{method.upper()} {route.url} ({route.name}) as {who}: {status}"
                if status >= 500 and not (route.name == "github-webhook" and status == 503):
                    problems.append(f"{where} - server error")
                elif route.name in PUBLIC:
                    if _refused(response):
                        problems.append(f"{where} - a public route refused")
                elif route.name in INSTALLATION:
                    if who == "installation" and status in (401, 403):
                        problems.append(f"{where} - the installation was refused")
                    elif who != "installation" and not _refused(response):
                        problems.append(f"{where} - open without an installation token")
                elif who == "staff":
                    # The admin's read-only models answer 403 to add/delete by design: permissions, not login.
                    by_permission = status == 403 and route.name.startswith("admin:")
                    if _refused(response) and not by_permission:
                        problems.append(f"{where} - staff refused")
                elif not _refused(response):
                    problems.append(f"{where} - a staff route is open")
    assert not problems, "\n".join(problems)
