"""The `/fastmode` commands, the "Send to fast-mode feedback" message command and the consent buttons.

Thin: parse the interaction, call a bots/rollout/feedback service through `run_db`, render the answer. Every
command that touches the database defers first (Discord wants an answer within 3 seconds), personal answers are
ephemeral, each command has a per-member cooldown, and every error is answered with a short message and logged
(`PitwallTree.on_error`).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import discord
from discord import app_commands
from django.conf import settings

from bots import selectors, services
from bots.config import discord_config
from bots.discord import render
from bots.discord.db import run_db
from feedback.models import MAX_TEXT_LENGTH
from feedback.text import feedback_text_validate
from pitwall.errors import ApplicationError

logger = logging.getLogger(__name__)
T = TypeVar("T")

CONTEXT_MENU_NAME = "Send to fast-mode feedback"
SERVER_ERROR_TEXT = "Something went wrong on our side; it has been logged. Please try again in a minute."


class MaintainersOnly(app_commands.CheckFailure):
    """The member lacks the configured maintainer role (or none is configured)."""


def message_link(*, guild_id: int | None, channel_id: int, message_id: int) -> str:
    """Built from ids: Message.jump_url says "@me" when the guild is not in the client's cache yet."""
    return f"https://discord.com/channels/{guild_id or '@me'}/{channel_id}/{message_id}"


def _member_key(interaction: discord.Interaction[Any]) -> int:
    return interaction.user.id


def _is_maintainer(user: discord.abc.User) -> bool:
    role_id = discord_config().maintainer_role_id
    if not role_id or not isinstance(user, discord.Member):
        return False
    # Discord sends the member's role ids with every interaction; Member.get_role() would also need the guild's
    # role cache, which is empty until the gateway has delivered the guild.
    return user.get_role(role_id) is not None or user._roles.has(role_id)


def maintainers_only() -> Callable[[T], T]:
    def predicate(interaction: discord.Interaction[Any]) -> bool:
        if not discord_config().maintainer_role_id:
            raise MaintainersOnly("No maintainer role is configured (DISCORD_MAINTAINER_ROLE_ID).")
        if not _is_maintainer(interaction.user):
            raise MaintainersOnly("Only maintainers can do that.")
        return True

    return app_commands.check(predicate)


async def answer_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """Every failure gets a short answer; our own failures are logged with the traceback, never the user's data."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    command = interaction.command.qualified_name if interaction.command is not None else "component"
    if isinstance(original, app_commands.CommandOnCooldown):
        text = f"Slow down a little: try again in {max(1, round(original.retry_after))} s."
        logger.info("bots.discord.cooldown command=%s", command)
    elif isinstance(original, MaintainersOnly):
        text = str(original)
        logger.info("bots.discord.refused command=%s reason=maintainers_only", command)
    elif isinstance(original, ApplicationError):
        text = original.message
        logger.info("bots.discord.refused command=%s code=%s", command, original.code)
    elif isinstance(original, app_commands.CheckFailure):
        text = "You can't use that here."
        logger.info("bots.discord.refused command=%s reason=%s", command, type(original).__name__)
    else:
        text = SERVER_ERROR_TEXT
        logger.error(
            "bots.discord.command_failed command=%s interaction=%s", command, interaction.id, exc_info=original
        )
    try:
        if interaction.response.is_done():
            await interaction.edit_original_response(content=text, embed=None, view=None)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        logger.warning("bots.discord.answer_failed command=%s interaction=%s", command, interaction.id)


# --- the consent buttons ------------------------------------------------------------------------------------


class _ClickLimiter:
    """Per-member rate limit for buttons (app_commands cooldowns apply to commands only)."""

    def __init__(self, rate: int, per: float) -> None:
        self.rate, self.per = rate, per
        self._clicks: dict[int, list[float]] = {}

    def retry_after(self, member_id: int) -> float:
        now = time.monotonic()
        recent = [t for t in self._clicks.get(member_id, []) if now - t < self.per]
        if len(recent) >= self.rate:
            self._clicks[member_id] = recent
            return self.per - (now - recent[0])
        self._clicks[member_id] = [*recent, now]
        return 0.0


CONSENT_CLICKS = _ClickLimiter(rate=3, per=60.0)


class ConsentButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"pitwall:consent:(?P<ring>beta|preview):(?P<version>[0-9A-Za-z.-]{1,20})",
):
    """"I agree": enrolls the member who pressed it. Stateless (everything is in the custom id), so a button
    keeps working after the bot restarts; the consent version in it must still be the current one."""

    def __init__(self, ring: str, version: str) -> None:
        self.ring, self.version = ring, version
        super().__init__(
            discord.ui.Button(
                label="I agree, enroll me",
                style=discord.ButtonStyle.success,
                custom_id=f"pitwall:consent:{ring}:{version}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ConsentButton:
        return cls(match["ring"], match["version"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            wait = CONSENT_CLICKS.retry_after(interaction.user.id)
            if wait:
                raise app_commands.CommandOnCooldown(app_commands.Cooldown(CONSENT_CLICKS.rate, CONSENT_CLICKS.per),
                                                     wait)
            await interaction.response.defer()
            if self.version != settings.PITWALL_CONSENT_VERSION:
                await interaction.edit_original_response(
                    content="The terms changed since this message was shown: run `/fastmode enroll` again to read "
                    "them.",
                    view=None,
                )
                return
            enrollment = await run_db(
                services.discord_enroll,
                discord_id=interaction.user.id,
                handle=interaction.user.name,
                ring=self.ring,
                consent_text_version=self.version,
            )
            logger.info("bots.discord.enrolled ring=%s moved=%s", enrollment.ring, bool(enrollment.previous_ring))
            await interaction.edit_original_response(
                content=render.enrolled_text(enrollment, feedback_channel_id=discord_config().feedback_channel_id),
                view=None,
            )
        except Exception as error:
            await answer_error(interaction, error)


class CancelButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"pitwall:consent:cancel"):
    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(label="Cancel", style=discord.ButtonStyle.secondary, custom_id="pitwall:consent:cancel")
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> CancelButton:
        return cls()

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await interaction.response.edit_message(content="Nothing changed. `/fastmode enroll` when you like.",
                                                    view=None)
        except Exception as error:
            await answer_error(interaction, error)


def consent_view(*, ring: str, version: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ConsentButton(ring, version))
    view.add_item(CancelButton())
    return view


# --- /fastmode ----------------------------------------------------------------------------------------------


class FastMode(app_commands.Group):
    def __init__(self) -> None:
        super().__init__(
            name="fastmode", description="Leptos fast mode (cargo leptos dev --fast): join, leave, status, feedback"
        )

    @app_commands.command(name="enroll", description="Join the fast-mode beta or the community preview")
    @app_commands.describe(ring="beta: first, roughest; preview: the wider community")
    @app_commands.checks.cooldown(3, 60.0, key=_member_key)
    async def enroll(self, interaction: discord.Interaction[Any], ring: Literal["beta", "preview"]) -> None:
        # No database here: the consent text goes out at once; the "I agree" button does the enrolling.
        version = settings.PITWALL_CONSENT_VERSION
        await interaction.response.send_message(
            render.consent_text(ring=ring, version=version),
            view=consent_view(ring=ring, version=version),
            ephemeral=True,
        )

    @app_commands.command(name="leave", description="Leave the fast-mode beta or preview")
    @app_commands.checks.cooldown(3, 60.0, key=_member_key)
    async def leave(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        before = await run_db(selectors.member_status, discord_id=interaction.user.id)
        left = await run_db(services.discord_leave, discord_id=interaction.user.id)
        logger.info("bots.discord.left left=%s", left)
        await interaction.edit_original_response(content=render.left_text(left=left, ring=before.ring))

    @app_commands.command(name="status", description="Your ring, the rollout phase and the headline figures")
    @app_commands.checks.cooldown(3, 30.0, key=_member_key)
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        member = await run_db(selectors.member_status, discord_id=interaction.user.id)
        summary = await run_db(selectors.status_summary)
        await interaction.edit_original_response(embed=render.status_embed(member, summary))

    @app_commands.command(name="feedback", description="Tell the Leptos team how fast mode works for you")
    @app_commands.describe(text="What worked, what didn't, how fast it felt")
    @app_commands.checks.cooldown(3, 60.0, key=_member_key)
    async def feedback(
        self,
        interaction: discord.Interaction[Any],
        text: app_commands.Range[str, 1, MAX_TEXT_LENGTH],
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        feedback_text_validate(text)  # refuse before anything is posted
        copy = await _post_feedback_copy(interaction, text)
        try:
            receipt = await run_db(
                services.discord_feedback_store,
                external_id=str(interaction.id),
                text=text,
                discord_id=interaction.user.id,
                handle=interaction.user.name,
                url=message_link(guild_id=interaction.guild_id, channel_id=copy.channel.id, message_id=copy.id)
                if copy is not None
                else "",
                created_at=interaction.created_at,
            )
        except BaseException:
            if copy is not None:  # no public copy of feedback that was not stored
                await _delete_quietly(copy)
            raise
        logger.info("bots.discord.feedback_stored item=%s", receipt.item.pk)
        where = f" A copy is in {receipt.item.url}." if receipt.item.url else ""
        await interaction.edit_original_response(content=f"Thank you! Your feedback is recorded.{where}")

    @app_commands.command(name="report", description="Maintainers: post the latest rollout report here")
    @maintainers_only()
    @app_commands.checks.cooldown(1, 30.0, key=_member_key)
    async def report(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(thinking=True)  # public: the report is for the channel
        latest = await run_db(selectors.latest_report)
        await interaction.edit_original_response(embed=render.report_embed(latest))


async def _post_feedback_copy(interaction: discord.Interaction[Any], text: str) -> discord.Message | None:
    """The public copy the stored item links to, in the feedback channel (or where the command was used).
    Best effort: without permission to post there, the feedback is stored without a link."""
    channel_id = discord_config().feedback_channel_id or interaction.channel_id
    if channel_id is None:
        return None
    channel = interaction.client.get_partial_messageable(channel_id, guild_id=interaction.guild_id)
    try:
        copy: discord.Message = await channel.send(
            embed=render.feedback_copy_embed(text=text, author=interaction.user),
            allowed_mentions=discord.AllowedMentions.none(),
        )
    except discord.HTTPException as error:
        logger.warning("bots.discord.feedback_copy_failed status=%s", error.status)
        return None
    return copy


async def _delete_quietly(message: discord.Message) -> None:
    try:
        await message.delete()
    except discord.HTTPException:
        logger.warning("bots.discord.feedback_copy_not_deleted message=%s", message.id)


# --- the message command ------------------------------------------------------------------------------------


@app_commands.context_menu(name=CONTEXT_MENU_NAME)
@maintainers_only()
@app_commands.checks.cooldown(10, 60.0, key=_member_key)
async def send_to_feedback(interaction: discord.Interaction[Any], message: discord.Message) -> None:
    """Maintainers turn a member's message into feedback, credited to its author (not to the maintainer)."""
    await interaction.response.defer(ephemeral=True, thinking=True)
    if message.author.bot:
        await interaction.edit_original_response(content="That message is from a bot; only people's messages count.")
        return
    if not message.content.strip():
        await interaction.edit_original_response(content="That message has no text to store.")
        return
    receipt = await run_db(
        services.discord_feedback_store,
        external_id=str(message.id),
        text=message.content,
        discord_id=message.author.id,
        handle=message.author.name,
        url=message_link(guild_id=interaction.guild_id, channel_id=message.channel.id, message_id=message.id),
        created_at=message.created_at,
        repair_text=True,
    )
    logger.info("bots.discord.message_to_feedback item=%s created=%s", receipt.item.pk, receipt.created)
    verb = "Stored" if receipt.created else ("Updated" if receipt.text_changed else "Already stored")
    await interaction.edit_original_response(
        content=f"{verb} as fast-mode feedback from **{discord.utils.escape_markdown(message.author.display_name)}**."
    )


# --- the tree -----------------------------------------------------------------------------------------------


class PitwallTree(app_commands.CommandTree[Any]):
    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        guild_id = discord_config().guild_id
        if interaction.guild_id is None or interaction.guild_id != guild_id:
            await interaction.response.send_message(
                "Pitwall's commands work in the Leptos Discord server only.", ephemeral=True
            )
            return False
        return True

    async def on_error(self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError, /) -> None:
        await answer_error(interaction, error)


def build_tree(client: discord.Client) -> PitwallTree:
    """Commands are added globally to the tree and copied to the configured guild when synced (`--sync`)."""
    tree = PitwallTree(client)
    tree.add_command(FastMode())
    tree.add_command(send_to_feedback)
    return tree
