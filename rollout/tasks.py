"""Celery tasks of the rollout app: thin wrappers over services."""

from celery import shared_task

from rollout import services


@shared_task(name="rollout.purge_expired_enrollment_codes", ignore_result=False)
def purge_expired_enrollment_codes() -> int:
    return services.enrollment_codes_purge()
