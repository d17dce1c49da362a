"""The Discord bot through discord.py's real dispatch: gateway payloads in, what the member sees and the database out.

Interaction response types: 4 message, 5 deferred ("thinking"), 6 deferred update, 7 update message; flag 64 is
ephemeral (only the member sees it).
"""

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connections

from bots import selectors
from bots.tests import discord_harness as dh
from bots.tests.discord_harness import Harness, Member, Recorder
from feedback.models import FeedbackItem
from rollout.codes import hash_code
from rollout.models import Enrollment, EnrollmentCode, Participant

pytestmark = pytest.mark.django_db

T = TypeVar("T")
EPHEMERAL = 64
CODE_RE = re.compile(r"\*\*([0-9A-Z]{4}-[0-9A-Z]{4})\*\*")


def play(scenario: Callable[[Harness], Awaitable[T]]) -> T:
    """Run a scenario on a started bot. async_to_sync keeps the ORM calls (sync_to_async, thread_sensitive) on
    this thread, inside the test's transaction."""

    async def main() -> T:
        harness = Harness()
        await harness.start()
        return await scenario(harness)

    return async_to_sync(main)()


def member(name: str = "ferris", *, maintainer: bool = False) -> Member:
    return Member(user_id=dh.snowflake(), name=name, roles=(dh.MAINTAINER_ROLE_ID,) if maintainer else ())


def component_ids(shown: Recorder) -> list[str]:
    return [c["custom_id"] for row in shown.original.get("components", []) for c in row["components"]]


async def enroll(harness: Harness, who: Member, ring: str = "beta") -> tuple[Recorder, Recorder]:
    shown = await harness.run(dh.interaction_payload(member=who, data=dh.fastmode("enroll", ring=ring)))
    clicked = await harness.run(dh.component_payload(member=who, custom_id=f"pitwall:consent:{ring}:1", shown=shown))
    return shown, clicked


# --- /fastmode enroll ---------------------------------------------------------------------------------------


def test_enroll__shows_consent_ephemerally__nothing_stored_yet() -> None:
    who = member()
    shown = play(lambda h: h.run(dh.interaction_payload(member=who, data=dh.fastmode("enroll", ring="beta"))))

    assert shown.response_types == [4] and shown.ephemeral
    assert "Join the fast-mode beta" in shown.text and "terms version 1" in shown.text
    assert "leptos-fast telemetry on" in shown.text and "/fastmode leave" in shown.text
    assert component_ids(shown) == ["pitwall:consent:beta:1", "pitwall:consent:cancel"]
    assert not Participant.objects.exists() and not Enrollment.objects.exists()


def test_enroll__agree__participant_enrollment_and_code_with_shim_command() -> None:
    who = member("ferris")
    _, clicked = play(lambda h: enroll(h, who, "beta"))

    assert clicked.response_types == [6]  # deferred update of the consent message, then edited
    assert clicked.ephemeral and clicked.original.get("components") == []
    code = CODE_RE.search(clicked.text)
    assert code is not None
    assert f"```sh\nleptos-fast enroll {code[1]}\n```" in clicked.text
    participant = Participant.objects.get()
    assert (participant.discord_id, participant.handle) == (str(who.user_id), "ferris")
    enrollment = Enrollment.objects.get()
    assert (enrollment.ring, enrollment.source, enrollment.left_at) == ("beta", "discord", None)
    assert enrollment.consent_text_version == "1"
    # Stored as a keyed digest only: the message above was the one place the code was shown.
    assert EnrollmentCode.objects.get().code_hash == hash_code(code[1].replace("-", ""))


def test_enroll__again_in_preview__moves_ring_and_says_so() -> None:
    who = member()

    async def scenario(harness: Harness) -> Recorder:
        await enroll(harness, who, "beta")
        return (await enroll(harness, who, "preview"))[1]

    clicked = play(scenario)
    assert "You moved from the beta to the fast-mode **preview**" in clicked.text
    assert Participant.objects.count() == 1
    assert [(e.ring, e.left_at is None) for e in Enrollment.objects.order_by("id")] == [
        ("beta", False), ("preview", True)]


def test_enroll__consent_text_changed_before_click__refused(settings: Any) -> None:
    who = member()

    async def scenario(harness: Harness) -> Recorder:
        shown = await harness.run(dh.interaction_payload(member=who, data=dh.fastmode("enroll", ring="beta")))
        settings.PITWALL_CONSENT_VERSION = "2"
        return await harness.run(dh.component_payload(member=who, custom_id="pitwall:consent:beta:1", shown=shown))

    clicked = play(scenario)
    assert "The terms changed" in clicked.text
    assert not Enrollment.objects.exists()


def test_enroll__cancel__message_updated_nothing_stored() -> None:
    who = member()

    async def scenario(harness: Harness) -> Recorder:
        shown = await harness.run(dh.interaction_payload(member=who, data=dh.fastmode("enroll", ring="preview")))
        return await harness.run(dh.component_payload(member=who, custom_id="pitwall:consent:cancel", shown=shown))

    cancelled = play(scenario)
    assert cancelled.response_types == [7] and cancelled.text.startswith("Nothing changed")
    assert not Enrollment.objects.exists()


# --- /fastmode leave and status -----------------------------------------------------------------------------


def test_leave__enrolled__enrollment_ended_ephemeral_answer() -> None:
    who = member()

    async def scenario(harness: Harness) -> Recorder:
        await enroll(harness, who, "beta")
        return await harness.run(dh.interaction_payload(member=who, data=dh.fastmode("leave")))

    left = play(scenario)
    assert left.responses[0] == {"type": 5, "data": {"flags": EPHEMERAL}}  # deferred before the database
    assert left.ephemeral and left.text.startswith("You left the fast-mode beta")
    assert Enrollment.objects.get().left_at is not None


def test_leave__not_enrolled__says_so() -> None:
    left = play(lambda h: h.run(dh.interaction_payload(member=member(), data=dh.fastmode("leave"))))
    assert left.ephemeral and left.text.startswith("You were not enrolled")


def test_status__enrolled__ring_phase_and_headlines(fast_mode: Any) -> None:
    who = member()

    async def scenario(harness: Harness) -> Recorder:
        await enroll(harness, who, "preview")
        return await harness.run(dh.interaction_payload(member=who, data=dh.fastmode("status")))

    status = play(scenario)
    assert status.responses[0] == {"type": 5, "data": {"flags": EPHEMERAL}} and status.ephemeral
    shown = status.embed_text()
    assert "Your ring: **community preview**, 0 linked installation(s)" in shown
    assert "Phase: Beta" in shown and "Enrolled: 1 (beta 0, preview 1)" in shown
    assert "Rebuild p50" in shown and "Hot-reload success (fast mode)" in shown
    assert "Net sentiment on performance" in shown


# --- /fastmode feedback -------------------------------------------------------------------------------------


def test_feedback__stored_with_link_to_public_copy(settings: Any) -> None:
    settings.DISCORD_FEEDBACK_CHANNEL_ID = dh.FEEDBACK_CHANNEL_ID
    who = member("ferris")
    text = "Rebuilds went from 30 s to 8 s. Hot reload lost state once."

    async def scenario(harness: Harness) -> tuple[Harness, Recorder, dict[str, Any]]:
        payload = dh.interaction_payload(member=who, data=dh.fastmode("feedback", text=text))
        return harness, await harness.run(payload), payload

    harness, answer, payload = play(scenario)

    [post] = harness.channel_posts
    assert (post.method, post.path) == ("POST", f"/channels/{dh.FEEDBACK_CHANNEL_ID}/messages")
    assert post.payload is not None and post.payload["embeds"][0]["description"] == text
    assert post.payload["allowed_mentions"] == {"parse": []}
    item = FeedbackItem.objects.get()
    assert (item.source, item.external_id, item.text, item.author_handle) == ("discord", payload["id"], text, "ferris")
    assert re.fullmatch(rf"https://discord.com/channels/{dh.GUILD_ID}/{dh.FEEDBACK_CHANNEL_ID}/\d+", item.url)
    assert answer.ephemeral and answer.text == f"Thank you! Your feedback is recorded. A copy is in {item.url}."


def test_feedback__enrolled_member__credited_to_participant() -> None:
    who = member()

    async def scenario(harness: Harness) -> None:
        await enroll(harness, who, "beta")
        await harness.run(dh.interaction_payload(member=who, data=dh.fastmode("feedback", text="works great")))

    play(scenario)
    item = FeedbackItem.objects.get()
    assert item.participant == Participant.objects.get() and item.ring == "beta"


def test_feedback__cannot_post_copy__still_stored_without_link() -> None:
    async def scenario(harness: Harness) -> Recorder:
        harness.fail_channel_posts = True
        return await harness.run(dh.interaction_payload(member=member(), data=dh.fastmode("feedback", text="ok")))

    answer = play(scenario)
    assert FeedbackItem.objects.get().url == ""
    assert answer.text == "Thank you! Your feedback is recorded."


def test_feedback__control_characters__refused_nothing_posted_or_stored() -> None:
    async def scenario(harness: Harness) -> tuple[Harness, Recorder]:
        payload = dh.interaction_payload(member=member(), data=dh.fastmode("feedback", text="bad \x00 text"))
        return harness, await harness.run(payload)

    harness, answer = play(scenario)
    assert answer.ephemeral and answer.text == "Feedback text contains control characters or binary data."
    assert harness.channel_posts == [] and not FeedbackItem.objects.exists()


# --- the message command ------------------------------------------------------------------------------------


def _context_menu(by: Member, message: dict[str, Any]) -> dict[str, Any]:
    data = {
        "id": str(dh.COMMAND_ID + 1), "name": "Send to fast-mode feedback", "type": 3, "guild_id": str(dh.GUILD_ID),
        "target_id": message["id"], "resolved": {"messages": {message["id"]: message}},
    }
    return dh.interaction_payload(member=by, data=data)


def _message(author: dict[str, Any], content: str) -> dict[str, Any]:
    return dh.message_payload(message_id=dh.snowflake(), channel_id=dh.CHANNEL_ID, author=author, content=content)


def test_message_command__maintainer__stored_credited_to_author() -> None:
    author = dh.user_payload(dh.snowflake(), "gbj")
    message = _message(author, "fast mode cut my rebuilds in half")
    maintainer = member("maintainer", maintainer=True)

    async def scenario(harness: Harness) -> tuple[Recorder, Recorder]:
        first = await harness.run(_context_menu(maintainer, message))
        return first, await harness.run(_context_menu(maintainer, message))

    first, again = play(scenario)
    assert first.ephemeral and first.text == "Stored as fast-mode feedback from **Gbj**."
    assert again.text == "Already stored as fast-mode feedback from **Gbj**."
    item = FeedbackItem.objects.get()
    assert (item.external_id, item.author_handle, item.text) == (message["id"], "gbj", "fast mode cut my rebuilds in half")
    assert item.url == f"https://discord.com/channels/{dh.GUILD_ID}/{dh.CHANNEL_ID}/{message['id']}"
    assert item.created_at.isoformat() == message["timestamp"]


def test_message_command__not_maintainer__refused() -> None:
    message = _message(dh.user_payload(dh.snowflake(), "someone"), "hello")
    answer = play(lambda h: h.run(_context_menu(member("member"), message)))
    assert answer.response_types == [4] and answer.ephemeral
    assert answer.text == "Only maintainers can do that."
    assert not FeedbackItem.objects.exists()


def test_message_command__bot_message__refused() -> None:
    message = _message(dh.user_payload(dh.snowflake(), "ci", bot=True), "build passed")
    answer = play(lambda h: h.run(_context_menu(member(maintainer=True), message)))
    assert "from a bot" in answer.text and not FeedbackItem.objects.exists()


# --- /fastmode report ---------------------------------------------------------------------------------------


def test_report__maintainer__latest_report_embed_in_channel(fast_mode: Any) -> None:
    answer = play(lambda h: h.run(dh.interaction_payload(member=member(maintainer=True), data=dh.fastmode("report"))))
    assert answer.responses[0] == {"type": 5}  # public: the report is for the channel
    assert not answer.ephemeral
    [embed] = answer.embeds
    assert embed["title"] == "Fast-mode rollout status — Beta"
    assert "**Phase:** Beta" in embed["description"]


def test_report__member__refused_ephemerally() -> None:
    answer = play(lambda h: h.run(dh.interaction_payload(member=member(), data=dh.fastmode("report"))))
    assert answer.ephemeral and answer.text == "Only maintainers can do that."


def test_report__no_maintainer_role_configured__says_so(settings: Any) -> None:
    settings.DISCORD_MAINTAINER_ROLE_ID = 0
    answer = play(lambda h: h.run(dh.interaction_payload(member=member(maintainer=True), data=dh.fastmode("report"))))
    assert "No maintainer role is configured" in answer.text


# --- limits and failures ------------------------------------------------------------------------------------


def test_status__spammed__cooldown_answer() -> None:
    who = member()

    async def scenario(harness: Harness) -> list[Recorder]:
        return [await harness.run(dh.interaction_payload(member=who, data=dh.fastmode("status"))) for _ in range(4)]

    answers = play(scenario)
    assert [a.response_types for a in answers[:3]] == [[5], [5], [5]]
    assert answers[3].response_types == [4] and answers[3].ephemeral
    assert re.fullmatch(r"Slow down a little: try again in \d+ s\.", answers[3].text)


def test_command__other_server__refused() -> None:
    payload = dh.interaction_payload(member=member(), data=dh.fastmode("status", guild_id=None), guild_id=None)
    answer = play(lambda h: h.run(payload))
    assert answer.ephemeral and "Leptos Discord server only" in answer.text


def test_command__service_crashes__short_answer_and_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(selectors, "member_status", broken)
    with caplog.at_level(logging.ERROR, logger="bots.discord.commands"):
        answer = play(lambda h: h.run(dh.interaction_payload(member=member(), data=dh.fastmode("status"))))
    assert answer.ephemeral and answer.text.startswith("Something went wrong on our side")
    [record] = [r for r in caplog.records if r.getMessage().startswith("bots.discord.command_failed")]
    assert "command=fastmode status" in record.getMessage() and record.exc_info is not None


def test_enroll_button__service_fails__answered_not_silent(monkeypatch: pytest.MonkeyPatch) -> None:
    from bots import services

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "discord_enroll", broken)
    _, clicked = play(lambda h: enroll(h, member(), "beta"))
    assert clicked.text.startswith("Something went wrong on our side")


# --- across threads, as in the running bot ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_enroll__real_event_loop_and_orm_thread__committed() -> None:
    """No outer async_to_sync: the ORM runs in asgiref's own sync thread, as under `bot.run()`."""
    who = member()

    async def main() -> Recorder:
        harness = Harness()
        await harness.start()
        try:
            return (await enroll(harness, who, "beta"))[1]
        finally:
            await sync_to_async(connections.close_all, thread_sensitive=True)()

    clicked = asyncio.run(main())
    assert CODE_RE.search(clicked.text)
    assert Enrollment.objects.get().participant.discord_id == str(who.user_id)  # type: ignore[union-attr]


@pytest.mark.django_db(transaction=True)
def test_close_stale_connections__obsolete_connection__closed(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import connection

    from bots.discord.db import close_stale_connections

    closed: list[bool] = []
    connection.ensure_connection()
    monkeypatch.setattr(connection, "close", lambda: closed.append(True))  # SQLite's in-memory DB ignores close()
    connection.close_at = 0  # past CONN_MAX_AGE
    close_stale_connections()
    assert closed == [True]


def test_close_stale_connections__inside_a_transaction__left_open(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import connection

    from bots.discord.db import close_stale_connections

    closed: list[bool] = []
    connection.ensure_connection()
    monkeypatch.setattr(connection, "close", lambda: closed.append(True))
    connection.close_at = 0
    close_stale_connections()  # the test's transaction is open: closing would lose it
    assert closed == []
