"""The engine is pure Python: its tests need no database, cache or Django settings."""

import pytest


@pytest.fixture(autouse=True)
def _fresh_flag_snapshot() -> None:
    """Overrides the project-wide autouse fixture (which clears Django's cache) with a no-op here."""
