"""The Discord bot process: a gateway client with the Pitwall command tree (`python manage.py run_discord_bot`)."""

import logging

import discord

from bots.config import discord_config
from bots.discord.commands import CancelButton, ConsentButton, PitwallTree, build_tree

logger = logging.getLogger(__name__)


class PitwallBot(discord.Client):
    """Only the guilds intent: commands and buttons arrive as interactions, which need no privileged intent
    (a message command's target message comes with its text)."""

    def __init__(self) -> None:
        super().__init__(intents=discord.Intents(guilds=True))
        self.tree: PitwallTree = build_tree(self)

    async def setup_hook(self) -> None:
        # Consent buttons are stateless: they work on messages sent before a restart.
        self.add_dynamic_items(ConsentButton, CancelButton)

    async def on_ready(self) -> None:
        logger.info("bots.discord.ready guilds=%s", len(self.guilds))


async def sync_commands(client: discord.Client, tree: PitwallTree) -> list[str]:
    """Register the commands in the configured guild (instant there; global commands take up to an hour)."""
    guild = discord.Object(id=discord_config().guild_id)
    tree.copy_global_to(guild=guild)
    synced = await tree.sync(guild=guild)
    logger.info("bots.discord.synced guild=%s commands=%s", guild.id, len(synced))
    return [command.name for command in synced]
