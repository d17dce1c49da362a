"""Pitwall: the service behind the staged rollout of cargo-leptos fast mode."""

from pitwall.celery import app as celery_app

__all__ = ["celery_app"]
