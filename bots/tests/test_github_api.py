"""The backfill and the report publisher, with PyGithub pointed at a local server that answers like GitHub."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from bots import selectors, services
from bots.github.publisher import MARKER
from bots.models import SyncState
from bots.selectors import PublishableReport
from bots.tests.github_standin import FakeGitHub, Throttle
from feedback.models import FeedbackItem

pytestmark = pytest.mark.django_db

LABEL = "bug"  # conftest: the feedback label


def _now() -> datetime:
    return timezone.now().astimezone(UTC).replace(microsecond=0)


def _texts() -> list[str]:
    return sorted(FeedbackItem.objects.filter(source="github").values_list("text", flat=True))


def _report(markdown: str = "Phase: beta. 12 enrolled.") -> PublishableReport:
    return PublishableReport(title="Fast-mode rollout status — Beta", markdown=markdown,
                             embed_description=markdown, origin="status-summary", created_at=timezone.now())


# --- backfill -----------------------------------------------------------------------------------------------


def test_backfill__labelled_issues_and_comments_over_pages__stored(fake_github: FakeGitHub, slept: list[float]) -> None:
    recent = _now() - timedelta(hours=2)
    for number in range(1, 6):  # 5 labelled issues: 3 pages of 2
        fake_github.add_issue(number, title=f"Issue {number}", body="rebuilds are slow", labels=(LABEL,),
                              updated_at=recent + timedelta(minutes=number))
    fake_github.add_issue(6, title="Not feedback", labels=("docs",), updated_at=recent)
    fake_github.add_issue(7, title="A labelled pull request", labels=(LABEL,), updated_at=recent, pull_request=True)
    fake_github.add_issue(8, title="By a bot", labels=(LABEL,), updated_at=recent, author="renovate[bot]",
                          author_type="Bot")
    for body in ("first", "second", "third"):  # 3 comments on issue 1: 2 pages
        fake_github.add_comment(1, body=f"{body} comment", updated_at=recent + timedelta(minutes=10))
    fake_github.add_comment(1, body="automated", author="ci[bot]", author_type="Bot", updated_at=recent)
    fake_github.add_comment(6, body="/feedback hot reload is great now", updated_at=recent)
    fake_github.add_comment(6, body="a plain comment", updated_at=recent)

    result = services.github_backfill(sleeper=slept.append)

    assert result.status == "done"
    assert result.issues == 5 and result.comments == 4 and result.stored == 9
    assert _texts() == sorted(
        [f"Issue {n}\n\nrebuilds are slow" for n in range(1, 6)]
        + ["first comment", "second comment", "third comment", "hot reload is great now"]
    )
    issue_pages = fake_github.calls("GET", r"/repos/Codertocat/Hello-World/issues")
    # 7 labelled (5 issues, a pull request, a bot's issue) in pages of 2, followed by the Link headers
    assert [r.query.get("page", "1") for r in issue_pages] == ["1", "2", "3", "4"]
    assert issue_pages[0].query["labels"] == LABEL and issue_pages[0].query["state"] == "all"
    assert len(fake_github.calls("GET", r".*/issues/1/comments")) == 2
    assert slept == []


def test_backfill__second_run__only_since_watermark_and_idempotent(fake_github: FakeGitHub, slept: list[float]) -> None:
    fake_github.add_issue(1, title="Old", labels=(LABEL,), updated_at=_now() - timedelta(days=3))
    assert services.github_backfill(sleeper=slept.append).stored == 1
    state = SyncState.objects.get(key="github.backfill:codertocat/hello-world")
    assert state.watermark is not None and state.watermark > _now() - timedelta(minutes=10)

    fake_github.requests.clear()
    fake_github.add_issue(2, title="New", labels=(LABEL,), updated_at=_now() + timedelta(seconds=1))
    second = services.github_backfill(sleeper=slept.append)

    since = fake_github.calls("GET", r"/repos/Codertocat/Hello-World/issues")[0].query["since"]
    assert since == state.watermark.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert second.issues == 1 and _texts() == ["New", "Old"]
    assert FeedbackItem.objects.count() == 2


def test_backfill__secondary_rate_limit__waits_retry_after_then_goes_on(
    fake_github: FakeGitHub, slept: list[float]
) -> None:
    fake_github.add_issue(1, title="One", labels=(LABEL,), updated_at=_now())
    fake_github.add_issue(2, title="Two", labels=(LABEL,), updated_at=_now())
    fake_github.add_issue(3, title="Three", labels=(LABEL,), updated_at=_now())
    fake_github.throttles.append(Throttle("GET", r"/repos/Codertocat/Hello-World/issues", retry_after=7))

    result = services.github_backfill(sleeper=slept.append)

    assert slept == [7.0]
    assert result.status == "done" and _texts() == ["One", "Three", "Two"]
    first_pages = [r.query.get("page", "1") for r in fake_github.calls("GET", r"/repos/Codertocat/Hello-World/issues")]
    assert first_pages == ["1", "1", "2"]  # the throttled page once more, then on


def test_backfill__wait_longer_than_allowed__stops_keeps_watermark(
    fake_github: FakeGitHub, slept: list[float], settings: Any
) -> None:
    settings.PITWALL_GITHUB_MAX_RATE_LIMIT_WAIT_SECONDS = 30
    fake_github.add_issue(1, title="One", labels=(LABEL,), updated_at=_now())
    fake_github.throttles.append(Throttle("GET", r"/repos/Codertocat/Hello-World/issues", retry_after=600))

    result = services.github_backfill(sleeper=slept.append)

    assert result.status == "partial" and "600" in result.detail
    assert slept == [] and not FeedbackItem.objects.exists()
    assert SyncState.objects.get().watermark is None  # the next run covers the same window


def test_backfill__budget_nearly_spent__stops_early(fake_github: FakeGitHub, slept: list[float], settings: Any) -> None:
    settings.PITWALL_GITHUB_MIN_REMAINING_REQUESTS = 100
    fake_github.rate_remaining = 101
    for number in range(1, 7):
        fake_github.add_issue(number, title=f"Issue {number}", labels=(LABEL,), updated_at=_now())

    result = services.github_backfill(sleeper=slept.append)

    assert result.status == "partial" and "requests left" in result.detail
    assert len(fake_github.requests) < 5


def test_backfill__github_app_credentials__installation_token_used(
    fake_github: FakeGitHub, slept: list[float], settings: Any
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    settings.GITHUB_TOKEN = ""
    settings.GITHUB_APP_ID = "12345"
    settings.GITHUB_APP_PRIVATE_KEY = pem.replace("\n", "\\n")  # as one environment line
    settings.GITHUB_APP_INSTALLATION_ID = 678
    fake_github.add_issue(1, title="Via the app", labels=(LABEL,), updated_at=_now())

    assert services.github_backfill(sleeper=slept.append).stored == 1

    [token_request] = fake_github.calls("POST", r"/app/installations/678/access_tokens")
    assert token_request.authorization.startswith("Bearer ")  # the app's JWT
    listing = fake_github.calls("GET", r"/repos/Codertocat/Hello-World/issues")[0]
    assert listing.authorization == "token ghs_installation_token"


def test_backfill__not_configured__off_and_says_why(settings: Any) -> None:
    settings.GITHUB_TOKEN = ""
    result = services.github_backfill()
    assert result.status == "off" and "GITHUB_TOKEN" in result.detail


# --- publisher ----------------------------------------------------------------------------------------------


@pytest.fixture
def tracking_issue(fake_github: FakeGitHub, settings: Any) -> int:
    settings.GITHUB_TRACKING_ISSUE = 42
    fake_github.add_issue(42, title="Fast mode rollout tracking", updated_at=_now())
    fake_github.add_comment(42, body="Looking forward to this!", updated_at=_now())
    fake_github.add_comment(42, body="Me too", updated_at=_now())
    return 42


def _marked(fake_github: FakeGitHub) -> list[dict[str, Any]]:
    return [c for c in fake_github.comments_of(42) if MARKER in c["body"]]


def test_publisher__first_report__one_marked_comment_created(
    fake_github: FakeGitHub, tracking_issue: int, slept: list[float]
) -> None:
    result = services.report_publish(report=_report(), sleeper=slept.append)

    assert result.github == "created"
    [comment] = _marked(fake_github)
    assert "Phase: beta. 12 enrolled." in comment["body"] and comment["body"].startswith(MARKER)
    state = SyncState.objects.get(key="report.github")
    assert state.external_id == str(comment["id"]) and state.author_login == "pitwall-bot[bot]"
    assert len(fake_github.calls("POST")) == 1


def test_publisher__new_report__same_comment_edited_in_place(
    fake_github: FakeGitHub, tracking_issue: int, slept: list[float]
) -> None:
    services.report_publish(report=_report("Phase: beta. 12 enrolled."), sleeper=slept.append)
    [first] = _marked(fake_github)

    result = services.report_publish(report=_report("Phase: preview. 40 enrolled."), sleeper=slept.append)

    assert result.github == "edited"
    [edited] = _marked(fake_github)
    assert edited["id"] == first["id"] and "40 enrolled" in edited["body"]
    assert len(fake_github.calls("POST")) == 1
    assert [r.path for r in fake_github.calls("PATCH")] == [f"/repos/Codertocat/Hello-World/issues/comments/{first['id']}"]


def test_publisher__same_report_again__nothing_sent(
    fake_github: FakeGitHub, tracking_issue: int, slept: list[float]
) -> None:
    services.report_publish(report=_report(), sleeper=slept.append)
    fake_github.requests.clear()
    assert services.report_publish(report=_report(), sleeper=slept.append).github == "unchanged"
    assert fake_github.requests == []


def test_publisher__state_lost__finds_comment_by_marker_never_duplicates(
    fake_github: FakeGitHub, tracking_issue: int, slept: list[float]
) -> None:
    services.report_publish(report=_report("one"), sleeper=slept.append)
    SyncState.objects.all().delete()  # e.g. a fresh database

    assert services.report_publish(report=_report("two"), sleeper=slept.append).github == "edited"
    assert [c["body"].count("two") for c in _marked(fake_github)] == [1]


def test_publisher__duplicate_from_retried_create__extra_deleted(
    fake_github: FakeGitHub, tracking_issue: int, slept: list[float]
) -> None:
    services.report_publish(report=_report("one"), sleeper=slept.append)
    [kept] = _marked(fake_github)
    fake_github.add_comment(42, body=f"{MARKER}\nstale copy", author="pitwall-bot[bot]", author_type="Bot",
                            updated_at=_now())

    services.report_publish(report=_report("two"), sleeper=slept.append)

    [only] = _marked(fake_github)
    assert only["id"] == kept["id"] and "two" in only["body"]
    assert len(fake_github.calls("DELETE")) == 1


def test_publisher__someone_copies_the_marker__their_comment_untouched(
    fake_github: FakeGitHub, tracking_issue: int, slept: list[float]
) -> None:
    services.report_publish(report=_report("one"), sleeper=slept.append)
    fake_github.add_comment(42, body=f"quoting: {MARKER}", author="someone", updated_at=_now())
    services.report_publish(report=_report("two"), sleeper=slept.append)
    assert any(c["body"] == f"quoting: {MARKER}" for c in fake_github.comments_of(42))
    assert fake_github.calls("DELETE") == []


def test_publisher__secondary_limit_on_edit__waits_then_edits(
    fake_github: FakeGitHub, tracking_issue: int, slept: list[float]
) -> None:
    services.report_publish(report=_report("one"), sleeper=slept.append)
    fake_github.throttles.append(Throttle("PATCH", r".*/issues/comments/\d+", retry_after=3))
    assert services.report_publish(report=_report("two"), sleeper=slept.append).github == "edited"
    assert slept == [3.0] and len(fake_github.calls("PATCH")) == 2


def test_publisher__discord_channel_configured__posted_once_per_report(
    fake_github: FakeGitHub, tracking_issue: int, slept: list[float], settings: Any
) -> None:
    settings.DISCORD_TOKEN = "discord-token"
    settings.DISCORD_REPORT_CHANNEL_ID = 1234
    posted: list[PublishableReport] = []

    first = services.report_publish(report=_report("one"), sleeper=slept.append, discord_post=posted.append)
    again = services.report_publish(report=_report("one"), sleeper=slept.append, discord_post=posted.append)

    assert (first.discord, again.discord) == ("posted", "unchanged")
    assert [r.markdown for r in posted] == ["one"]


def test_publisher__nothing_configured__says_off(settings: Any) -> None:
    result = services.report_publish(report=_report())
    assert result.github.startswith("off:") and "GITHUB_REPOSITORY" not in result.github
    assert "GITHUB_TOKEN" in result.github and result.discord.startswith("off: DISCORD_TOKEN")


def test_latest_report__no_rollout_report__plain_status_summary(fast_mode: Any) -> None:
    report = selectors.latest_report()
    assert report.origin == "status-summary"
    assert report.title == "Fast-mode rollout status — Beta"
    assert "| Phase | Beta |" in report.markdown and "Kill switch" in report.markdown
    assert "Rebuild p50" in report.markdown and "Net sentiment on performance" in report.markdown


def test_latest_report__rollout_report_exists__that_report(fast_mode: Any) -> None:
    from reports.models import RolloutReport

    report = RolloutReport.objects.create(
        feature=fast_mode, phase=fast_mode.current_phase, trigger="on_demand", created_by="test",
        recommendation="promote", window_start=timezone.now(), window_end=timezone.now(), data={},
        markdown="## Gate: pass", html="",
    )
    latest = selectors.latest_report()
    assert latest.origin == f"report:{report.pk}" and latest.markdown == "## Gate: pass"
    assert latest.title == "Fast-mode rollout report — Beta: Promote"


def test_report_create__new_report__published_on_tracking_issue(
    fake_github: FakeGitHub, tracking_issue: int, fast_mode: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """End to end: the reports app makes a report; on commit its signal has the bots publish it."""
    from reports import services as reports_services

    with django_capture_on_commit_callbacks(execute=True):
        report = reports_services.report_create(feature=fast_mode, trigger="on_demand", actor="maintainer")

    [comment] = _marked(fake_github)
    assert report.markdown.strip() in comment["body"]
    assert SyncState.objects.get(key="report.github").last_outcome == f"created for report:{report.pk}"
