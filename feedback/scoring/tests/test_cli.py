from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from feedback.scoring import SCORER_VERSION
from feedback.scoring.__main__ import run

REPO = Path(__file__).resolve().parents[3]


def test_run__mixed_lines__bad_lines_get_errors_and_the_rest_continue() -> None:
    lines = ['"hot reload finally works, thanks!"\n', "not json\n", "\n", "42\n", '"rebuild took 40s"\n']
    out = io.StringIO()
    errors = run(lines, out)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert errors == 2
    assert len(records) == 4
    assert records[0]["label"] == "positive"
    assert records[0]["scorer_version"] == SCORER_VERSION
    assert set(records[0]) == {"label", "score", "topics", "scorer_version"}
    assert "error" in records[1]
    assert "error" in records[2]
    assert records[3]["topics"] == ["compile_time"]


def test_module__stdin_to_stdout__one_json_object_per_line() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "feedback.scoring"],
        input='"thanks 🎉"\n{"not": "a string"}\n"docs are missing"\n',
        capture_output=True, text=True, encoding="utf-8", cwd=REPO, timeout=60, check=True,
    )
    records = [json.loads(line) for line in completed.stdout.splitlines()]
    assert [("error" in r) for r in records] == [False, True, False]
    assert records[2]["topics"] == ["docs"]
