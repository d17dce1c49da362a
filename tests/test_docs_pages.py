"""The user docs the shim links to are served by the service."""

from typing import Any

import pytest


@pytest.mark.parametrize("name", ["telemetry", "shim"])
def test_docs_page__public_docs__rendered_escaped(client: Any, db: Any, name: str) -> None:
    response = client.get(f"/docs/{name}/")
    assert response.status_code == 200
    assert b"<pre" in response.content


def test_docs_page__other_file__404(client: Any, db: Any) -> None:
    assert client.get("/docs/deploy/").status_code == 404
