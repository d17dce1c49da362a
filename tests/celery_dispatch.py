"""Sending this process's tasks to a real broker, for tests that run a worker (instead of running them eagerly)."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from celery.app.amqp import AMQP

from pitwall.celery import app as pitwall_celery


@contextmanager
def tasks_sent_to(*, queue: str, broker: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The project's Celery app publishes to `broker`, on `queue`, until the block ends."""
    monkeypatch.setitem(pitwall_celery.conf, "task_always_eager", False)
    monkeypatch.setitem(pitwall_celery.conf, "broker_url", broker)
    monkeypatch.setitem(pitwall_celery.conf, "task_default_queue", queue)
    # The app caches its queues and connection pool; fresh ones are built from the settings above.
    monkeypatch.setattr(pitwall_celery, "amqp", AMQP(app=pitwall_celery))
    monkeypatch.setattr(pitwall_celery, "_pool", None)
    try:
        yield
    finally:
        pool = getattr(pitwall_celery, "_pool", None)
        if pool is not None:
            pool.force_close_all()
