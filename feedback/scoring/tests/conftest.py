from __future__ import annotations

import os
from pathlib import Path

import pytest

from feedback.scoring.datasets import shared_sentiment_dir

SKIP_REASON = (
    "needs ../shared/data/sentiment (GitHub gold standard, Novielli et al. MSR 2020; shipped beside the repo in CI)"
)


@pytest.fixture(scope="session")
def sentiment_data_dir() -> Path:
    """`../shared/data/sentiment`; skips without it, fails instead when PITWALL_REQUIRE_SHARED=1."""
    directory = shared_sentiment_dir()
    if directory is None:
        if os.environ.get("PITWALL_REQUIRE_SHARED") == "1":
            pytest.fail(SKIP_REASON + " and PITWALL_REQUIRE_SHARED=1")
        pytest.skip(SKIP_REASON)
    return directory
