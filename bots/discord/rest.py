"""Posting to Discord from outside the bot process (the Celery publisher): REST only, no gateway connection."""

import asyncio

import discord

from bots.config import discord_config
from bots.discord.render import report_embed
from bots.selectors import PublishableReport


async def _post(*, token: str, channel_id: int, content: str | None = None, embed: discord.Embed | None = None) -> int:
    client = discord.Client(intents=discord.Intents.none())
    async with client:
        await client.login(token)
        channel = client.get_partial_messageable(channel_id)
        mentions = discord.AllowedMentions.none()
        if embed is not None:
            message = await channel.send(content, embed=embed, allowed_mentions=mentions)
        else:
            message = await channel.send(content, allowed_mentions=mentions)
        return message.id


def post_report(report: PublishableReport) -> None:
    """Post the report as an embed in DISCORD_REPORT_CHANNEL_ID (the publisher checks it is configured)."""
    config = discord_config()
    asyncio.run(_post(token=config.token, channel_id=config.report_channel_id, embed=report_embed(report)))


def post_text(content: str) -> None:
    """Post a plain message in DISCORD_REPORT_CHANNEL_ID."""
    config = discord_config()
    asyncio.run(_post(token=config.token, channel_id=config.report_channel_id, content=content))
