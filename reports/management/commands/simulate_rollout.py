"""`manage.py simulate_rollout`: a simulated community, so a fresh install shows a living dashboard."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pitwall.errors import ApplicationError
from reports import simulation


class Command(BaseCommand):
    help = (
        "Create a SIMULATED community through the real services: installations across rings, OSes and project "
        "sizes, weeks of builds in both modes and hot reloads, feedback in developers' words. Marked as simulated "
        "(the dashboard says so); --clear removes it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--installations", type=int, default=120, help="Installations (default 120).")
        parser.add_argument("--weeks", type=int, default=6, help="Weeks of history (default 6).")
        parser.add_argument(
            "--events", type=int, default=20_000, help="Telemetry events to generate (default 20000)."
        )
        parser.add_argument("--feedback", type=int, default=70, help="Feedback items (default 70).")
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed: the same seed makes the same community."
        )
        parser.add_argument(
            "--clear", action="store_true", help="Remove the simulated data instead, and stop."
        )
        parser.add_argument(
            "--once", action="store_true", help="Do nothing (and succeed) when simulated data exists already."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["clear"]:
            cleared = simulation.simulated_data_clear()
            self.stdout.write(
                f"Removed simulated data: {cleared.installations} installations with their events, "
                f"{cleared.feedback_items} feedback items, {cleared.enrollments_ended} enrollments ended, "
                f"rollups of {cleared.rollup_days} days recomputed."
            )
            return
        if simulation.simulated_data_exists():
            if options["once"]:
                self.stdout.write("Simulated data exists already; nothing to do (--clear removes it).")
                return
            raise CommandError(
                "Simulated data exists already; remove it first with: python manage.py simulate_rollout --clear"
            )
        # weeks: raw events stay 180 days by default; older simulated days could not be cleared cleanly.
        for name, low, high in (
            ("installations", 1, 5000),
            ("weeks", 1, 25),
            ("events", 0, 2_000_000),
            ("feedback", 0, 5000),
        ):
            if not low <= options[name] <= high:
                raise CommandError(f"--{name} must be between {low} and {high}.")
        try:
            result = simulation.simulate_rollout(
                installations=options["installations"],
                weeks=options["weeks"],
                events=options["events"],
                feedback=options["feedback"],
                seed=options["seed"],
                progress=self.stdout.write,
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        for line in result.lines():
            self.stdout.write(line)
        self.stdout.write(
            self.style.WARNING(
                "This is SIMULATED data: the dashboard shows an 'includes simulated data' banner while it exists."
            )
        )
