from typing import Any

import pytest


@pytest.fixture
def consenting_client(installation_client: Any) -> Any:
    """(client of an installation that consented to telemetry, the installation)."""
    from rollout import services

    client, installation = installation_client
    installation = services.installation_set_consent(installation=installation, telemetry_consent=True,
                                                     consent_version="1")
    return client, installation


@pytest.fixture
def upload(consenting_client: Any) -> Any:
    """POST a batch of events as the consenting installation; returns the response."""
    client, _ = consenting_client

    def post(events: list[dict[str, Any]], **extra: Any) -> Any:
        return client.post("/api/v1/telemetry/batch", {"schema": 1, "events": events}, format="json", **extra)

    return post


@pytest.fixture
def ingest_now() -> Any:
    """telemetry.services.build_events_ingest (Celery is eager in the tests: rollups are applied in it)."""
    from telemetry import services

    return services.build_events_ingest


@pytest.fixture
def deferred(settings: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Production mode: the ingest leaves its batch pending for the rollup task; returns the on-commit schedules
    (nothing is published)."""
    from telemetry import services

    scheduled: list[int] = []
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(services, "_schedule_rollups", lambda: scheduled.append(1))
    return scheduled
