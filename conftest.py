"""Test-wide setup and fixtures shared by every app's tests.

Django modules are imported inside the fixtures: this file is read before pytest-django configures Django.
"""

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _fresh_flag_snapshot() -> Iterator[None]:
    """Each test starts with an empty cache and no in-process flag snapshot."""
    from django.core.cache import cache

    from rollout import flags

    cache.clear()
    flags.reset_for_tests()
    yield
    cache.clear()
    flags.reset_for_tests()


@pytest.fixture
def api() -> Any:
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def fast_mode(db: Any) -> Any:
    from rollout.bootstrap import bootstrap_fast_mode

    feature, _ = bootstrap_fast_mode()
    return feature


@pytest.fixture
def make_installation(db: Any) -> Any:
    from rollout import services

    def make(**platform: str) -> Any:
        return services.installation_register(**platform)

    return make


@pytest.fixture
def installation_client(make_installation: Any) -> Any:
    """(client authenticated as a fresh installation, that installation)."""
    from rest_framework.test import APIClient

    installation, token = make_installation(os="linux", arch="x86_64", shim_version="0.1.0")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client, installation


@pytest.fixture
def staff_client(db: Any) -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client

    user = get_user_model().objects.create_user(
        "maintainer", "m@example.com", "pw-not-used", is_staff=True, is_superuser=True
    )
    client = Client()
    client.force_login(user)
    client.user = user  # type: ignore[attr-defined]
    return client


# --- a real Celery worker on Redis (CI: `make test-postgres`) ---------------------------------------------------


@pytest.fixture
def worker_broker() -> str:
    """The Redis URL for worker tests; they skip without one, and on SQLite, whose test database is in memory."""
    import os

    from django.db import connection

    broker = os.environ.get("PITWALL_TEST_CELERY_BROKER", "")
    if not broker:
        pytest.skip("set PITWALL_TEST_CELERY_BROKER=redis://127.0.0.1:6379/15 (make test-postgres does)")
    if connection.vendor != "postgresql":
        pytest.skip("a worker process cannot open SQLite's in-memory test database; runs on PostgreSQL")
    return broker


@pytest.fixture
def celery_worker_env() -> dict[str, str]:
    """Extra environment for the worker process; a test module overrides it when its tasks need settings."""
    return {}


@pytest.fixture
def worker_queue(worker_broker: str, celery_worker_env: dict[str, str], transactional_db: Any) -> Iterator[str]:
    """A solo worker consuming one fresh queue of the test database, so runs and leftovers never meet."""
    import os
    import signal
    import subprocess
    import sys
    import uuid
    from pathlib import Path

    from tests.live_db import url_for_other_processes

    database_url = url_for_other_processes()
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": worker_broker,
           "CELERY_RESULT_BACKEND": worker_broker, **celery_worker_env}
    process = subprocess.Popen(  # noqa: S603 - our own interpreter running Celery
        [sys.executable, "-m", "celery", "-A", "pitwall", "worker", "--pool=solo", "--concurrency=1", "-Q", queue,
         "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=Path(__file__).resolve().parent, env=env,
    )
    try:
        yield queue
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def celery_probe(worker_broker: str) -> Iterator[Any]:
    """A client app for sending tasks to the worker and waiting on their results (no sleeps).

    Not the current app: shared tasks resolve through the current app, and a probe that became it would send
    every later test's tasks to Redis instead of running them in process.
    """
    from celery import Celery
    from kombu import pools

    # Producer pools are process-wide, keyed by broker URL: one closed by an earlier test would be reused.
    pools.reset()
    client = Celery("probe", broker=worker_broker, backend=worker_broker, set_as_current=False)
    yield client
    client.close()
