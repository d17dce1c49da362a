"""The feedback inbox in the admin: pages render, text is escaped, triage and deletion go through the services."""

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from feedback import services
from feedback.models import FeedbackItem
from feedback.tests.conftest import FakeScorer
from rollout import services as rollout_services
from rollout.models import AuditEvent

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/feedback/feedbackitem/"


@pytest.mark.parametrize(
    "query",
    ["", "?triage_state__exact=new", "?source__exact=web", "?label__exact=negative", "?topic=docs",
     "?q=compile", "?ring=beta"],
)
def test_changelist__filters_and_search_render(
    staff_client: Any, make_item: Callable[..., FeedbackItem], query: str
) -> None:
    make_item(text="compile slow", label="negative", topics=("compile_time",))
    make_item(text="docs", topics=("docs",))
    assert staff_client.get(CHANGELIST + query).status_code == 200


def test_changelist__topic_filter__only_matching(staff_client: Any, make_item: Callable[..., FeedbackItem]) -> None:
    make_item(text="about compile", topics=("compile_time",))
    make_item(text="about the docs", topics=("docs",))
    page = staff_client.get(CHANGELIST + "?topic=docs").content.decode()
    assert "about the docs" in page and "about compile" not in page


def test_change_page__renders_text_escaped(staff_client: Any, make_item: Callable[..., FeedbackItem]) -> None:
    item = make_item(text="<script>alert(1)</script>", url="javascript:alert(2)")
    page = staff_client.get(f"{CHANGELIST}{item.pk}/change/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page and 'href="javascript:' not in page
    listing = staff_client.get(CHANGELIST).content.decode()
    assert "<script>alert(1)</script>" not in listing


def test_change_page__save__triages_through_service(
    staff_client: Any, make_item: Callable[..., FeedbackItem]
) -> None:
    item = make_item()
    response = staff_client.post(
        f"{CHANGELIST}{item.pk}/change/", {"triage_state": "actioned", "maintainer_note": "fixed in 0.3"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.triage_state == "actioned" and item.maintainer_note == "fixed in 0.3"
    assert AuditEvent.objects.filter(action="feedback.item.triaged", actor="user:maintainer").exists()


def test_no_add_or_plain_delete(staff_client: Any, make_item: Callable[..., FeedbackItem]) -> None:
    item = make_item()
    assert staff_client.get(f"{CHANGELIST}add/").status_code == 403
    assert staff_client.get(f"{CHANGELIST}{item.pk}/delete/").status_code == 403


def test_action__mark_triaged(staff_client: Any, make_item: Callable[..., FeedbackItem]) -> None:
    items = [make_item(), make_item()]
    response = staff_client.post(
        CHANGELIST, {"action": "mark_triaged", "_selected_action": [i.pk for i in items]}
    )
    assert response.status_code == 302
    assert set(FeedbackItem.objects.values_list("triage_state", flat=True)) == {"triaged"}
    assert AuditEvent.objects.filter(action="feedback.item.triaged").count() == 2


def test_action__rescore(staff_client: Any, make_item: Callable[..., FeedbackItem], fake_scorer: FakeScorer) -> None:
    item = make_item(label="")
    staff_client.post(CHANGELIST, {"action": "rescore", "_selected_action": [item.pk]})
    item.refresh_from_db()
    assert item.label == "neutral" and item.scorer_version == fake_scorer.version


def test_action__delete_authors_feedback__confirms_then_deletes_everything_of_them(
    staff_client: Any, fake_scorer: FakeScorer, make_installation: Any
) -> None:
    participant = rollout_services.participant_upsert(handle="ferris", discord_id="5")
    installation, _ = make_installation()
    installation.participant = participant
    installation.save(update_fields=["participant"])
    on_discord = services.feedback_item_upsert(
        source="discord", external_id="1", text="private words", participant=participant
    ).item
    services.feedback_submit_from_installation(installation=installation, client_id=uuid.uuid4(), text="more")
    by_handle = services.feedback_item_upsert(source="github", external_id="o/r#2", text="x", author_handle="Octo")
    services.feedback_item_upsert(source="web", external_id="w1", text="y", author_handle="octo")
    anonymous = services.feedback_item_upsert(source="web", external_id="w2", text="anon").item
    keep = services.feedback_item_upsert(source="web", external_id="w3", text="stays", author_handle="else").item
    selected = [on_discord.pk, by_handle.item.pk, anonymous.pk]

    confirm = staff_client.post(CHANGELIST, {"action": "delete_authors_feedback", "_selected_action": selected})
    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "participant ferris" in page and "Octo" in page and f"anonymous item #{anonymous.pk}" in page
    assert FeedbackItem.objects.count() == 6

    done = staff_client.post(
        CHANGELIST,
        {"action": "delete_authors_feedback", "_selected_action": selected, "confirm": "yes", "reason": "asked"},
    )
    assert done.status_code == 302
    assert list(FeedbackItem.objects.values_list("pk", flat=True)) == [keep.pk]
    assert AuditEvent.objects.filter(action="feedback.person.deleted").count() == 2
    assert AuditEvent.objects.filter(action="feedback.item.deleted").count() == 1
    audit_text = " ".join(str(e.after) + e.object_repr + e.reason for e in AuditEvent.objects.all())
    assert "private words" not in audit_text and "octo" not in audit_text.lower()
