"""Run Unleash client-specification test files against the engine.

    python -m rollout.engine.spec DIR

Runs every `*.json` in DIR that has `tests` or `variantTests`, prints each failure (file, description,
expected, actual) and ends with the line `N passed, M failed`; exits 1 on any failure.
"""

import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rollout.engine.errors import EngineValidationError
from rollout.engine.snapshot import Snapshot


@dataclass(frozen=True, slots=True)
class SpecCase:
    file: str
    kind: str  # "tests" (is_enabled) or "variantTests" (get_variant)
    index: int
    description: str
    toggle_name: str
    context: dict[str, Any]
    expected: Any

    @property
    def id(self) -> str:
        return f"{self.file}:{self.kind}[{self.index}]"


@dataclass(frozen=True, slots=True)
class SpecFile:
    name: str
    state: dict[str, Any]
    cases: tuple[SpecCase, ...]


def load_spec_files(directory: Path) -> list[SpecFile]:
    """Every spec file in `directory` (sorted by name) that has test cases."""
    files = []
    for path in sorted(directory.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict) or not (document.get("tests") or document.get("variantTests")):
            continue
        cases = tuple(_cases(path.name, document))
        files.append(SpecFile(name=path.name, state=document.get("state") or {}, cases=cases))
    return files


def _cases(file: str, document: dict[str, Any]) -> Iterator[SpecCase]:
    for kind in ("tests", "variantTests"):
        for index, case in enumerate(document.get(kind) or []):
            yield SpecCase(
                file=file,
                kind=kind,
                index=index,
                description=case.get("description", ""),
                toggle_name=case["toggleName"],
                context=case.get("context") or {},
                expected=case["expectedResult"],
            )


def actual_result(snapshot: Snapshot, case: SpecCase) -> Any:
    """What the engine answers for `case`."""
    if case.kind == "tests":
        return snapshot.is_enabled(case.toggle_name, case.context)
    return snapshot.get_variant(case.toggle_name, case.context)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or not Path(args[0]).is_dir():
        print("usage: python -m rollout.engine.spec DIR", file=sys.stderr)
        return 2
    passed = failed = 0
    for spec_file in load_spec_files(Path(args[0])):
        try:
            snapshot = Snapshot.from_client_features(spec_file.state)
        except EngineValidationError as error:
            for case in spec_file.cases:
                print(f"FAIL {spec_file.name}: {case.description}: state refused: {error}")
            failed += len(spec_file.cases)
            continue
        for case in spec_file.cases:
            actual = actual_result(snapshot, case)
            if actual == case.expected:
                passed += 1
            else:
                failed += 1
                print(
                    f"FAIL {spec_file.name}: {case.description}\n"
                    f"  expected: {json.dumps(case.expected, ensure_ascii=False)}\n"
                    f"  actual:   {json.dumps(actual, ensure_ascii=False)}"
                )
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
