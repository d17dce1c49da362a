"""`python -m rollout.engine.spec DIR`: failure report, summary line and exit code."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

STATE = {"version": 1, "features": [{"name": "on", "enabled": True, "strategies": [{"name": "default"}]}]}


def run_spec(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rollout.engine.spec", str(directory)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def write_spec(
    directory: Path,
    name: str,
    tests: list[dict[str, object]],
    variant_tests: list[dict[str, object]] | None = None,
) -> None:
    document = {"name": name, "state": STATE, "tests": tests, "variantTests": variant_tests or []}
    (directory / f"{name}.json").write_text(json.dumps(document), encoding="utf-8")


def test_spec_cli__one_passing_one_failing__reports_and_exits_1(tmp_path: Path) -> None:
    write_spec(
        tmp_path,
        "01-mixed",
        [
            {"description": "on is on", "context": {}, "toggleName": "on", "expectedResult": True},
            {
                "description": "on is off (wrong on purpose)",
                "context": {},
                "toggleName": "on",
                "expectedResult": False,
            },
        ],
    )
    (tmp_path / "README.json").write_text(json.dumps({"name": "no tests here"}), encoding="utf-8")

    result = run_spec(tmp_path)

    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "1 passed, 1 failed"
    assert "01-mixed.json" in result.stdout
    assert "on is off (wrong on purpose)" in result.stdout
    assert "expected: false" in result.stdout
    assert "actual:   true" in result.stdout
    assert "on is on" not in result.stdout


def test_spec_cli__all_passing__exits_0(tmp_path: Path) -> None:
    write_spec(
        tmp_path,
        "01-pass",
        [{"description": "on is on", "context": {}, "toggleName": "on", "expectedResult": True}],
        [
            {
                "description": "no variants",
                "context": {},
                "toggleName": "on",
                "expectedResult": {"name": "disabled", "enabled": False, "feature_enabled": True},
            }
        ],
    )

    result = run_spec(tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines() == ["2 passed, 0 failed"]


def test_spec_cli__not_a_directory__usage_error(tmp_path: Path) -> None:
    result = run_spec(tmp_path / "missing")

    assert result.returncode == 2
    assert "usage" in result.stderr
