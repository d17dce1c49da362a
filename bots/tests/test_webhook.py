"""POST /webhooks/github with GitHub's recorded payloads: signature, size, replays, events, processing."""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from celery.exceptions import Retry
from django.db import OperationalError
from django.utils import timezone

from bots import services
from bots.github.events import sign
from bots.models import DeliveryOutcome, WebhookDelivery
from bots.tasks import process_github_delivery
from bots.tests.conftest import SECRET
from feedback.models import FeedbackItem
from rollout.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]

Post = Callable[..., Any]
Load = Callable[[str], bytes]


def _edited(raw: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    payload = json.loads(raw)
    change(payload)
    return json.dumps(payload).encode()


def _github_items() -> list[FeedbackItem]:
    return list(FeedbackItem.objects.filter(source="github").order_by("id"))


# --- the door: configuration, size, signature, headers ------------------------------------------------------


def test_webhook__no_secret__503_says_off(post_webhook: Post, webhook_payload: Load, settings: Any) -> None:
    settings.GITHUB_WEBHOOK_SECRET = ""
    response = post_webhook(webhook_payload("ping.ping.0"), event="ping")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "webhook_off"
    assert "GITHUB_WEBHOOK_SECRET" in response.json()["error"]["message"]
    assert not WebhookDelivery.objects.exists()


def test_webhook__missing_signature__401_nothing_stored(post_webhook: Post, webhook_payload: Load) -> None:
    response = post_webhook(webhook_payload("issues.opened.0"), event="issues", signature=None)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "signature_missing"
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize(
    "signature",
    [
        sign(secret="another-secret", body=b"{}"),
        "sha256=" + "0" * 64,
        "sha1=0123456789abcdef0123456789abcdef01234567",
        "sha256=not-hex-ü",
    ],
)
def test_webhook__bad_signature__401_nothing_stored(post_webhook: Post, webhook_payload: Load, signature: str) -> None:
    response = post_webhook(webhook_payload("issues.opened.0"), event="issues", signature=signature)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "signature_invalid"
    assert not WebhookDelivery.objects.exists() and not FeedbackItem.objects.exists()


def test_webhook__body_signed_then_changed__401(client: Any, webhook_payload: Load) -> None:
    raw = webhook_payload("issues.opened.0")
    tampered = raw.replace(b"Spelling error", b"Spelling errors")
    response = client.post("/webhooks/github", data=tampered, content_type="application/json",
                           HTTP_X_GITHUB_EVENT="issues", HTTP_X_GITHUB_DELIVERY="d-1",
                           HTTP_X_HUB_SIGNATURE_256=sign(secret=SECRET, body=raw))
    assert response.status_code == 401


def test_webhook__declared_length_over_cap__413_before_reading(post_webhook: Post, settings: Any) -> None:
    settings.PITWALL_GITHUB_WEBHOOK_MAX_BYTES = 1000
    response = post_webhook(b"{" + b" " * 2000 + b"}", event="issues")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert not WebhookDelivery.objects.exists()


def test_webhook__body_over_global_upload_cap_under_ours__accepted(
    post_webhook: Post, webhook_payload: Load, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """DATA_UPLOAD_MAX_MEMORY_SIZE (1 MiB) does not apply: the view reads the raw stream itself."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = _edited(webhook_payload("issues.opened.0"), lambda p: p["issue"].update(body="x" * 3000))
    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(body, event="issues")
    assert response.status_code == 202
    assert FeedbackItem.objects.get().text.endswith("x" * 100)


def test_webhook__huge_body__413(post_webhook: Post) -> None:
    response = post_webhook(b'{"zen": "' + b"a" * (6 * 1024 * 1024) + b'"}', event="ping")
    assert response.status_code == 413
    assert not WebhookDelivery.objects.exists()


def test_webhook__signed_but_not_json__400(post_webhook: Post) -> None:
    response = post_webhook(b"this is not json", event="issues")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_payload"


def test_webhook__missing_delivery_header__400(client: Any, webhook_payload: Load) -> None:
    raw = webhook_payload("ping.ping.0")
    response = client.post("/webhooks/github", data=raw, content_type="application/json",
                           HTTP_X_GITHUB_EVENT="ping", HTTP_X_HUB_SIGNATURE_256=sign(secret=SECRET, body=raw))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "headers_missing"


def test_webhook__get__405(client: Any) -> None:
    assert client.get("/webhooks/github").status_code == 405


def test_webhook__form_encoded_delivery__accepted(client: Any, webhook_payload: Load) -> None:
    from urllib.parse import urlencode

    raw = urlencode({"payload": webhook_payload("ping.ping.0").decode()}).encode()
    response = client.post("/webhooks/github", data=raw, content_type="application/x-www-form-urlencoded",
                           HTTP_X_GITHUB_EVENT="ping", HTTP_X_GITHUB_DELIVERY="form-1",
                           HTTP_X_HUB_SIGNATURE_256=sign(secret=SECRET, body=raw))
    assert response.status_code == 200 and response.json()["status"] == "pong"


# --- what is stored and acknowledged ------------------------------------------------------------------------


def test_webhook__ping__200_pong_recorded(post_webhook: Post, webhook_payload: Load) -> None:
    response = post_webhook(webhook_payload("ping.ping.0"), event="ping", delivery="ping-1")
    assert response.status_code == 200
    assert response.json() == {"status": "pong", "delivery": "ping-1"}
    delivery = WebhookDelivery.objects.get()
    assert delivery.outcome == DeliveryOutcome.PROCESSED and delivery.processed_at is not None


@pytest.mark.parametrize("event", ["push", "star", "pull_request", "workflow_run", "security_advisory"])
def test_webhook__unused_event__2xx_ignored_without_payload(
    post_webhook: Post, webhook_payload: Load, event: str
) -> None:
    response = post_webhook(webhook_payload("issues.opened.0"), event=event)
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    delivery = WebhookDelivery.objects.get()
    assert delivery.outcome == DeliveryOutcome.IGNORED and delivery.payload == {}
    assert not FeedbackItem.objects.exists()


def test_webhook__bot_sender__2xx_ignored(post_webhook: Post, webhook_payload: Load) -> None:
    body = _edited(webhook_payload("issue_comment.created.0"),
                   lambda p: p["sender"].update(type="Bot", login="dependabot[bot]"))
    response = post_webhook(body, event="issue_comment")
    assert response.status_code == 200 and response.json()["reason"] == "sent by a bot"
    assert not FeedbackItem.objects.exists()


def test_webhook__other_repository__2xx_ignored(post_webhook: Post, webhook_payload: Load, settings: Any) -> None:
    settings.GITHUB_REPOSITORY = "leptos-rs/cargo-leptos"
    response = post_webhook(webhook_payload("issues.opened.0"), event="issues")
    assert response.status_code == 200 and response.json()["reason"] == "another repository"


def test_webhook__redelivery__acknowledged_not_processed_again(
    post_webhook: Post, webhook_payload: Load, django_capture_on_commit_callbacks: Any
) -> None:
    raw = webhook_payload("issues.opened.0")
    with django_capture_on_commit_callbacks(execute=True) as first_callbacks:
        first = post_webhook(raw, event="issues", delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")
    with django_capture_on_commit_callbacks(execute=True) as replay_callbacks:
        replay = post_webhook(raw, event="issues", delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")
    assert first.status_code == 202 and first.json()["status"] == "queued"
    assert replay.status_code == 200 and replay.json()["status"] == "duplicate"
    assert len(first_callbacks) >= 1 and replay_callbacks == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 1 and delivery.outcome == DeliveryOutcome.PROCESSED
    assert FeedbackItem.objects.count() == 1


def test_webhook__issue_opened_with_label__feedback_stored(
    post_webhook: Post, webhook_payload: Load, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(webhook_payload("issues.opened.0"), event="issues")
    assert response.status_code == 202
    item = FeedbackItem.objects.get()
    assert item.source == "github"
    assert item.external_id == "codertocat/hello-world#1"
    assert item.text == "Spelling error in the README file\n\nIt looks like you accidently spelled 'commit' with two 't's."
    assert item.author_handle == "Codertocat"
    assert item.url == "https://github.com/Codertocat/Hello-World/issues/1"
    assert item.created_at == datetime(2019, 5, 15, 15, 20, 18, tzinfo=UTC)
    assert WebhookDelivery.objects.get().detail == "feedback stored"


def test_webhook__issue_without_label__ignored(
    post_webhook: Post, webhook_payload: Load, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.GITHUB_FEEDBACK_LABEL = "fast-mode feedback"
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(webhook_payload("issues.opened.0"), event="issues").status_code == 202
    assert not FeedbackItem.objects.exists()
    delivery = WebhookDelivery.objects.get()
    assert delivery.outcome == DeliveryOutcome.IGNORED and "label" in delivery.detail


def test_webhook__issue_labeled__stored_only_for_the_feedback_label(
    post_webhook: Post, webhook_payload: Load, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    raw = webhook_payload("issues.labeled.0")
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(raw, event="issues")
    assert [i.external_id for i in _github_items()] == ["codertocat/hello-world#1"]

    settings.GITHUB_FEEDBACK_LABEL = "fast-mode feedback"
    FeedbackItem.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(raw, event="issues")
    assert not FeedbackItem.objects.exists()


def test_webhook__issue_edited__text_updated_once(
    post_webhook: Post, webhook_payload: Load, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(webhook_payload("issues.opened.0"), event="issues")
        edited = _edited(webhook_payload("issues.edited.0"),
                         lambda p: p["issue"].update(body="Rebuilds take 40 s with fast mode."))
        post_webhook(edited, event="issues")
    item = FeedbackItem.objects.get()
    assert item.text.endswith("Rebuilds take 40 s with fast mode.") and item.edited_at is not None


def test_webhook__comment_lifecycle_on_labelled_issue__created_edited_deleted(
    post_webhook: Post, webhook_payload: Load, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(webhook_payload("issue_comment.created.0"), event="issue_comment")
    item = FeedbackItem.objects.get()
    assert item.external_id == "codertocat/hello-world#issuecomment-492700400"
    assert item.text == "You are totally right! I'll get this fixed right away."
    assert item.url.endswith("#issuecomment-492700400")

    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(webhook_payload("issue_comment.edited.0"), event="issue_comment")
    item.refresh_from_db()
    assert item.text == "You are totally right! I'll get this fixed today."

    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(webhook_payload("issue_comment.deleted.0"), event="issue_comment")
    assert not FeedbackItem.objects.exists()
    assert AuditEvent.objects.filter(action="feedback.item.deleted", actor="github").exists()
    assert WebhookDelivery.objects.order_by("-id").first().detail == "feedback deleted"  # type: ignore[union-attr]


def test_webhook__feedback_command_on_unlabelled_issue__stored_without_command(
    post_webhook: Post, webhook_payload: Load, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.GITHUB_FEEDBACK_LABEL = "fast-mode feedback"
    command = _edited(webhook_payload("issue_comment.created.1"),
                      lambda p: p["comment"].update(body="/feedback hot reload lost my state twice today"))
    plain = _edited(webhook_payload("issue_comment.created.1"),
                    lambda p: p["comment"].update(id=5, body="an ordinary comment"))
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(command, event="issue_comment")
        post_webhook(plain, event="issue_comment")
    assert [i.text for i in _github_items()] == ["hot reload lost my state twice today"]


def test_webhook__empty_feedback_command__ignored_with_reason(
    post_webhook: Post, webhook_payload: Load, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.GITHUB_FEEDBACK_LABEL = "fast-mode feedback"
    body = _edited(webhook_payload("issue_comment.created.1"), lambda p: p["comment"].update(body="/feedback   "))
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(body, event="issue_comment")
    delivery = WebhookDelivery.objects.get()
    assert delivery.outcome == DeliveryOutcome.IGNORED and delivery.detail.startswith("not stored")


def test_webhook__discussion_in_category__stored(
    post_webhook: Post, webhook_payload: Load, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.GITHUB_REPOSITORY = "octo-org/octo-repo"
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(webhook_payload("discussion.created.0"), event="discussion")
    item = FeedbackItem.objects.get()
    assert item.external_id == "octo-org/octo-repo/discussions/90"
    assert item.text == "Welcome to discussions!\n\nWe're glad to have you here!"


def test_webhook__discussion_in_other_category__ignored(
    post_webhook: Post, webhook_payload: Load, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.GITHUB_REPOSITORY = "octo-org/octo-repo"
    settings.GITHUB_DISCUSSION_CATEGORY = "Fast mode"
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(webhook_payload("discussion.created.0"), event="discussion")
    assert not FeedbackItem.objects.exists()
    assert WebhookDelivery.objects.get().detail == "another discussion category"


# --- a crash after the answer loses nothing -----------------------------------------------------------------


def test_delivery__task_never_ran__requeue_processes_it(post_webhook: Post, webhook_payload: Load) -> None:
    """The answer was sent, the task was lost (on-commit callbacks not run here): the sweeper finishes the job."""
    assert post_webhook(webhook_payload("issues.opened.0"), event="issues").status_code == 202
    delivery = WebhookDelivery.objects.get()
    assert delivery.outcome == DeliveryOutcome.PENDING and delivery.payload["issue"]["number"] == 1
    assert not FeedbackItem.objects.exists()

    WebhookDelivery.objects.filter(pk=delivery.pk).update(received_at=timezone.now() - timedelta(hours=1))
    assert services.webhook_deliveries_requeue() == 1
    delivery.refresh_from_db()
    assert delivery.outcome == DeliveryOutcome.PROCESSED
    assert FeedbackItem.objects.count() == 1
    assert services.webhook_deliveries_requeue() == 0


def test_delivery_task__run_twice__processed_once(post_webhook: Post, webhook_payload: Load) -> None:
    post_webhook(webhook_payload("issue_comment.created.0"), event="issue_comment")
    delivery = WebhookDelivery.objects.get()
    assert process_github_delivery.apply(args=(delivery.pk,)).get() == "processed"
    assert process_github_delivery.apply(args=(delivery.pk,)).get() == "processed"
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and FeedbackItem.objects.count() == 1


def test_delivery_task__transient_error__retried_then_processed(
    post_webhook: Post, webhook_payload: Load, monkeypatch: pytest.MonkeyPatch
) -> None:
    post_webhook(webhook_payload("issues.opened.0"), event="issues")
    delivery = WebhookDelivery.objects.get()
    real = services.webhook_delivery_process
    failures = iter([OperationalError("server closed the connection unexpectedly")])

    def flaky(*, delivery_id: int) -> str:
        error = next(failures, None)
        if error is not None:
            raise error
        return real(delivery_id=delivery_id)

    monkeypatch.setattr(services, "webhook_delivery_process", flaky)
    with pytest.raises(Retry):  # eagerly, the retry is handed back instead of scheduled
        process_github_delivery.apply(args=(delivery.pk,), throw=True)
    delivery.refresh_from_db()
    assert delivery.outcome == DeliveryOutcome.PENDING and delivery.attempts == 1
    assert delivery.detail.startswith("OperationalError")

    process_github_delivery.apply(args=(delivery.pk,), throw=True)  # the retry
    delivery.refresh_from_db()
    assert delivery.outcome == DeliveryOutcome.PROCESSED and delivery.attempts == 2
    assert FeedbackItem.objects.count() == 1


def test_delivery_task__unexpected_error__failed_and_recorded(
    post_webhook: Post, webhook_payload: Load, monkeypatch: pytest.MonkeyPatch
) -> None:
    post_webhook(webhook_payload("issues.opened.0"), event="issues")
    delivery = WebhookDelivery.objects.get()

    def broken(*, delivery_id: int) -> str:
        raise KeyError("number")

    monkeypatch.setattr(services, "webhook_delivery_process", broken)
    with pytest.raises(KeyError):
        process_github_delivery.apply(args=(delivery.pk,)).get()
    delivery.refresh_from_db()
    assert delivery.outcome == DeliveryOutcome.FAILED and delivery.detail.startswith("KeyError")


def test_deliveries_purge__old_finished_go__pending_stay(post_webhook: Post, webhook_payload: Load) -> None:
    post_webhook(webhook_payload("ping.ping.0"), event="ping")
    post_webhook(webhook_payload("issues.opened.0"), event="issues")
    WebhookDelivery.objects.update(received_at=timezone.now() - timedelta(days=90))
    assert services.webhook_deliveries_purge() == 1
    assert WebhookDelivery.objects.get().outcome == DeliveryOutcome.PENDING
