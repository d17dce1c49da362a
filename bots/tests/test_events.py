"""The pure webhook rules (bots.github.events): signatures and what each delivery means, table-driven."""

from typing import Any

import pytest

from bots.github import events

RULES = events.Rules(feedback_label="fast-mode feedback", discussion_category="Fast mode")
REPO = {"full_name": "leptos-rs/cargo-leptos"}
USER = {"login": "gbj", "type": "User"}


def _issue(labels: tuple[str, ...] = ("fast-mode feedback",), **extra: Any) -> dict[str, Any]:
    return {"number": 7, "title": "Slow rebuilds", "body": "40 s", "html_url": "https://github.com/x/7",
            "user": USER, "labels": [{"name": name} for name in labels], "created_at": "2025-01-02T03:04:05Z",
            **extra}


def _comment(body: str, **extra: Any) -> dict[str, Any]:
    return {"id": 55, "body": body, "html_url": "https://github.com/x/7#issuecomment-55", "user": USER,
            "created_at": "2025-01-02T03:04:05Z", **extra}


def test_signature__github_example__valid() -> None:
    # The example from GitHub's documentation on validating deliveries.
    header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert events.signature_valid(secret="It's a Secret to Everybody", body=b"Hello, World!", header=header)
    assert not events.signature_valid(secret="It's a Secret to Everybody", body=b"Hello, World?", header=header)
    assert not events.signature_valid(secret="", body=b"Hello, World!", header=header)


@pytest.mark.parametrize(
    ("event", "payload", "reason"),
    [
        ("push", {"repository": REPO}, "event 'push' is not used"),
        ("issues", {"repository": REPO, "sender": {"type": "Bot"}}, "sent by a bot"),
        ("issues", {"repository": {"full_name": "someone/else"}}, "another repository"),
        ("issues", {"repository": {"full_name": "Leptos-RS/Cargo-Leptos"}}, ""),
        ("ping", {"hook_id": 1}, ""),
    ],
)
def test_door_reason__cases(event: str, payload: dict[str, Any], reason: str) -> None:
    assert events.door_reason(event, payload, repository="leptos-rs/cargo-leptos") == reason


@pytest.mark.parametrize(
    ("event", "payload", "expected"),
    [
        ("issues", {"action": "opened", "issue": _issue()}, events.Upsert),
        ("issues", {"action": "opened", "issue": _issue(labels=("bug",))}, events.Ignore),
        ("issues", {"action": "edited", "issue": _issue(labels=())}, events.Upsert),  # only if stored
        ("issues", {"action": "closed", "issue": _issue()}, events.Ignore),
        ("issues", {"action": "labeled", "issue": _issue(), "label": {"name": "Fast-Mode Feedback"}}, events.Upsert),
        ("issues", {"action": "labeled", "issue": _issue(), "label": {"name": "bug"}}, events.Ignore),
        ("issues", {"action": "opened", "issue": _issue(user={"login": "bot", "type": "Bot"})}, events.Ignore),
        ("issue_comment", {"action": "created", "issue": _issue(), "comment": _comment("me too")}, events.Upsert),
        ("issue_comment", {"action": "created", "issue": _issue(labels=()), "comment": _comment("me too")},
         events.Ignore),
        ("issue_comment", {"action": "created", "issue": _issue(labels=()), "comment": _comment("/FEEDBACK: ok")},
         events.Upsert),
        ("issue_comment", {"action": "deleted", "issue": _issue(labels=()), "comment": _comment("x")}, events.Delete),
        ("discussion", {"action": "created", "discussion": {"number": 3, "title": "t", "body": "b", "user": USER,
                                                            "category": {"name": "Fast mode", "slug": "fast-mode"}}},
         events.Upsert),
        ("discussion", {"action": "created", "discussion": {"number": 3, "category": {"name": "General"}}},
         events.Ignore),
        ("discussion_comment", {"action": "deleted", "comment": {"id": 9},
                                "discussion": {"number": 3, "category": {"slug": "fast-mode"}}}, events.Delete),
        ("ping", {"zen": "Keep it logically awesome."}, events.Pong),
        ("issues", {"action": "opened"}, events.Ignore),
    ],
)
def test_decide__cases(event: str, payload: dict[str, Any], expected: type) -> None:
    assert isinstance(events.decide(event, {"repository": REPO, **payload}, RULES), expected)


def test_decide__feedback_command__prefix_dropped_ids_lowercase() -> None:
    decision = events.decide(
        "issue_comment",
        {"action": "created", "repository": {"full_name": "Leptos-RS/cargo-leptos"}, "issue": _issue(labels=()),
         "comment": _comment("  /feedback   hot reload is flaky")},
        RULES,
    )
    assert isinstance(decision, events.Upsert) and not decision.only_if_stored
    assert decision.record.text == "hot reload is flaky"
    assert decision.record.external_id == "leptos-rs/cargo-leptos#issuecomment-55"


def test_decide__edited_without_label__only_if_stored() -> None:
    decision = events.decide("issues", {"action": "edited", "repository": REPO, "issue": _issue(labels=())}, RULES)
    assert isinstance(decision, events.Upsert) and decision.only_if_stored


def test_decide__discussions_not_configured__ignored() -> None:
    rules = events.Rules(feedback_label="x", discussion_category="")
    payload = {"action": "created", "repository": REPO, "discussion": {"number": 1, "category": {"name": "General"}}}
    assert events.decide("discussion", payload, rules) == events.Ignore("GITHUB_DISCUSSION_CATEGORY is not set")


@pytest.mark.parametrize("value", [None, "", "yesterday", 5, "2025-01-02T03:04:05"])
def test_parse_time__unusable__none(value: Any) -> None:
    assert events.parse_time(value) is None
