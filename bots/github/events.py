"""GitHub webhook deliveries as plain data: the signature check and what each event means for feedback.

No ORM here: `decide` maps (event, payload) to an instruction (store/update feedback, delete it, or ignore the
delivery with a reason); bots.services carries it out. The backfill feeds REST objects through the same mapping
(bots.github.backfill turns them into webhook-shaped dicts), so an issue looks the same whichever way it came.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Events the receiver acts on; every other event is acknowledged (2xx) and ignored.
HANDLED_EVENTS = frozenset({"ping", "issues", "issue_comment", "discussion", "discussion_comment"})
ISSUE_ACTIONS = frozenset({"opened", "edited", "labeled"})
COMMENT_ACTIONS = frozenset({"created", "edited", "deleted"})
DISCUSSION_ACTIONS = frozenset({"created", "edited", "deleted"})

# A comment anywhere in the repository that starts with this is feedback; the command word is not kept.
FEEDBACK_COMMAND_RE = re.compile(r"^\s*/feedback\b[:\s]*", re.IGNORECASE)


def signature_valid(*, secret: str, body: bytes, header: str) -> bool:
    """X-Hub-Signature-256 is "sha256=" + hex HMAC-SHA256(secret, raw body); compared in constant time."""
    if not secret or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), header.strip().encode("utf-8", "replace"))


def sign(*, secret: str, body: bytes) -> str:
    """The header value GitHub would send (tests and the operator docs' curl example use it)."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class FeedbackRecord:
    """One piece of GitHub text that is feedback, ready for feedback.services.feedback_item_upsert."""

    external_id: str
    text: str
    author_login: str
    url: str
    created_at: datetime | None


@dataclass(frozen=True)
class Upsert:
    record: FeedbackRecord
    # An edit of text that no longer qualifies (label removed, "/feedback" dropped) updates an item already
    # stored but never creates one.
    only_if_stored: bool = False


@dataclass(frozen=True)
class Delete:
    external_id: str


@dataclass(frozen=True)
class Ignore:
    reason: str


@dataclass(frozen=True)
class Pong:
    pass


Decision = Upsert | Delete | Ignore | Pong


@dataclass(frozen=True)
class Rules:
    feedback_label: str
    discussion_category: str


def door_reason(event: str, payload: dict[str, Any], *, repository: str) -> str:
    """Why a delivery is ignored without being stored for processing ("" = store and process it).

    Cheap checks only, made before answering: the rest is decided by the task.
    """
    if event not in HANDLED_EVENTS:
        return f"event {event!r} is not used"
    sender = payload.get("sender")
    if isinstance(sender, dict) and sender.get("type") == "Bot":
        return "sent by a bot"
    if event != "ping" and repository:
        full_name = _repository_name(payload)
        if full_name.lower() != repository.lower():
            return "another repository"
    return ""


def decide(event: str, payload: dict[str, Any], rules: Rules) -> Decision:
    if event == "ping":
        return Pong()
    action = str(payload.get("action") or "")
    repo = _repository_name(payload).lower()
    if event == "issues":
        return _decide_issue(action, payload, repo, rules)
    if event == "issue_comment":
        return _decide_issue_comment(action, payload, repo, rules)
    if event in ("discussion", "discussion_comment"):
        return _decide_discussion(event, action, payload, repo, rules)
    return Ignore(f"event {event!r} is not used")


def issue_external_id(repo: str, number: int) -> str:
    return f"{repo.lower()}#{number}"


def issue_comment_external_id(repo: str, comment_id: int) -> str:
    return f"{repo.lower()}#issuecomment-{comment_id}"


def discussion_external_id(repo: str, number: int) -> str:
    return f"{repo.lower()}/discussions/{number}"


def discussion_comment_external_id(repo: str, comment_id: int) -> str:
    return f"{repo.lower()}#discussioncomment-{comment_id}"


def has_label(issue: dict[str, Any], label: str) -> bool:
    wanted = label.casefold()
    return bool(wanted) and any(
        isinstance(item, dict) and str(item.get("name", "")).casefold() == wanted for item in issue.get("labels") or []
    )


def is_feedback_command(body: str) -> bool:
    return bool(FEEDBACK_COMMAND_RE.match(body))


def issue_record(repo: str, issue: dict[str, Any]) -> FeedbackRecord:
    title = str(issue.get("title") or "").strip()
    body = str(issue.get("body") or "").strip()
    return FeedbackRecord(
        external_id=issue_external_id(repo, int(issue["number"])),
        text=f"{title}\n\n{body}".strip(),
        author_login=_login(issue),
        url=str(issue.get("html_url") or ""),
        created_at=parse_time(issue.get("created_at")),
    )


def issue_comment_record(repo: str, comment: dict[str, Any]) -> FeedbackRecord:
    return FeedbackRecord(
        external_id=issue_comment_external_id(repo, int(comment["id"])),
        text=FEEDBACK_COMMAND_RE.sub("", str(comment.get("body") or ""), count=1).strip(),
        author_login=_login(comment),
        url=str(comment.get("html_url") or ""),
        created_at=parse_time(comment.get("created_at")),
    )


def _decide_issue(action: str, payload: dict[str, Any], repo: str, rules: Rules) -> Decision:
    if action not in ISSUE_ACTIONS:
        return Ignore(f"issues.{action} is not used")
    issue = payload.get("issue")
    if not isinstance(issue, dict) or "number" not in issue:
        return Ignore("no issue in the payload")
    if _is_bot(issue):
        return Ignore("written by a bot")
    if action == "labeled":
        label = payload.get("label") or {}
        if str(label.get("name", "")).casefold() != rules.feedback_label.casefold() or not rules.feedback_label:
            return Ignore("another label")
        return Upsert(issue_record(repo, issue))
    if has_label(issue, rules.feedback_label):
        return Upsert(issue_record(repo, issue))
    if action == "edited":
        return Upsert(issue_record(repo, issue), only_if_stored=True)
    return Ignore("issue without the feedback label")


def _decide_issue_comment(action: str, payload: dict[str, Any], repo: str, rules: Rules) -> Decision:
    if action not in COMMENT_ACTIONS:
        return Ignore(f"issue_comment.{action} is not used")
    comment = payload.get("comment")
    issue = payload.get("issue")
    if not isinstance(comment, dict) or "id" not in comment or not isinstance(issue, dict):
        return Ignore("no comment in the payload")
    record = issue_comment_record(repo, comment)
    if action == "deleted":
        return Delete(record.external_id)
    if _is_bot(comment):
        return Ignore("written by a bot")
    qualifies = has_label(issue, rules.feedback_label) or is_feedback_command(str(comment.get("body") or ""))
    if qualifies:
        return Upsert(record)
    if action == "edited":
        return Upsert(record, only_if_stored=True)
    return Ignore("comment on an issue without the feedback label, not starting with /feedback")


def _decide_discussion(event: str, action: str, payload: dict[str, Any], repo: str, rules: Rules) -> Decision:
    if action not in DISCUSSION_ACTIONS:
        return Ignore(f"{event}.{action} is not used")
    discussion = payload.get("discussion")
    if not isinstance(discussion, dict) or "number" not in discussion:
        return Ignore("no discussion in the payload")
    if not rules.discussion_category:
        return Ignore("GITHUB_DISCUSSION_CATEGORY is not set")
    category = discussion.get("category") or {}
    wanted = _category_key(rules.discussion_category)
    if wanted not in (_category_key(str(category.get("name", ""))), _category_key(str(category.get("slug", "")))):
        return Ignore("another discussion category")
    if event == "discussion":
        external_id = discussion_external_id(repo, int(discussion["number"]))
        if action == "deleted":
            return Delete(external_id)
        if _is_bot(discussion):
            return Ignore("written by a bot")
        title = str(discussion.get("title") or "").strip()
        body = str(discussion.get("body") or "").strip()
        return Upsert(
            FeedbackRecord(
                external_id=external_id,
                text=f"{title}\n\n{body}".strip(),
                author_login=_login(discussion),
                url=str(discussion.get("html_url") or ""),
                created_at=parse_time(discussion.get("created_at")),
            )
        )
    comment = payload.get("comment")
    if not isinstance(comment, dict) or "id" not in comment:
        return Ignore("no comment in the payload")
    external_id = discussion_comment_external_id(repo, int(comment["id"]))
    if action == "deleted":
        return Delete(external_id)
    if _is_bot(comment):
        return Ignore("written by a bot")
    return Upsert(
        FeedbackRecord(
            external_id=external_id,
            text=FEEDBACK_COMMAND_RE.sub("", str(comment.get("body") or ""), count=1).strip(),
            author_login=_login(comment),
            url=str(comment.get("html_url") or ""),
            created_at=parse_time(comment.get("created_at")),
        )
    )


def _category_key(name: str) -> str:
    """"Fast mode", "fast-mode" and "Fast_Mode" name the same category (its name or its slug may be set)."""
    return re.sub(r"[\s_-]+", "-", name.casefold()).strip("-")


def _repository_name(payload: dict[str, Any]) -> str:
    repository = payload.get("repository")
    return str(repository.get("full_name") or "") if isinstance(repository, dict) else ""


def _login(thing: dict[str, Any]) -> str:
    user = thing.get("user")
    return str(user.get("login") or "") if isinstance(user, dict) else ""


def _is_bot(thing: dict[str, Any]) -> bool:
    user = thing.get("user")
    return isinstance(user, dict) and user.get("type") == "Bot"


def parse_time(value: Any) -> datetime | None:
    """GitHub's ISO 8601 times ("2019-05-15T15:20:18Z"); None when missing or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
