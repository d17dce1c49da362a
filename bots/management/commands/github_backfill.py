"""`python manage.py github_backfill`: take GitHub feedback missed by the webhook now (the beat task runs it too)."""

from typing import Any

from django.core.management.base import BaseCommand

from bots import services


class Command(BaseCommand):
    help = "Backfill GitHub feedback (labelled issues, their comments, /feedback comments) since the last run."

    def handle(self, *args: Any, **options: Any) -> None:
        result = services.github_backfill()
        self.stdout.write(f"{result.status}: {result.detail}")
