"""Every case of the Unleash client-specification v6.1.0 vectors shipped in ../shared beside the repo."""

import os
from functools import cache
from pathlib import Path

import pytest

from rollout.engine import Snapshot
from rollout.engine.spec import SpecCase, actual_result, load_spec_files

SPEC_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "unleash-client-spec"
MISSING_REASON = (
    "needs ../shared/data/unleash-client-spec "
    "(Unleash client-specification v6.1.0 vectors, shipped beside the repo in CI)"
)


def _cases() -> list[SpecCase]:
    if not SPEC_DIR.is_dir():
        return []
    return [case for spec_file in load_spec_files(SPEC_DIR) for case in spec_file.cases]


@cache
def _snapshot(file_name: str) -> Snapshot:
    spec_file = next(spec for spec in load_spec_files(SPEC_DIR) if spec.name == file_name)
    return Snapshot.from_client_features(spec_file.state)


CASES = _cases()


@pytest.mark.shared_data
@pytest.mark.parametrize("case", CASES or [None], ids=[case.id for case in CASES] or ["vectors-missing"])
def test_spec_vector(case: SpecCase | None) -> None:
    if case is None:
        if os.environ.get("PITWALL_REQUIRE_SHARED") == "1":
            pytest.fail(f"PITWALL_REQUIRE_SHARED=1 but {SPEC_DIR} has no spec cases: {MISSING_REASON}")
        pytest.skip(MISSING_REASON)

    actual = actual_result(_snapshot(case.file), case)

    assert actual == case.expected, case.description


@pytest.mark.shared_data
def test_spec_vectors__present__cover_every_file() -> None:
    if not SPEC_DIR.is_dir():
        if os.environ.get("PITWALL_REQUIRE_SHARED") == "1":
            pytest.fail(MISSING_REASON)
        pytest.skip(MISSING_REASON)
    files = {case.file for case in CASES}
    assert len(files) == len(list(SPEC_DIR.glob("*.json")))
    assert len(CASES) >= 180
