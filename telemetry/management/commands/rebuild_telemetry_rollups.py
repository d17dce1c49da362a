"""Recompute the telemetry rollups from the raw events still held (idempotent; safe while ingest runs)."""

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pitwall.errors import ApplicationError
from telemetry import services


class Command(BaseCommand):
    help = (
        "Recompute telemetry rollups day by day from raw events. Days before the retention horizon are kept as "
        "they are (their raw events may be pruned). Events of installations that opted out are no longer counted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", type=date.fromisoformat, help="First day (YYYY-MM-DD); default: the "
                            "first day whose raw events are all still held.")
        parser.add_argument("--until", type=date.fromisoformat, help="Last day (YYYY-MM-DD); default: tomorrow.")

    def handle(self, *args: Any, since: date | None, until: date | None, **options: Any) -> None:
        try:
            result = services.rollups_rebuild(since=since, until=until, actor="manage.py rebuild_telemetry_rollups")
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Rebuilt {result.days} days: {result.events} events -> {result.rows} rollup rows.")
