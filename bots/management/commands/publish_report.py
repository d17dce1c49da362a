"""`python manage.py publish_report [--force]`: publish the latest report on GitHub and Discord now."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from bots import services


class Command(BaseCommand):
    help = "Publish the latest rollout report (or the plain status summary) to the tracking issue and Discord."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Publish even if this report was published.")

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        result = services.report_publish(force=force)
        self.stdout.write(f"{result.origin}: GitHub {result.github}; Discord {result.discord}")
