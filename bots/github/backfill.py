"""Walk GitHub for feedback the webhook may have missed: labelled issues and their comments, and comments
starting with "/feedback" anywhere, updated since a time. Objects become webhook-shaped dicts, so they go through
the same mapping (bots.github.events) as deliveries."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from github import Github
from github.GithubObject import GithubObject

from bots.github import events
from bots.github.client import RATE_LIMIT_ERRORS, RateLimitStop, raise_if_low_budget


def raw(github_object: GithubObject) -> dict[str, Any]:
    """The JSON GitHub sent for an object of a list. Not `.raw_data`: on a listed (lazy) object that fetches the
    object again, one request per item."""
    data = github_object._rawData
    return data if isinstance(data, dict) else {}


def walk(
    gh: Github,
    *,
    repository: str,
    label: str,
    since: datetime,
    on_issue: Callable[[events.FeedbackRecord], None],
    on_comment: Callable[[events.FeedbackRecord], None],
) -> None:
    try:
        _walk(gh, repository=repository, label=label, since=since, on_issue=on_issue, on_comment=on_comment)
    except RateLimitStop:
        raise
    except RATE_LIMIT_ERRORS as limited:
        raise RateLimitStop(f"rate limited ({limited})") from limited


def _walk(
    gh: Github,
    *,
    repository: str,
    label: str,
    since: datetime,
    on_issue: Callable[[events.FeedbackRecord], None],
    on_comment: Callable[[events.FeedbackRecord], None],
) -> None:
    since = since.astimezone(UTC)  # PyGithub formats `since` with a literal "Z", whatever its zone
    repo = gh.get_repo(repository)
    labelled: set[int] = set()
    if label:
        issues = repo.get_issues(labels=[label], since=since, state="all", sort="updated", direction="asc")
        for issue in issues:
            raise_if_low_budget(gh)
            data = raw(issue)
            if data.get("pull_request") or _by_bot(data):
                continue
            labelled.add(int(data["number"]))
            on_issue(events.issue_record(repository, data))
            for comment in issue.get_comments(since=since):
                raise_if_low_budget(gh)
                comment_data = raw(comment)
                if not _by_bot(comment_data):
                    on_comment(events.issue_comment_record(repository, comment_data))
    # "/feedback" comments on any issue or pull request; those on labelled issues were taken above.
    for comment in repo.get_issues_comments(sort="updated", direction="asc", since=since):
        raise_if_low_budget(gh)
        comment_data = raw(comment)
        if _by_bot(comment_data) or not events.is_feedback_command(str(comment_data.get("body") or "")):
            continue
        if _issue_number(comment_data) in labelled:
            continue
        on_comment(events.issue_comment_record(repository, comment_data))


def _by_bot(data: dict[str, Any]) -> bool:
    user = data.get("user")
    return isinstance(user, dict) and user.get("type") == "Bot"


def _issue_number(comment: dict[str, Any]) -> int | None:
    issue_url = str(comment.get("issue_url") or "")
    tail = issue_url.rstrip("/").rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None
