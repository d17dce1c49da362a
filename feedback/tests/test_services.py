"""The feedback services: idempotent receipt from every source, what is captured at submission, triage,
deletion on request."""

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from feedback import services
from feedback.models import FeedbackItem, FeedbackSource, FeedbackTopic, TriageState
from feedback.tests.conftest import FakeScorer
from pitwall.errors import ApplicationError
from rollout import services as rollout_services
from rollout.models import AuditEvent, Feature, PhaseKey

pytestmark = pytest.mark.django_db


def _discord(text: str, message_id: str = "1001", **kwargs: Any) -> services.FeedbackReceipt:
    return services.feedback_item_upsert(
        source=FeedbackSource.DISCORD, external_id=message_id, text=text, author_handle="ferris", **kwargs
    )


def test_upsert__same_external_id_twice__one_row_scored_once(
    fake_scorer: FakeScorer, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = _discord("compile is slow")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = _discord("compile is slow")
    assert first.created and not again.created and not again.text_changed
    assert again.item.pk == first.item.pk
    assert FeedbackItem.objects.count() == 1
    assert callbacks == []  # nothing new to score: no task queued
    assert fake_scorer.calls == ["compile is slow"]


def test_upsert__same_id_from_another_source__separate_items(fake_scorer: FakeScorer) -> None:
    _discord("hello", message_id="42")
    services.feedback_item_upsert(source=FeedbackSource.GITHUB, external_id="42", text="hello", author_handle="x")
    assert FeedbackItem.objects.count() == 2


def test_upsert__edited_text__updates_row_and_rescores(
    fake_scorer: FakeScorer, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        original = _discord("hot reload is great").item
    original.refresh_from_db()
    assert original.label == "positive"
    with django_capture_on_commit_callbacks(execute=True):
        receipt = _discord("hot reload is broken now")
    assert not receipt.created and receipt.text_changed
    item = FeedbackItem.objects.get()
    assert item.pk == original.pk and item.text == "hot reload is broken now" and item.edited_at is not None
    assert item.label == "negative" and item.scored_text_hash == item.text_hash
    assert list(item.topic_rows.values_list("topic", flat=True)) == ["hot_reload"]
    assert fake_scorer.calls == ["hot reload is great", "hot reload is broken now"]


def test_upsert__edit_before_scoring__old_score_kept_until_new_one_written(
    fake_scorer: FakeScorer, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _discord("I love it")
    with django_capture_on_commit_callbacks(execute=False) as pending:
        _discord("I hate it")
    item = FeedbackItem.objects.get()
    assert item.text == "I hate it" and item.label == "positive"  # old score still shown
    assert item.scored_text_hash != item.text_hash
    for callback in pending:
        callback()
    item.refresh_from_db()
    assert item.label == "negative"


def test_upsert__captures_ring_and_phase_at_submission(
    fake_scorer: FakeScorer, fast_mode: Feature, make_installation: Any
) -> None:
    installation, _ = make_installation()
    rollout_services.enrollment_create(
        installation=installation, ring="beta", source="shim", consent_text_version="1", actor="t"
    )
    installation.refresh_from_db()
    item = services.feedback_submit_from_installation(
        installation=installation, client_id=uuid.uuid4(), text="fast!"
    ).item
    assert (item.ring, item.phase) == ("beta", PhaseKey.BETA)

    preview = fast_mode.phases.get(key=PhaseKey.PREVIEW)
    rollout_services.feature_move_to_phase(feature=fast_mode, phase=preview, actor="t", reason="gate passed")
    rollout_services.enrollment_leave(installation=installation, actor="t")
    installation.refresh_from_db()
    later = services.feedback_submit_from_installation(
        installation=installation, client_id=uuid.uuid4(), text="still fast!"
    ).item
    assert (later.ring, later.phase) == ("general", PhaseKey.PREVIEW)
    item.refresh_from_db()
    assert (item.ring, item.phase) == ("beta", PhaseKey.BETA)  # history is not rewritten


def test_upsert__participant_ring_from_enrollment__unknown_author_has_no_ring(
    fake_scorer: FakeScorer, fast_mode: Feature
) -> None:
    participant = rollout_services.participant_upsert(handle="gbj", discord_id="77")
    rollout_services.enrollment_create(
        participant=participant, ring="preview", source="discord", consent_text_version="1", actor="t"
    )
    enrolled = _discord("hi", message_id="1", participant=participant).item
    stranger = services.feedback_item_upsert(
        source=FeedbackSource.GITHUB, external_id="o/r#1", text="hi", author_handle="someone"
    ).item
    assert enrolled.ring == "preview" and enrolled.participant == participant
    assert stranger.ring == "" and stranger.phase == PhaseKey.BETA


def test_upsert__keeps_message_time_and_link(fake_scorer: FakeScorer) -> None:
    written = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    item = services.feedback_item_upsert(
        source=FeedbackSource.GITHUB, external_id="leptos-rs/cargo-leptos#12", text="docs are thin",
        author_handle="octo", url="https://github.com/leptos-rs/cargo-leptos/issues/12", created_at=written,
    ).item
    assert item.created_at == written and item.received_at > written
    assert item.url.endswith("/issues/12")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "feedback_text_empty"),
        ("   \n\t ", "feedback_text_empty"),
        ("x" * 4001, "feedback_text_too_long"),
        ("nul\x00byte", "feedback_text_invalid"),
        ("\x01\x02\x03binary", "feedback_text_invalid"),
        ("lone \ud800 surrogate", "feedback_text_invalid"),
    ],
)
def test_upsert__refused_text__nothing_stored(fake_scorer: FakeScorer, text: str, code: str) -> None:
    with pytest.raises(ApplicationError) as refused:
        _discord(text)
    assert refused.value.code == code
    assert not FeedbackItem.objects.exists()


def test_upsert__repair_text__bots_keep_what_can_be_stored(fake_scorer: FakeScorer) -> None:
    pasted = "build failed:\x1b[31m error[E0277]\x1b[0m \x00" + "y" * 5000
    item = _discord(pasted, repair_text=True).item
    assert len(item.text) == 4000 and item.text.endswith("…")
    assert "\x1b" not in item.text and "\x00" not in item.text
    assert item.text.startswith("build failed: error[E0277] ")


def test_upsert__html_is_stored_verbatim(fake_scorer: FakeScorer) -> None:
    text = '<script>alert("x")</script> <b>bold</b> &amp;'
    assert _discord(text).item.text == text


def test_upsert__unknown_source_or_empty_id__refused(fake_scorer: FakeScorer) -> None:
    with pytest.raises(ApplicationError):
        services.feedback_item_upsert(source="email", external_id="1", text="hi")
    with pytest.raises(ApplicationError):
        services.feedback_item_upsert(source="web", external_id="  ", text="hi")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "not a url", "ftp://example.com/x"])
def test_upsert__link_not_http__refused(fake_scorer: FakeScorer, url: str) -> None:
    with pytest.raises(ApplicationError) as refused:
        services.feedback_item_upsert(source="github", external_id="1", text="hi", url=url)
    assert refused.value.code == "invalid_url"


def test_shim__same_client_id_from_two_installations__two_items(
    fake_scorer: FakeScorer, make_installation: Any
) -> None:
    first, _ = make_installation()
    second, _ = make_installation()
    client_id = uuid.uuid4()
    a = services.feedback_submit_from_installation(installation=first, client_id=client_id, text="mine").item
    b = services.feedback_submit_from_installation(installation=second, client_id=client_id, text="theirs").item
    a.refresh_from_db()
    assert a.pk != b.pk and a.text == "mine" and b.installation == second


def test_opt_out__installation_deleted__its_feedback_goes_too(
    fake_scorer: FakeScorer, make_installation: Any
) -> None:
    installation, _ = make_installation()
    services.feedback_submit_from_installation(installation=installation, client_id=uuid.uuid4(), text="x")
    rollout_services.installation_delete(installation=installation)
    assert not FeedbackItem.objects.exists() and not FeedbackTopic.objects.exists()


def test_triage__sets_state_and_note__audits_without_the_note(fake_scorer: FakeScorer, staff_client: Any) -> None:
    item = _discord("compile slow").item
    services.feedback_item_triage(
        item=item, actor=staff_client.user, triage_state=TriageState.ACTIONED, maintainer_note="see #88, @ferris"
    )
    item.refresh_from_db()
    assert item.triage_state == "actioned" and item.maintainer_note == "see #88, @ferris"
    assert item.triaged_by == staff_client.user and item.triaged_at is not None
    event = AuditEvent.objects.get(action="feedback.item.triaged")
    assert event.before == {"triage_state": "new"}
    assert event.after == {"triage_state": "actioned", "note_changed": True}
    assert "ferris" not in str(event.after) and "ferris" not in event.object_repr


def test_triage__unknown_state__refused(fake_scorer: FakeScorer) -> None:
    item = _discord("x").item
    with pytest.raises(ApplicationError):
        services.feedback_item_triage(item=item, actor="t", triage_state="closed")


def test_delete_for_person__participant__their_items_and_linked_installations_go(
    fake_scorer: FakeScorer, make_installation: Any
) -> None:
    participant = rollout_services.participant_upsert(handle="ferris", discord_id="9")
    installation, _ = make_installation()
    installation.participant = participant
    installation.save(update_fields=["participant"])
    _discord("secret text one", participant=participant)
    services.feedback_submit_from_installation(installation=installation, client_id=uuid.uuid4(), text="two")
    other = _discord("someone else", message_id="2002").item
    services.feedback_item_triage(item=other, actor="t", triage_state="triaged")

    deleted = services.feedback_delete_for_person(actor="maintainer", participant=participant, reason="asked")

    assert deleted == 2
    assert list(FeedbackItem.objects.values_list("pk", flat=True)) == [other.pk]
    event = AuditEvent.objects.get(action="feedback.person.deleted")
    assert event.after == {"matched_by": "participant", "deleted": 2} and event.reason == "asked"
    assert "secret" not in str(event.after) + event.object_repr


def test_delete_for_person__handle__case_insensitive_and_not_kept_in_audit(fake_scorer: FakeScorer) -> None:
    services.feedback_item_upsert(source="github", external_id="a", text="one", author_handle="Octo-Cat")
    services.feedback_item_upsert(source="web", external_id="b", text="two", author_handle="octo-cat")
    services.feedback_item_upsert(source="web", external_id="c", text="three", author_handle="someone")
    assert services.feedback_delete_for_person(actor="m", handle="OCTO-CAT") == 2
    assert FeedbackItem.objects.count() == 1
    event = AuditEvent.objects.get(action="feedback.person.deleted")
    assert "octo" not in (str(event.after) + event.object_repr + event.reason).lower()


def test_delete_for_person__triage_history_of_their_items_goes_too(fake_scorer: FakeScorer) -> None:
    item = services.feedback_item_upsert(source="web", external_id="a", text="one", author_handle="h").item
    services.feedback_item_triage(item=item, actor="m", triage_state="triaged")
    services.feedback_delete_for_person(actor="m", handle="h")
    assert not AuditEvent.objects.filter(object_type="feedback.feedbackitem", object_id=str(item.pk)).exists()


def test_delete_for_person__needs_exactly_one_name(fake_scorer: FakeScorer) -> None:
    with pytest.raises(ApplicationError):
        services.feedback_delete_for_person(actor="m")
    participant = rollout_services.participant_upsert(handle="x", discord_id="1")
    with pytest.raises(ApplicationError):
        services.feedback_delete_for_person(actor="m", participant=participant, handle="x")
