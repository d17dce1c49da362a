"""`python manage.py run_discord_bot [--sync]`: run the Discord bot, or register its commands in the guild."""

import asyncio
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bots.config import discord_config
from bots.discord.bot import PitwallBot, sync_commands


class Command(BaseCommand):
    help = "Run the Pitwall Discord bot (/fastmode commands). --sync registers the commands in DISCORD_GUILD_ID."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--sync",
            action="store_true",
            help="Register (or update) the commands in the configured guild, then exit. Needed after they change.",
        )

    def handle(self, *args: Any, sync: bool = False, **options: Any) -> None:
        config = discord_config()
        if config.bot_off_reason:
            raise CommandError(config.bot_off_reason + " See docs/bots.md.")
        bot = PitwallBot()
        if sync:
            names = asyncio.run(self._sync(bot, config.token))
            self.stdout.write(f"Synced {len(names)} commands to guild {config.guild_id}: {', '.join(names)}")
            return
        self.stdout.write(f"Starting the Discord bot for guild {config.guild_id} (Ctrl-C stops it).")
        # Django's logging config stays in charge (no discord.py root handler).
        bot.run(config.token, log_handler=None)

    async def _sync(self, bot: PitwallBot, token: str) -> list[str]:
        async with bot:
            await bot.login(token)
            return await sync_commands(bot, bot.tree)
