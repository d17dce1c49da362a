"""The public pages: enrollment through the same services as the API, and a status page without personal data."""

import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from feedback.models import FeedbackItem
from reports import simulation
from rollout import services as rollout_services
from rollout.codes import hash_code
from rollout.models import AuditEvent, Enrollment, EnrollmentCode, Feature, Installation, Participant

pytestmark = pytest.mark.django_db

CODE = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4})\b")


def _join(client: Any, **fields: str) -> Any:
    data = {"handle": "ferris", "ring": "beta", "consent": "on", **fields}
    return client.post("/join/", {k: v for k, v in data.items() if v is not None})


# --- /join/ ---------------------------------------------------------------------------------------------------


def test_join__get__terms_then_form_with_csrf(client: Any) -> None:
    response = client.get("/join/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "The terms (version 1)" in html
    assert html.index("The terms") < html.index('name="handle"')
    assert 'name="csrfmiddlewaretoken"' in html and 'name="consent"' in html
    assert 'value="beta"' in html and 'value="preview"' in html


def test_join__consented__enrolled_through_the_services_with_a_code_and_the_shim_command(client: Any) -> None:
    response = _join(client, handle="  ferris the crab ")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    code = CODE.search(html.split('data-testid="enrollment-code"', 1)[1]).group(1)  # type: ignore[union-attr]
    assert f"leptos-fast enroll {code}" in html
    assert "leptos-fast setup" in html
    enrollment = Enrollment.objects.get()
    assert enrollment.ring == "beta" and enrollment.source == "web" and enrollment.consent_text_version == "1"
    assert enrollment.participant is not None and enrollment.participant.handle == "ferris the crab"
    # Only a keyed digest of the code is stored; the page showed the code itself once.
    assert EnrollmentCode.objects.get().code_hash == hash_code(code.replace("-", ""))
    assert AuditEvent.objects.filter(action="rollout.enrollment.created", actor="web").exists()


def test_join__code__links_an_installation_to_the_ring(client: Any, installation_client: Any) -> None:
    code = CODE.search(_join(client, ring="preview").content.decode().split("enrollment-code", 1)[1]).group(1)  # type: ignore[union-attr]
    shim, installation = installation_client
    response = shim.post("/api/v1/installations/me/link", {"code": code.lower()}, format="json")
    assert response.status_code == 200
    assert response.json()["ring"] == "preview"
    installation.refresh_from_db()
    assert installation.ring == "preview"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"consent": None}, "Enrollment needs your consent"),
        ({"handle": "<script>"}, "Use letters, digits"),
        ({"handle": ""}, "This field is required"),
        ({"ring": "general"}, "Select a valid choice"),
    ],
)
def test_join__invalid__400_nothing_enrolled(client: Any, fields: dict[str, Any], message: str) -> None:
    response = _join(client, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Enrollment.objects.exists() and not Participant.objects.exists()


def test_join__over_the_rate__429_with_retry_after(client: Any, settings: Any) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "enrollment_create": "2/hour",
        },
    }
    assert _join(client).status_code == 200
    assert _join(client).status_code == 200
    response = _join(client)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many enrollments" in response.content.decode()
    assert Enrollment.objects.count() == 2


def test_join__without_csrf_token__403() -> None:
    response = _join(Client(enforce_csrf_checks=True))
    assert response.status_code == 403
    assert not Enrollment.objects.exists()


# --- /status/ -------------------------------------------------------------------------------------------------


def test_status__no_feature__not_started(client: Any) -> None:
    response = client.get("/status/")
    assert response.status_code == 200
    assert "The rollout has not started yet." in response.content.decode()


def test_status__community__phase_figures_how_to_join_and_no_personal_data(
    client: Any, fast_mode: Feature
) -> None:
    result = simulation.simulate_rollout(installations=16, weeks=2, events=1500, feedback=12, seed=3)
    response = client.get("/status/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="status-phase">Beta<' in html
    assert "Includes simulated data" in html
    assert re.search(r"n = \d+ fast and \d+ normal rebuilds", html)
    assert 'data-chart-table="status-rebuilds"' in html
    assert "/join/" in html
    # No handles, no quotes, no installation ids.
    assert result.participants > 0
    for handle in Participant.objects.values_list("handle", flat=True):
        assert handle not in html
    for text in FeedbackItem.objects.values_list("text", flat=True):
        assert text[:40] not in html
    assert simulation.SIMULATED_PREFIX not in html
    for installation_id in Installation.objects.values_list("id", flat=True):
        assert str(installation_id) not in html


def test_status__figures__cached_for_a_minute(client: Any, fast_mode: Feature) -> None:
    assert "Available to the phase" in client.get("/status/").content.decode()
    rollout_services.feature_set_enabled(feature=fast_mode, enabled=False, actor="test", reason="pause")
    assert "Available to the phase" in client.get("/status/").content.decode()  # still the cached figures
    cache.clear()
    assert "Maintainers paused it" in client.get("/status/").content.decode()
