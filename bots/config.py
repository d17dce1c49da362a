"""The bots' configuration, read from settings at call time (tests override settings per test).

Each part is off until its credentials are set; `off_reason` says what is missing, in words an operator can act on.
"""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class GithubConfig:
    webhook_secret: str
    repository: str
    feedback_label: str
    discussion_category: str
    tracking_issue: int
    api_url: str
    token: str
    app_id: str
    app_private_key: str
    app_installation_id: int

    @property
    def webhook_off_reason(self) -> str:
        if not self.webhook_secret:
            return "GITHUB_WEBHOOK_SECRET is not set: the GitHub webhook is off."
        return ""

    @property
    def has_credentials(self) -> bool:
        return bool(self.token) or bool(self.app_id and self.app_private_key and self.app_installation_id)

    @property
    def api_off_reason(self) -> str:
        if not self.repository or "/" not in self.repository:
            return "GITHUB_REPOSITORY (owner/name) is not set: the GitHub backfill and publisher are off."
        if not self.has_credentials:
            return (
                "Neither GITHUB_TOKEN nor GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY + GITHUB_APP_INSTALLATION_ID "
                "is set: the GitHub backfill and publisher are off."
            )
        return ""

    @property
    def publisher_off_reason(self) -> str:
        if self.api_off_reason:
            return self.api_off_reason
        if not self.tracking_issue:
            return "GITHUB_TRACKING_ISSUE is not set: the report is not published on GitHub."
        return ""

    def is_our_repository(self, full_name: str) -> bool:
        """Deliveries from another repository (an organisation-wide hook) are not ours; no repository set: all are."""
        return not self.repository or full_name.lower() == self.repository.lower()


def github_config() -> GithubConfig:
    return GithubConfig(
        webhook_secret=settings.GITHUB_WEBHOOK_SECRET,
        repository=settings.GITHUB_REPOSITORY.strip(),
        feedback_label=settings.GITHUB_FEEDBACK_LABEL.strip(),
        discussion_category=settings.GITHUB_DISCUSSION_CATEGORY.strip(),
        tracking_issue=settings.GITHUB_TRACKING_ISSUE,
        api_url=settings.GITHUB_API_URL.rstrip("/"),
        token=settings.GITHUB_TOKEN,
        app_id=settings.GITHUB_APP_ID,
        # A PEM key in one environment line usually arrives with literal "\n".
        app_private_key=settings.GITHUB_APP_PRIVATE_KEY.replace("\\n", "\n"),
        app_installation_id=settings.GITHUB_APP_INSTALLATION_ID,
    )


@dataclass(frozen=True)
class DiscordConfig:
    token: str
    guild_id: int
    maintainer_role_id: int
    report_channel_id: int
    feedback_channel_id: int

    @property
    def bot_off_reason(self) -> str:
        if not self.token:
            return "DISCORD_TOKEN is not set: the Discord bot is off."
        if not self.guild_id:
            return "DISCORD_GUILD_ID is not set: the Discord bot is off (its commands live in one server)."
        return ""

    @property
    def report_channel_off_reason(self) -> str:
        if not self.token:
            return "DISCORD_TOKEN is not set: the report is not posted on Discord."
        if not self.report_channel_id:
            return "DISCORD_REPORT_CHANNEL_ID is not set: the report is not posted on Discord."
        return ""


def discord_config() -> DiscordConfig:
    return DiscordConfig(
        token=settings.DISCORD_TOKEN,
        guild_id=settings.DISCORD_GUILD_ID,
        maintainer_role_id=settings.DISCORD_MAINTAINER_ROLE_ID,
        report_channel_id=settings.DISCORD_REPORT_CHANNEL_ID,
        feedback_channel_id=settings.DISCORD_FEEDBACK_CHANNEL_ID,
    )
