"""Worker faults (issue 8): a Celery worker on Redis is killed with SIGKILL in the middle of scoring and of webhook
processing; after the restart every feedback item is scored once and every webhook delivery processed once.

The worker runs as in production (prefork, two pool processes, as in the Procfile) with the hooks of
tests/worker_faults_app.py, which hold a task at a point the test armed and report it held. The test kills only
then, so the timing is exact and nothing sleeps:
1. each pool process while inside its transaction (scoring: the item row updated; a delivery: its feedback item
   inserted): the worker requeues both messages at once (reject_on_worker_lost) and the rolled-back work is redone;
2. the whole worker, every process, while a scoring task and a delivery task have committed but their messages
   are not acknowledged: a new worker gets them back once the visibility timeout has passed, and must not apply
   them again.
"Once" is observable: FeedbackItem.score_count counts the scores written, WebhookDelivery.attempts the processing
runs that finished, and (source, external id) is unique.

The worker test needs PostgreSQL and PITWALL_TEST_CELERY_BROKER (make test-postgres): see conftest.worker_broker.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from time import monotonic
from typing import Any

import pytest
import redis
from django.db import OperationalError, connection, transaction
from django.db.models import F, Q

import bots.services as bots_services
import feedback.scoring as scoring
from bots import tasks as bots_tasks
from bots.github.events import sign
from bots.models import DeliveryOutcome, WebhookDelivery
from feedback import services as feedback_services
from feedback.models import FeedbackItem, FeedbackSource
from feedback.scoring.datasets import load_github_gold
from pitwall.celery import app as pitwall_celery
from tests.celery_dispatch import tasks_sent_to
from tests.live_db import url_for_other_processes
from tests.shared import shared_data

REPO_ROOT = Path(__file__).resolve().parent.parent
SECRET = "worker-faults-secret"
# The recorded payloads' repository, and a label their issue carries.
REPOSITORY = "Codertocat/Hello-World"
LABEL = "bug"
N_ITEMS = 120
N_ISSUES = 15
N_COMMENTS = 15
# Seconds before the new worker takes back a dead worker's unacknowledged messages (production: 900); well above
# any task's run time here, so messages of running tasks are not handed out twice.
SHORT_VISIBILITY_TIMEOUT = 5
WAIT_SECONDS = 45


# --- fault control through Redis (see tests/worker_faults_app.py) -------------------------------------------


@dataclass(frozen=True)
class Held:
    point: str
    task_id: str
    args: list[Any]
    pid: int


class Faults:
    def __init__(self, client: redis.Redis, namespace: str) -> None:
        self.client = client
        self.namespace = namespace

    def arm(self, *points: str) -> None:
        self.client.sadd(f"{self.namespace}:armed", *points)

    def wait_held(self, *points: str) -> dict[str, Held]:
        """The tasks held at `points`, once every one is; fails after WAIT_SECONDS."""
        deadline = monotonic() + WAIT_SECONDS
        held: dict[str, Held] = {}
        while set(points) - set(held):
            remaining = deadline - monotonic()
            assert remaining > 0, f"held after {WAIT_SECONDS} s: {sorted(held)} of {sorted(points)}"
            popped = self.client.blpop([f"{self.namespace}:held"], timeout=remaining)
            if popped is not None:
                report = Held(**json.loads(popped[1]))
                held[report.point] = report
        return held

    def runs(self, kind: str, task_id: str) -> list[dict[str, Any]]:
        """Runs of one task message that "started" or "finished", in order."""
        entries = [json.loads(raw) for raw in self.client.lrange(f"{self.namespace}:{kind}", 0, -1)]
        return [entry for entry in entries if entry["task_id"] == task_id]

    def queue_idle(self) -> bool:
        """Nothing waits in the worker's queue and nothing taken from it is unacknowledged."""
        if self.client.llen(self.namespace):
            return False
        # kombu keeps each unacknowledged message as [message, exchange, routing key] in the hash "unacked".
        return all(json.loads(raw)[2] != self.namespace for raw in self.client.hvals("unacked"))

    def wait_until(self, condition: Callable[[], bool], what: str) -> None:
        """Re-check `condition` each time the worker finishes a task (at least every second) until it holds."""
        ticks = f"{self.namespace}:ticks"
        deadline = monotonic() + WAIT_SECONDS
        while not condition():
            assert monotonic() < deadline, f"not {what} after {WAIT_SECONDS} s"
            # Ticks pushed before this check are stale: the condition already saw what they announced.
            self.client.blpop([ticks], timeout=1)
            self.client.delete(ticks)


@pytest.fixture
def faults(worker_broker: str) -> Iterator[Faults]:
    namespace = f"faults-{uuid.uuid4().hex[:8]}"  # also the worker's queue
    # redis-py gives up reading a reply after 5 s by default; the blocking waits here are longer.
    client: redis.Redis = redis.Redis.from_url(worker_broker, socket_timeout=WAIT_SECONDS + 10)
    try:
        yield Faults(client, namespace)
    finally:
        keys = [*client.scan_iter(match=f"{namespace}*"), f"_kombu.binding.{namespace}"]
        client.delete(*keys)
        client.close()


@pytest.fixture
def celery_worker_env(faults: Faults, worker_broker: str) -> dict[str, str]:
    return {
        "GITHUB_WEBHOOK_SECRET": SECRET, "GITHUB_REPOSITORY": REPOSITORY, "GITHUB_FEEDBACK_LABEL": LABEL,
        "PITWALL_FAULTS_REDIS": worker_broker, "PITWALL_FAULTS_NS": faults.namespace,
    }


# --- workers and this process's sending ---------------------------------------------------------------------


class Workers:
    """Worker processes, each the leader of its own process group so one SIGKILL takes all its processes."""

    def __init__(self, env: dict[str, str], queue: str) -> None:
        self.env, self.queue = env, queue
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, **env: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tests.worker_faults_app", "worker", "--concurrency=2",
             "-Q", self.queue, "--loglevel=ERROR", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=REPO_ROOT, env={**self.env, **env}, start_new_session=True,
        )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.kill(process)


@pytest.fixture
def workers(
    worker_broker: str, celery_worker_env: dict[str, str], faults: Faults, transactional_db: Any
) -> Iterator[Workers]:
    database_url = url_for_other_processes()
    base = {name: value for name, value in os.environ.items() if name != "CELERY_VISIBILITY_TIMEOUT"}
    env = {**base, "DATABASE_URL": database_url, "CELERY_BROKER_URL": worker_broker, **celery_worker_env}
    pool = Workers(env, faults.namespace)
    try:
        yield pool
    finally:
        pool.stop_all()


@pytest.fixture
def dispatch_to_worker(faults: Faults, worker_broker: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's Celery app sends to the broker and the worker's queue instead of running tasks eagerly."""
    with tasks_sent_to(queue=faults.namespace, broker=worker_broker, monkeypatch=monkeypatch):
        yield


# --- the batch ----------------------------------------------------------------------------------------------


def _github_deliveries() -> list[tuple[str, str, bytes]]:
    """(delivery id, event, body): recorded payloads, each issue or comment given its own number or id so every
    delivery stores its own item, plus the recorded "opened" and "labeled" deliveries of one issue (one item)."""
    directory = shared_data("github-webhooks", what="recorded GitHub webhook payloads")

    def payload(name: str) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads((directory / f"{name}.json").read_bytes())
        return loaded

    deliveries = [
        (f"faults-recorded-{name}", name.split(".")[0], (directory / f"{name}.json").read_bytes())
        for name in ("issues.opened.0", "issues.labeled.0")
    ]
    for n in range(N_ISSUES):
        issue = payload("issues.opened.0")
        issue["issue"]["number"] = 1000 + n
        deliveries.append((f"faults-issue-{n}", "issues", json.dumps(issue).encode()))
    for n in range(N_COMMENTS):
        comment = payload(f"issue_comment.created.{n % 2}")
        comment["comment"]["id"] = 7_000_000 + n
        deliveries.append((f"faults-comment-{n}", "issue_comment", json.dumps(comment).encode()))
    return deliveries


def _post_delivery(client: Any, delivery_id: str, event: str, body: bytes) -> Any:
    return client.post(
        "/webhooks/github", data=body, content_type="application/json", HTTP_X_GITHUB_EVENT=event,
        HTTP_X_GITHUB_DELIVERY=delivery_id, HTTP_X_HUB_SIGNATURE_256=sign(secret=SECRET, body=body),
    )


def _row_locked(model: Any, pk: int) -> bool:
    """Whether another transaction (the held worker's) holds the row's lock."""
    try:
        with transaction.atomic():
            model.objects.select_for_update(nowait=True).get(pk=pk)
    except OperationalError:
        return True
    return False


def _scored_current() -> Q:
    return Q(scorer_version=scoring.SCORER_VERSION, scored_text_hash=F("text_hash"))


# --- the test -----------------------------------------------------------------------------------------------


@pytest.mark.celery_worker
@pytest.mark.shared_data
def test_worker_killed_mid_task__after_restart__every_item_scored_and_delivery_processed_once(
    workers: Workers, faults: Faults, dispatch_to_worker: None, client: Any, settings: Any
) -> None:
    settings.GITHUB_WEBHOOK_SECRET, settings.GITHUB_REPOSITORY = SECRET, REPOSITORY
    settings.GITHUB_FEEDBACK_LABEL = LABEL
    texts = [example.text for example in load_github_gold(shared_data("sentiment", what="labelled comments"))]
    deliveries = _github_deliveries()
    faults.arm("score.in_transaction", "delivery.in_transaction")
    first = workers.start()

    # Queued on commit, as in production: the items by the feedback service, the deliveries by the endpoint.
    for n, text in enumerate(texts[:N_ITEMS]):
        feedback_services.feedback_item_upsert(source=FeedbackSource.WEB, external_id=f"faults-{n}", text=text)
    for delivery_id, event, body in deliveries:
        assert _post_delivery(client, delivery_id, event, body).status_code == 202
    for delivery_id, event, body in deliveries[:5]:  # GitHub redelivers: acknowledged, not queued again
        assert _post_delivery(client, delivery_id, event, body).json()["status"] == "duplicate"

    # 1. Both pool processes are inside their transactions: the rows they write are locked, nothing committed.
    held = faults.wait_held("score.in_transaction", "delivery.in_transaction")
    scoring_item = held["score.in_transaction"].args[0]
    processing = held["delivery.in_transaction"].args[0]
    assert _row_locked(FeedbackItem, scoring_item) and _row_locked(WebhookDelivery, processing)
    assert FeedbackItem.objects.get(pk=scoring_item).score_count == 0
    assert WebhookDelivery.objects.get(pk=processing).outcome == DeliveryOutcome.PENDING
    faults.arm("score.after_commit", "delivery.after_commit")
    for report in held.values():
        os.kill(report.pid, signal.SIGKILL)

    # 2. The worker requeued both; new pool processes redid them and committed, and stop before acknowledging.
    committed = faults.wait_held("score.after_commit", "delivery.after_commit")
    assert not {report.pid for report in committed.values()} & {report.pid for report in held.values()}
    scored_item = committed["score.after_commit"].args[0]
    processed = committed["delivery.after_commit"].args[0]
    assert FeedbackItem.objects.get(pk=scored_item).score_count == 1
    assert WebhookDelivery.objects.get(pk=processed).outcome == DeliveryOutcome.PROCESSED
    workers.kill(first)

    # 3. A new worker takes the unacknowledged messages back and finishes everything.
    workers.start(CELERY_VISIBILITY_TIMEOUT=str(SHORT_VISIBILITY_TIMEOUT))

    def all_done() -> bool:
        return (
            not WebhookDelivery.objects.filter(outcome=DeliveryOutcome.PENDING).exists()
            and not FeedbackItem.objects.exclude(_scored_current()).exists()
            and all(len(faults.runs("finished", report.task_id)) >= 2 for report in committed.values())
            and faults.queue_idle()
        )

    faults.wait_until(all_done, "every item scored and every delivery processed")

    # A message killed mid-transaction ran again to the end (it may be the one held after commit next); one
    # killed after commit ran again after the restart and found nothing to do.
    for report in held.values():
        started, finished = faults.runs("started", report.task_id), faults.runs("finished", report.task_id)
        assert len(started) >= 2 and finished and {run["state"] for run in finished} == {"SUCCESS"}
    rescored = faults.runs("finished", committed["score.after_commit"].task_id)
    assert rescored[0]["retval"] == "scored" and {run["retval"] for run in rescored[1:]} == {"skipped"}
    # Every item scored exactly once, every delivery processed exactly once, one item per issue or comment.
    assert FeedbackItem.objects.filter(source=FeedbackSource.WEB).count() == N_ITEMS
    assert FeedbackItem.objects.filter(source=FeedbackSource.GITHUB).count() == 1 + N_ISSUES + N_COMMENTS
    assert set(FeedbackItem.objects.values_list("score_count", flat=True)) == {1}
    assert WebhookDelivery.objects.count() == len(deliveries)
    assert set(WebhookDelivery.objects.values_list("outcome", "attempts")) == {(DeliveryOutcome.PROCESSED, 1)}


# --- a redelivered copy racing the run still going ----------------------------------------------------------


def test_score__copy_scores_while_first_run_scores__one_score_written(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The redelivered copy runs whole between the first run's read and its write: the first writes nothing."""
    # In a test transaction the on-commit task never runs: the item stays unscored.
    item = feedback_services.feedback_item_upsert(
        source=FeedbackSource.WEB, external_id="race", text="hot reload broke after the update"
    ).item
    real_score_text = scoring.score_text
    copy_results: list[str] = []

    def score_while_copy_runs(text: str) -> Any:
        monkeypatch.setattr(scoring, "score_text", real_score_text)
        copy_results.append(feedback_services.feedback_item_score(item_id=item.pk))
        return real_score_text(text)

    monkeypatch.setattr(scoring, "score_text", score_while_copy_runs)

    assert feedback_services.feedback_item_score(item_id=item.pk) == "skipped"
    assert copy_results == ["scored"]
    item.refresh_from_db()
    assert item.score_count == 1 and item.scorer_version == scoring.SCORER_VERSION


@pytest.mark.shared_data
def test_delivery__copy_starts_while_first_run_applies__waits_and_changes_nothing(
    transactional_db: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy blocks on the delivery's row lock until the first run commits, then finds it processed."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks (select_for_update) are what is tested; SQLite has none")
    settings.GITHUB_REPOSITORY, settings.GITHUB_FEEDBACK_LABEL = REPOSITORY, LABEL
    monkeypatch.setattr(bots_services, "_queue_processing", lambda delivery_id: None)
    monkeypatch.setattr(feedback_services, "_queue_scoring", lambda item_id: None)
    delivery_id, event, body = _github_deliveries()[0]
    delivery = bots_services.webhook_delivery_receive(
        delivery_id=delivery_id, event=event, payload=json.loads(body)
    ).delivery

    applied, release = threading.Event(), threading.Event()
    real_apply = bots_services._apply

    def apply_then_wait(decision: Any) -> tuple[str, str]:
        outcome = real_apply(decision)
        if threading.current_thread().name == "first":
            applied.set()
            release.wait(timeout=WAIT_SECONDS)
        return outcome

    monkeypatch.setattr(bots_services, "_apply", apply_then_wait)
    results: dict[str, str] = {}

    def process() -> None:
        try:
            results[threading.current_thread().name] = bots_services.webhook_delivery_process(delivery_id=delivery.pk)
        finally:
            connection.close()

    runs = {name: threading.Thread(target=process, name=name) for name in ("first", "copy")}
    runs["first"].start()
    assert applied.wait(timeout=WAIT_SECONDS)
    runs["copy"].start()
    deadline = monotonic() + WAIT_SECONDS
    with connection.cursor() as cursor:
        while True:  # until the copy waits for the first run's row lock
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone() == (1,):
                break
            assert monotonic() < deadline, "the copy never waited for the row lock"
    release.set()
    for run in runs.values():
        run.join(timeout=WAIT_SECONDS)

    assert results == {"first": DeliveryOutcome.PROCESSED, "copy": DeliveryOutcome.PROCESSED}
    delivery.refresh_from_db()
    assert (delivery.outcome, delivery.attempts) == (DeliveryOutcome.PROCESSED, 1)
    assert FeedbackItem.objects.filter(source=FeedbackSource.GITHUB).count() == 1


# --- configuration ------------------------------------------------------------------------------------------


def test_visibility_timeout__longer_than_every_retry_countdown(settings: Any) -> None:
    """A message waiting in a worker for its retry countdown is unacknowledged: Redis must not hand it out again."""
    pitwall_celery.loader.import_default_modules()
    longest = bots_tasks.RETRY_COUNTDOWN_MAX
    for task in pitwall_celery.tasks.values():
        if not getattr(task, "autoretry_for", ()):
            continue
        backoff = getattr(task, "retry_backoff", False)
        if not backoff:
            longest = max(longest, task.default_retry_delay or 0)
            continue
        cap = int(getattr(task, "retry_backoff_max", 600))
        retries = task.max_retries
        longest = max(longest, cap if retries is None else min(cap, int(backoff) * 2 ** max(retries - 1, 0)))
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > longest
