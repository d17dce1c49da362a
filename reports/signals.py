"""Signals the bots listen to (reports never imports bots)."""

from django.dispatch import Signal

# Sent on commit after a report is made: kwargs report (RolloutReport).
report_created = Signal()
# Sent on commit when automatic mode pauses a feature: kwargs feature, reasons (list[str]).
feature_paused = Signal()
