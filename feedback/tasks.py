"""Celery tasks of the feedback app: take ids, call a service.

Scoring is idempotent (an item already scored with the current scorer and text is skipped, checked again under
the row lock before writing), so it is acknowledged late: a task whose worker dies is run again, at once when only
its pool process died (reject_on_worker_lost), after CELERY_VISIBILITY_TIMEOUT when the whole worker did.
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from feedback import services


@shared_task(
    name="feedback.score_item",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def score_feedback_item(item_id: int) -> str:
    return services.feedback_item_score(item_id=item_id)


@shared_task(name="feedback.score_pending", ignore_result=True)
def score_pending_feedback() -> int:
    return services.feedback_queue_pending()
