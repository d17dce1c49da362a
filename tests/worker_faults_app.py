"""The production Celery app with the fault hooks of tests/test_worker_faults.py, which runs
`celery -A tests.worker_faults_app worker ...` (nothing else uses this module).

Every hook talks to Redis under the namespace PITWALL_FAULTS_NS:
- each task start and finish is appended to `<ns>:started` / `<ns>:finished`, and each finish pushes a tick on
  `<ns>:ticks`, so the test sees which messages ran again after a kill and waits on ticks instead of sleeping;
- a point the test armed (a member of the set `<ns>:armed`) holds the first task that reaches it: the hook reports
  it on `<ns>:held` (point, task id, args, pid) and blocks on a list nobody pushes, until the test kills the
  process. The points:
    score.in_transaction     feedback.score_item updated the item row; not committed (post_save, inside the write)
    score.after_commit       feedback.score_item wrote a score and returned; its message is not acknowledged yet
    delivery.in_transaction  bots.process_github_delivery inserted the feedback item; not committed
    delivery.after_commit    bots.process_github_delivery marked the delivery done and returned; not acknowledged

Tasks the worker queues itself (scoring of the feedback a delivery stored) go to the test's queue, and the broker
looks for unacknowledged messages to restore every second instead of every 100 s, so the test need not wait.
"""

import json
import os
from dataclasses import dataclass
from typing import Any

import redis
from celery.signals import task_postrun, task_prerun
from django.db.models.signals import post_save

from pitwall.celery import app

# A held task gives up after this (the test that should kill it has died); far longer than any test waits.
HOLD_LIMIT_SECONDS = 120

# Also the name of the worker's queue.
NAMESPACE = os.environ["PITWALL_FAULTS_NS"]
POSTRUN_POINTS = {"feedback.score_item": "score.after_commit", "bots.process_github_delivery": "delivery.after_commit"}

app.conf.task_default_queue = NAMESPACE
app.conf.broker_transport_options = {
    **app.conf.broker_transport_options,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}


@dataclass
class Run:
    """The task this pool process runs (one at a time), and whether it wrote its effects."""

    task_id: str
    name: str
    args: list[Any]
    wrote: bool = False


_running: Run | None = None
_clients: dict[int, redis.Redis] = {}


def _redis() -> redis.Redis:
    # One client per process: prefork children must not share the parent's sockets.
    pid = os.getpid()
    if pid not in _clients:
        # redis-py gives up reading a reply after 5 s by default; a held task blocks far longer.
        _clients[pid] = redis.Redis.from_url(
            os.environ["PITWALL_FAULTS_REDIS"], socket_timeout=HOLD_LIMIT_SECONDS + 10
        )
    return _clients[pid]


def _hold_if_armed(point: str) -> None:
    client = _redis()
    if _running is None or not client.srem(f"{NAMESPACE}:armed", point):
        return
    client.rpush(f"{NAMESPACE}:held", json.dumps(
        {"point": point, "task_id": _running.task_id, "args": _running.args, "pid": os.getpid()}
    ))
    client.blpop([f"{NAMESPACE}:never"], timeout=HOLD_LIMIT_SECONDS)


@task_prerun.connect
def _on_task_start(task_id: str, task: Any, args: Any = (), **_: Any) -> None:
    global _running
    _running = Run(task_id=task_id, name=task.name, args=list(args or ()))
    _redis().rpush(f"{NAMESPACE}:started", json.dumps({"task_id": task_id, "name": task.name, "args": _running.args}))


@task_postrun.connect
def _on_task_finish(task_id: str, task: Any, args: Any = (), retval: Any = None, state: str = "", **_: Any) -> None:
    global _running
    client = _redis()
    client.rpush(f"{NAMESPACE}:finished", json.dumps(
        {"task_id": task_id, "name": task.name, "args": list(args or ()), "state": state, "retval": str(retval)}
    ))
    client.rpush(f"{NAMESPACE}:ticks", "1")
    point = POSTRUN_POINTS.get(task.name)
    if point and _running is not None and _running.wrote:
        _hold_if_armed(point)
    _running = None


def _on_model_saved(sender: Any, created: bool, update_fields: Any = None, **_: Any) -> None:
    if _running is None:
        return
    model, fields = sender._meta.label, set(update_fields or ())
    if _running.name == "feedback.score_item" and model == "feedback.FeedbackItem" and "score_count" in fields:
        _running.wrote = True
        _hold_if_armed("score.in_transaction")
    elif _running.name == "bots.process_github_delivery":
        if model == "feedback.FeedbackItem" and created:
            _hold_if_armed("delivery.in_transaction")
        elif model == "bots.WebhookDelivery" and "processed_at" in fields:
            _running.wrote = True


post_save.connect(_on_model_saved, weak=False, dispatch_uid="worker-faults")
