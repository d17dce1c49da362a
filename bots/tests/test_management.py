"""Management commands, Discord REST posting and the reports signals, with discord.py's HTTP client stood in for."""

import io
from typing import Any

import discord
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from bots import services
from bots.discord import rest
from bots.selectors import PublishableReport
from bots.tests import discord_harness as dh
from reports import signals

pytestmark = pytest.mark.django_db


class FakeDiscordRest:
    """Stands in for `discord.http.HTTPClient.request`: records routes and JSON, answers like Discord's REST API."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []

    async def __call__(self, http: Any, route: Any, **kwargs: Any) -> Any:
        path = route.url.removeprefix(route.BASE)
        payload = kwargs.get("json")
        self.calls.append((route.method, path, payload))
        bot_user = dh.user_payload(dh.APPLICATION_ID, "Pitwall", bot=True)
        if path == "/users/@me":
            return {**bot_user, "mfa_enabled": False, "verified": True, "flags": 0}
        if path == "/oauth2/applications/@me":
            return {"id": str(dh.APPLICATION_ID), "name": "Pitwall", "description": "", "icon": None,
                    "bot_public": False, "bot_require_code_grant": False, "owner": bot_user, "verify_key": "00",
                    "flags": 0}
        if route.method == "PUT" and path.endswith("/commands"):
            return [{"description": "", **command, "id": str(dh.snowflake()),
                     "application_id": str(dh.APPLICATION_ID), "version": "1",
                     "guild_id": str(dh.GUILD_ID)} for command in payload or []]
        if route.method == "POST" and path.startswith("/channels/"):
            return dh.message_payload(message_id=dh.snowflake(), channel_id=int(path.split("/")[2]), author=bot_user,
                                      content=(payload or {}).get("content") or "", embeds=(payload or {}).get("embeds"))
        raise AssertionError(f"unexpected Discord call {route.method} {path}")


@pytest.fixture
def discord_rest(monkeypatch: pytest.MonkeyPatch, settings: Any) -> FakeDiscordRest:
    settings.DISCORD_TOKEN = "discord-bot-token"
    fake = FakeDiscordRest()

    async def request(self: Any, route: Any, **kwargs: Any) -> Any:
        return await fake(self, route, **kwargs)

    monkeypatch.setattr(discord.http.HTTPClient, "request", request)
    return fake


def test_run_discord_bot__no_token__exits_saying_why(settings: Any) -> None:
    settings.DISCORD_TOKEN = ""
    with pytest.raises(CommandError, match="DISCORD_TOKEN is not set: the Discord bot is off"):
        call_command("run_discord_bot")


def test_run_discord_bot__no_guild__exits_saying_why(settings: Any) -> None:
    settings.DISCORD_TOKEN = "token"
    settings.DISCORD_GUILD_ID = 0
    with pytest.raises(CommandError, match="DISCORD_GUILD_ID is not set"):
        call_command("run_discord_bot", "--sync")


def test_run_discord_bot__sync__registers_commands_in_the_guild(discord_rest: FakeDiscordRest) -> None:
    out = io.StringIO()
    call_command("run_discord_bot", "--sync", stdout=out)

    [(_, path, commands)] = [c for c in discord_rest.calls if c[0] == "PUT"]
    assert path == f"/applications/{dh.APPLICATION_ID}/guilds/{dh.GUILD_ID}/commands"
    by_name = {command["name"]: command for command in commands}
    assert set(by_name) == {"fastmode", "Send to fast-mode feedback"}
    assert by_name["Send to fast-mode feedback"]["type"] == 3
    subcommands = {option["name"]: option for option in by_name["fastmode"]["options"]}
    assert set(subcommands) == {"enroll", "leave", "status", "feedback", "report"}
    [ring] = subcommands["enroll"]["options"]
    assert [choice["value"] for choice in ring["choices"]] == ["beta", "preview"] and ring["required"]
    [text] = subcommands["feedback"]["options"]
    assert (text["min_length"], text["max_length"]) == (1, 4000)
    assert "Synced 2 commands" in out.getvalue()


def test_post_report__embed_in_report_channel(discord_rest: FakeDiscordRest, settings: Any) -> None:
    settings.DISCORD_REPORT_CHANNEL_ID = dh.REPORT_CHANNEL_ID
    report = PublishableReport(title="Fast-mode rollout report — Beta: Hold", markdown="# Report",
                               embed_description="# Report", origin="report:1", created_at=timezone.now())
    rest.post_report(report)
    [(method, path, payload)] = [c for c in discord_rest.calls if c[1].startswith("/channels/")]
    assert (method, path) == ("POST", f"/channels/{dh.REPORT_CHANNEL_ID}/messages")
    assert payload["embeds"][0]["title"] == "Fast-mode rollout report — Beta: Hold"
    assert payload["allowed_mentions"] == {"parse": []}


def test_publish_report_command__nothing_configured__says_off() -> None:
    out = io.StringIO()
    call_command("publish_report", stdout=out)
    assert "GitHub off:" in out.getvalue() and "Discord off: DISCORD_TOKEN" in out.getvalue()


def test_github_backfill_command__not_configured__says_off() -> None:
    out = io.StringIO()
    call_command("github_backfill", stdout=out)
    assert out.getvalue().startswith("off: GITHUB_REPOSITORY") or "GITHUB_TOKEN" in out.getvalue()


def test_report_created_signal__publishes_that_report(monkeypatch: pytest.MonkeyPatch, fast_mode: Any) -> None:
    from reports.models import ReportTrigger, RolloutReport

    report = RolloutReport.objects.create(
        feature=fast_mode, phase=fast_mode.current_phase, trigger=ReportTrigger.ON_DEMAND, created_by="test",
        recommendation="hold", window_start=timezone.now(), window_end=timezone.now(), data={},
        markdown="## Gate\nHold: not enough builds.", html="",
    )
    published: list[PublishableReport] = []

    def publish(*, report: PublishableReport | None = None, **kwargs: Any) -> Any:
        assert report is not None
        published.append(report)
        return services.PublishResult(github="created", discord="posted", origin=report.origin)

    monkeypatch.setattr(services, "report_publish", publish)
    signals.report_created.send(sender=RolloutReport, report=report)

    [sent] = published
    assert sent.origin == f"report:{report.pk}" and sent.markdown.startswith("## Gate")
    assert sent.title == "Fast-mode rollout report — Beta: Hold"


def test_feature_paused_signal__announced_in_report_channel(
    discord_rest: FakeDiscordRest, settings: Any, fast_mode: Any
) -> None:
    settings.DISCORD_REPORT_CHANNEL_ID = dh.REPORT_CHANNEL_ID
    signals.feature_paused.send(sender=None, feature=fast_mode, reasons=["hot-reload success 71 % < 90 %"])
    [(_, _, payload)] = [c for c in discord_rest.calls if c[1].startswith("/channels/")]
    assert payload["content"] == "**fast-mode was paused by automatic mode.**\n• hot-reload success 71 % < 90 %"
