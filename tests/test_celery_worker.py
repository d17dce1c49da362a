"""A real Celery worker on Redis runs a task against the real (PostgreSQL) test database.

Runs when PITWALL_TEST_CELERY_BROKER names a Redis URL (`make test-postgres`, CI) and the database is one a
second process can open (not SQLite's in-memory test database).
"""

import os
import signal
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from django.db import connection
from django.utils import timezone

from rollout import services
from rollout.models import EnrollmentCode

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def worker_broker() -> str:
    broker = os.environ.get("PITWALL_TEST_CELERY_BROKER", "")
    if not broker:
        pytest.skip("set PITWALL_TEST_CELERY_BROKER=redis://127.0.0.1:6379/15 (make test-postgres does)")
    if connection.vendor != "postgresql":
        pytest.skip("a worker process cannot open SQLite's in-memory test database; runs on PostgreSQL")
    return broker


def _database_url() -> str:
    settings = connection.settings_dict
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    user = settings.get("USER") or "postgres"
    return f"postgres://{user}@{host}:{port}/{settings['NAME']}"


@pytest.fixture
def celery_worker_process(worker_broker: str, transactional_db: Any) -> Any:
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": worker_broker,
        "CELERY_RESULT_BACKEND": worker_broker,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "pitwall",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queue,
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=REPO_ROOT,
        env=env,
    )
    try:
        yield queue
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def test_worker__purges_expired_codes_in_shared_database(
    worker_broker: str, celery_worker_process: str
) -> None:
    participant = services.participant_upsert(handle="worker-test")
    _, old = services.enrollment_create(
        participant=participant, ring="beta", source="web", consent_text_version="1", actor="t"
    )
    assert old is not None
    EnrollmentCode.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=30))
    fresh = services.enrollment_code_issue(enrollment=old.enrollment)

    # Not the current app: later tests must keep running their tasks in process.
    client = Celery("probe", broker=worker_broker, backend=worker_broker, set_as_current=False)
    result = client.send_task("rollout.purge_expired_enrollment_codes", queue=celery_worker_process)
    assert result.get(timeout=120) == 1
    assert not EnrollmentCode.objects.filter(pk=old.pk).exists()
    assert EnrollmentCode.objects.filter(pk=fresh.pk).exists()
