"""Access to ../shared/data, the data and specs that sit beside the repo in CI but not in a user's clone.

Without it a test skips, saying where the data comes from; with PITWALL_REQUIRE_SHARED=1 (set by .ci/run) the
skip becomes a failure, so CI can never pass by skipping.
"""

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def shared_data(*parts: str, what: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if path.exists():
        return path
    reason = f"needs ../shared/data/{'/'.join(parts)} ({what}); it sits beside the repo in CI"
    if os.environ.get("PITWALL_REQUIRE_SHARED") == "1":
        pytest.fail(reason + " and PITWALL_REQUIRE_SHARED=1 forbids skipping")
    pytest.skip(reason)
