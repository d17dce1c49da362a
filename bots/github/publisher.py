"""The one rollout-report comment on the tracking issue: found by a hidden marker, edited in place, never doubled.

Every publish lists the issue's comments: the oldest comment with the marker (written by our bot, once its login
is known) is edited; any other marked comment of ours (a create retried after a lost response) is deleted; with
none, one is created and its author remembered.
"""

from dataclasses import dataclass

from github import Github, GithubException

from bots.github.backfill import raw

MARKER = "<!-- pitwall:rollout-report -->"


@dataclass(frozen=True)
class CommentPublication:
    comment_id: int
    author_login: str
    action: str  # "created", "edited", "unchanged"


def _login(data: dict[str, object]) -> str:
    user = data.get("user")
    return str(user.get("login") or "") if isinstance(user, dict) else ""


def tracking_comment_upsert(
    gh: Github, *, repository: str, issue_number: int, body: str, known_author: str = ""
) -> CommentPublication:
    issue = gh.get_repo(repository).get_issue(issue_number)
    ours = []
    for comment in issue.get_comments():
        data = raw(comment)
        if MARKER in str(data.get("body") or "") and (not known_author or _login(data) == known_author):
            ours.append((comment, data))
    if ours:
        (keep, keep_data), extras = ours[0], ours[1:]
        for extra, extra_data in extras:
            if _login(extra_data) == _login(keep_data):
                extra.delete()
        if str(keep_data.get("body") or "") == body:
            return CommentPublication(comment_id=keep.id, author_login=_login(keep_data), action="unchanged")
        try:
            keep.edit(body)
        except GithubException as error:
            # A marked comment we may not edit (someone else's, before we knew our login): write our own.
            if error.status not in (403, 404):
                raise
        else:
            return CommentPublication(comment_id=keep.id, author_login=_login(keep_data), action="edited")
    created = issue.create_comment(body)
    return CommentPublication(comment_id=created.id, author_login=_login(raw(created)), action="created")
