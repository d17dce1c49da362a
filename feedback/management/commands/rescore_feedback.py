"""Score again every item whose score comes from another scorer version (or none, or an older text).

Items keep their old score until the new one is written, one row at a time, so the inbox and the sentiment
figures stay usable while it runs; interrupted, it simply starts over with what is left.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

import feedback.scoring as scoring
from feedback import selectors, services
from feedback.tasks import score_feedback_item


class Command(BaseCommand):
    help = "Re-score feedback scored by another scorer version, in batches, without downtime."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=200, help="Items read per query (default 200).")
        parser.add_argument(
            "--enqueue", action="store_true", help="Queue Celery tasks instead of scoring in this process."
        )
        parser.add_argument("--limit", type=int, default=0, help="Stop after this many items (0: all).")

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size: int = max(1, options["batch_size"])
        limit: int = options["limit"]
        version = scoring.SCORER_VERSION
        counts: dict[str, int] = {}
        after_id = 0
        seen = 0
        while True:
            size = batch_size if not limit else min(batch_size, limit - seen)
            if size <= 0:
                break
            ids = selectors.feedback_items_needing_score(current_version=version, after_id=after_id, limit=size)
            if not ids:
                break
            for item_id in ids:
                if options["enqueue"]:
                    score_feedback_item.delay(item_id)
                    outcome = "queued"
                else:
                    outcome = services.feedback_item_score(item_id=item_id)
                counts[outcome] = counts.get(outcome, 0) + 1
            seen += len(ids)
            after_id = ids[-1]
            self.stdout.write(f"... {seen} item(s) so far")
        summary = ", ".join(f"{outcome} {n}" for outcome, n in sorted(counts.items())) or "nothing to do"
        self.stdout.write(self.style.SUCCESS(f"Scorer {version}: {summary}."))
