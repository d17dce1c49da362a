"""Every write of the feedback app: receiving items from any source, scoring, triage, deletion on request.

Receiving an item is not audited (it is the person's own message, not a maintainer's decision, and the audit
log must not copy personal text); triage and deletion are.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

import feedback.scoring as scoring
from feedback import selectors
from feedback.models import FeedbackItem, FeedbackSource, FeedbackTopic, TriageState
from feedback.text import feedback_text_repair, feedback_text_validate, text_hash
from pitwall.errors import ApplicationError
from rollout.audit import Actor, audit_record
from rollout.models import AuditEvent, Installation, Participant

logger = logging.getLogger(__name__)

_URL_VALIDATOR = URLValidator(schemes=["http", "https"])


@dataclass(frozen=True)
class FeedbackReceipt:
    item: FeedbackItem
    created: bool
    # True when the text is new or differs from what was stored: a scoring task was queued.
    text_changed: bool


def _queue_scoring(item_id: int) -> None:
    """Queue the scoring task once the item is committed. Robust: a broker outage must not fail the sender's
    request (the item is saved; the periodic `feedback.score_pending` task picks it up later)."""
    from feedback.tasks import score_feedback_item

    transaction.on_commit(lambda: score_feedback_item.delay(item_id), robust=True)


# --- receiving ----------------------------------------------------------------------------------------------


@transaction.atomic
def feedback_item_upsert(
    *,
    source: str,
    external_id: str,
    text: str,
    author_handle: str = "",
    participant: Participant | None = None,
    installation: Installation | None = None,
    url: str = "",
    created_at: datetime | None = None,
    repair_text: bool = False,
) -> FeedbackReceipt:
    """Store a feedback item, idempotent by (source, external_id): sending it again changes nothing, an edit
    updates the text and re-queues scoring (the old score stays until the new one is written).

    The ring and phase are those at first receipt, as are the author and installation. `repair_text` is for the
    bots, which cannot ask the author again: control characters are dropped and long text is cut instead of
    refused.
    """
    if source not in FeedbackSource.values:
        raise ApplicationError(f"Unknown feedback source {source!r}.", code="invalid_source")
    external_id = external_id.strip()
    if not external_id or len(external_id) > 200:
        raise ApplicationError("A feedback item needs an external id of 1 to 200 characters.",
                               code="invalid_external_id")
    text = feedback_text_repair(text) if repair_text else feedback_text_validate(text)
    digest = text_hash(text)
    author_handle = author_handle.strip()[:100]
    url = url.strip()
    if url:
        if len(url) > 500:
            raise ApplicationError("The link is longer than 500 characters.", code="invalid_url")
        try:
            _URL_VALIDATOR(url)
        except ValidationError as exc:
            raise ApplicationError("The link must be an http(s) URL.", code="invalid_url") from exc
    if created_at is not None and timezone.is_naive(created_at):
        raise ApplicationError("created_at must be timezone-aware.", code="invalid_created_at")

    existing = FeedbackItem.objects.select_for_update().filter(source=source, external_id=external_id).first()
    if existing is None:
        now = timezone.now()
        try:
            with transaction.atomic():
                item = FeedbackItem.objects.create(
                    source=source,
                    external_id=external_id,
                    text=text,
                    text_hash=digest,
                    author_handle=author_handle,
                    participant=participant,
                    installation=installation,
                    url=url,
                    created_at=created_at or now,
                    ring=selectors.ring_at_submission(participant=participant, installation=installation),
                    phase=selectors.fast_mode_phase_key(),
                )
        except IntegrityError:
            # The same message arrived twice at once (a webhook retry racing the first delivery).
            existing = FeedbackItem.objects.select_for_update().get(source=source, external_id=external_id)
        else:
            logger.info("feedback.item.received id=%s source=%s", item.pk, source)
            _queue_scoring(item.pk)
            return FeedbackReceipt(item=item, created=True, text_changed=True)

    item = existing
    fields: list[str] = []
    text_changed = item.text_hash != digest
    if text_changed:
        item.text, item.text_hash, item.edited_at = text, digest, timezone.now()
        fields += ["text", "text_hash", "edited_at"]
    if url and url != item.url:
        item.url = url
        fields.append("url")
    if author_handle and author_handle != item.author_handle:
        item.author_handle = author_handle
        fields.append("author_handle")
    if participant is not None and item.participant_id is None:
        item.participant = participant
        fields.append("participant")
    if fields:
        item.save(update_fields=fields)
    if text_changed:
        logger.info("feedback.item.edited id=%s source=%s", item.pk, source)
    if text_changed or not _is_current(item):
        _queue_scoring(item.pk)
    return FeedbackReceipt(item=item, created=False, text_changed=text_changed)


def feedback_submit_from_installation(
    *, installation: Installation, client_id: uuid.UUID, text: str
) -> FeedbackReceipt:
    """`leptos-fast feedback`: the client id is the shim's idempotency key, scoped to the installation so one
    installation can never touch another's items."""
    return feedback_item_upsert(
        source=FeedbackSource.SHIM,
        external_id=f"{installation.pk}:{client_id}",
        text=text,
        installation=installation,
        participant=installation.participant,
    )


def feedback_submit_from_web(*, submission_id: uuid.UUID, text: str, author_handle: str = "") -> FeedbackReceipt:
    """The public web form; `submission_id` comes from the form's signed token, so a double submit is one item."""
    return feedback_item_upsert(
        source=FeedbackSource.WEB, external_id=str(submission_id), text=text, author_handle=author_handle
    )


# --- scoring ------------------------------------------------------------------------------------------------


def _is_current(item: FeedbackItem) -> bool:
    return item.scorer_version == scoring.SCORER_VERSION and item.scored_text_hash == item.text_hash


def feedback_item_score(*, item_id: int, force: bool = False) -> str:
    """Score one item; safe to run any number of times. Returns "scored", "skipped" (already scored with the
    current scorer and text), "stale" (edited while scoring: the edit queued its own run) or "missing".

    The scorer runs outside the transaction, so no row lock is held while it works; the write then checks that
    the text it scored is still the item's text.
    """
    item = FeedbackItem.objects.filter(pk=item_id).only("text", "text_hash", "scorer_version",
                                                         "scored_text_hash").first()
    if item is None:
        return "missing"
    if _is_current(item) and not force:
        return "skipped"
    result = scoring.score_text(item.text)
    return _feedback_item_score_write(item_id=item_id, scored_hash=item.text_hash, result=result, force=force)


@transaction.atomic
def _feedback_item_score_write(*, item_id: int, scored_hash: str, result: scoring.ScoreResult, force: bool) -> str:
    item = FeedbackItem.objects.select_for_update().filter(pk=item_id).first()
    if item is None:
        return "missing"
    if item.text_hash != scored_hash:
        return "stale"
    if _is_current(item) and not force:
        return "skipped"
    item.label = result.label
    item.score = max(-1.0, min(1.0, float(result.score)))
    item.scorer_version = result.scorer_version
    item.scored_text_hash = scored_hash
    item.scored_at = timezone.now()
    item.score_count += 1  # the row is locked: no lost update
    item.save(update_fields=["label", "score", "scorer_version", "scored_text_hash", "scored_at", "score_count"])
    topics = sorted(set(result.topics))
    item.topic_rows.exclude(topic__in=topics).delete()
    have = set(item.topic_rows.values_list("topic", flat=True))
    FeedbackTopic.objects.bulk_create([FeedbackTopic(item=item, topic=t) for t in topics if t not in have])
    logger.info("feedback.item.scored id=%s label=%s version=%s", item.pk, item.label, item.scorer_version)
    return "scored"


def feedback_queue_pending(*, limit: int = 500) -> int:
    """Queue scoring for items never scored, edited since, or scored by another scorer version (up to `limit`).
    Catches items whose task was lost (broker down at commit time) and rolls out a new scorer gradually."""
    ids = selectors.feedback_items_needing_score(current_version=scoring.SCORER_VERSION, limit=limit)
    from feedback.tasks import score_feedback_item

    for item_id in ids:
        score_feedback_item.delay(item_id)
    return len(ids)


# --- triage -------------------------------------------------------------------------------------------------


@transaction.atomic
def feedback_item_triage(
    *,
    item: FeedbackItem,
    actor: Actor,
    triage_state: str | None = None,
    maintainer_note: str | None = None,
) -> FeedbackItem:
    if triage_state is not None and triage_state not in TriageState.values:
        raise ApplicationError(f"Unknown triage state {triage_state!r}.", code="invalid_triage_state")
    item = FeedbackItem.objects.select_for_update().get(pk=item.pk)
    before = {"triage_state": item.triage_state}
    fields: list[str] = []
    if triage_state is not None and triage_state != item.triage_state:
        item.triage_state = triage_state
        item.triaged_at = timezone.now()
        item.triaged_by_id = actor.pk if isinstance(actor, AbstractBaseUser) and actor.pk else None
        fields += ["triage_state", "triaged_at", "triaged_by"]
    note_changed = maintainer_note is not None and maintainer_note != item.maintainer_note
    if note_changed:
        assert maintainer_note is not None
        item.maintainer_note = maintainer_note
        fields.append("maintainer_note")
    if not fields:
        return item
    item.save(update_fields=fields)
    # The note may quote the person: the audit records that it changed, not what it says.
    audit_record(
        actor=actor, action="feedback.item.triaged", instance=item, before=before,
        after={"triage_state": item.triage_state, "note_changed": note_changed},
    )
    return item


# --- deletion on request ------------------------------------------------------------------------------------


def _delete_items(ids: list[int]) -> int:
    # Earlier triage events name these items; they go with them, so nothing about the person is left behind.
    AuditEvent.objects.filter(
        object_type=FeedbackItem._meta.label_lower, object_id__in=[str(pk) for pk in ids]
    ).delete()
    return FeedbackItem.objects.filter(pk__in=ids).delete()[1].get(FeedbackItem._meta.label, 0)


@transaction.atomic
def feedback_delete_for_person(
    *,
    actor: Actor,
    participant: Participant | None = None,
    handle: str = "",
    installation: Installation | None = None,
    reason: str = "",
) -> int:
    """Delete everything one person sent, named by exactly one of:
    - `participant`: their items and those of the installations linked to them;
    - `handle`: the display handle of an author Pitwall has no participant for (case-insensitive);
    - `installation`: an unlinked installation's shim items (the person behind it has no other name).

    The audit event records that it happened and how many items went, never the text or the handle.
    """
    handle = handle.strip()
    if sum((participant is not None, bool(handle), installation is not None)) != 1:
        raise ApplicationError("Name one of participant, handle or installation.", code="invalid_person")
    if participant is not None:
        items = FeedbackItem.objects.filter(Q(participant=participant) | Q(installation__participant=participant))
        matched_by, object_repr = "participant", f"participant #{participant.pk}"
    elif installation is not None:
        items = FeedbackItem.objects.filter(installation=installation)
        matched_by, object_repr = "installation", "an installation"
    else:
        items = FeedbackItem.objects.filter(author_handle__iexact=handle, participant__isnull=True)
        matched_by, object_repr = "handle", "an author by handle"
    deleted = _delete_items(list(items.values_list("pk", flat=True)))
    audit_record(
        actor=actor,
        action="feedback.person.deleted",
        object_type=FeedbackItem._meta.label_lower,
        object_repr=object_repr,
        after={"matched_by": matched_by, "deleted": deleted},
        reason=reason,
    )
    logger.info("feedback.person.deleted matched_by=%s deleted=%s", matched_by, deleted)
    return deleted


@transaction.atomic
def feedback_item_delete(*, item: FeedbackItem, actor: Actor, reason: str = "") -> None:
    """Delete one item (an anonymous author asking for their message to go, or spam)."""
    _delete_items([item.pk])
    audit_record(
        actor=actor, action="feedback.item.deleted", object_type=FeedbackItem._meta.label_lower,
        object_repr="a feedback item", reason=reason,
    )
