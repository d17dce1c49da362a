"""A real Celery worker on Redis runs a task against the real (PostgreSQL) test database.

Runs when PITWALL_TEST_CELERY_BROKER names a Redis URL (`make test-postgres`, CI) and the database is one a
second process can open (not SQLite's in-memory test database).
"""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from rollout import services
from rollout.models import EnrollmentCode


def test_worker__purges_expired_codes_in_shared_database(worker_queue: str, celery_probe: Any) -> None:
    participant = services.participant_upsert(handle="worker-test")
    _, old = services.enrollment_create(
        participant=participant, ring="beta", source="web", consent_text_version="1", actor="t"
    )
    assert old is not None
    EnrollmentCode.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=30))
    fresh = services.enrollment_code_issue(enrollment=old.enrollment)

    result = celery_probe.send_task("rollout.purge_expired_enrollment_codes", queue=worker_queue)
    assert result.get(timeout=120) == 1
    assert not EnrollmentCode.objects.filter(pk=old.pk).exists()
    assert EnrollmentCode.objects.filter(pk=fresh.pk).exists()
