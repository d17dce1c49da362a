"""The OpenAPI document is valid and generated without a single warning (every operation documented)."""

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_openapi_schema__validates_without_warnings(tmp_path: Path, settings: Any) -> None:
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/ofrep/v1/evaluate/flags" in target.read_text()
