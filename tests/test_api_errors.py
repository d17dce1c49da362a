"""API errors keep the one JSON shape even when Django answers instead of a view (found by test_api_fuzz.py)."""

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/feedback/items/not-a-number"),  # <int:item_id> matches nothing
        ("get", "/api/v1/reports/1,2"),
        ("post", "/ofrep/v1/evaluate/flags/a/b"),  # a key with a slash
    ],
)
def test_api_path_without_route__json_404(staff_client: Client, method: str, url: str) -> None:
    response = getattr(staff_client, method)(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": {"code": "not_found", "message": "Not found.", "details": {}}}


def test_page_without_route__still_the_html_404(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_get_object_or_404_in_an_api_view__error_shape_not_drf_detail(staff_client: Client, fast_mode: Any) -> None:
    response = staff_client.get("/api/v1/features/no-such-feature/reports")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found" and "detail" not in response.json()
