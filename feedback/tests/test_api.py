"""The feedback API through HTTP: the shim's submit endpoint and the staff-only inbox and sentiment endpoints."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from feedback.models import FeedbackItem
from feedback.tests.conftest import FakeScorer
from rollout.models import AuditEvent

pytestmark = pytest.mark.django_db

SUBMIT = "/api/v1/feedback"
ITEMS = "/api/v1/feedback/items"


def _submit(client: APIClient, text: Any, client_id: str | None = None) -> Any:
    return client.post(SUBMIT, {"text": text, "client_id": client_id or str(uuid.uuid4())}, format="json")


# --- the shim -----------------------------------------------------------------------------------------------


def test_submit__valid__201_and_scored_after_commit(
    installation_client: Any, fake_scorer: FakeScorer, django_capture_on_commit_callbacks: Any
) -> None:
    client, installation = installation_client
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(client, "hot reload is great")
    assert response.status_code == 201
    item = FeedbackItem.objects.get()
    assert response.json() == {"id": item.pk, "status": "received"}
    assert item.source == "shim" and item.installation == installation and item.ring == "general"
    assert item.label == "positive"


def test_submit__same_client_id_twice__one_item_same_answer(
    installation_client: Any, fake_scorer: FakeScorer
) -> None:
    client, _ = installation_client
    client_id = str(uuid.uuid4())
    first = _submit(client, "compile is slow", client_id)
    again = _submit(client, "compile is slow", client_id)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert FeedbackItem.objects.count() == 1


def test_submit__4000_chars__accepted(installation_client: Any, fake_scorer: FakeScorer) -> None:
    client, _ = installation_client
    assert _submit(client, "é" * 4000).status_code == 201


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("x" * 4001, "feedback_text_too_long"),
        ("", "feedback_text_empty"),
        ("  \n\t  ", "feedback_text_empty"),
        ("\x07\x08binary\x1b", "feedback_text_invalid"),
        ("nul\x00", "invalid"),  # DRF's own NUL check answers first
        (None, "invalid"),
        (["not", "text"], "invalid"),
    ],
)
def test_submit__bad_text__400_nothing_stored(
    installation_client: Any, fake_scorer: FakeScorer, text: Any, code: str
) -> None:
    client, _ = installation_client
    response = _submit(client, text)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert not FeedbackItem.objects.exists()


def test_submit__not_utf8_body__400(installation_client: Any, fake_scorer: FakeScorer) -> None:
    client, _ = installation_client
    body = b'{"text": "\xff\xfe\x00\x01", "client_id": "' + str(uuid.uuid4()).encode() + b'"}'
    response = client.generic("POST", SUBMIT, body, content_type="application/json")
    assert response.status_code == 400
    assert not FeedbackItem.objects.exists()


def test_submit__bad_client_id__400(installation_client: Any, fake_scorer: FakeScorer) -> None:
    client, _ = installation_client
    response = _submit(client, "hi", client_id="not-a-uuid")
    assert response.status_code == 400 and "client_id" in response.json()["error"]["details"]


def test_submit__html_and_script__stored_verbatim(installation_client: Any, fake_scorer: FakeScorer) -> None:
    client, _ = installation_client
    text = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    assert _submit(client, text).status_code == 201
    assert FeedbackItem.objects.get().text == text


def test_submit__no_token__401(api: APIClient, db: Any) -> None:
    response = _submit(api, "hi")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"


def test_submit__over_rate__429(
    installation_client: Any, fake_scorer: FakeScorer, settings: Any
) -> None:
    settings.PITWALL_FEEDBACK_SHIM_RATE = "2/hour"
    client, _ = installation_client
    assert [_submit(client, f"n{n}").status_code for n in range(3)] == [201, 201, 429]
    assert FeedbackItem.objects.count() == 2


# --- staff: who may ask -------------------------------------------------------------------------------------

STAFF_URLS = [
    ITEMS,
    f"{ITEMS}/1",
    "/api/v1/feedback/stats/net-sentiment",
    "/api/v1/feedback/stats/sentiment-over-time",
    "/api/v1/feedback/stats/pain-points",
]


@pytest.mark.parametrize("url", STAFF_URLS)
def test_staff_endpoints__anonymous__401(api: APIClient, db: Any, url: str) -> None:
    assert api.get(url).status_code == 401


@pytest.mark.parametrize("url", STAFF_URLS)
def test_staff_endpoints__logged_in_non_staff__403(db: Any, url: str) -> None:
    user = get_user_model().objects.create_user("dev", "d@example.com", "pw")
    client = APIClient()
    client.force_authenticate(user)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", STAFF_URLS)
def test_staff_endpoints__installation_token__403(installation_client: Any, url: str) -> None:
    client, _ = installation_client
    assert client.get(url).status_code == 403


def test_triage__non_staff__403_and_unchanged(make_item: Callable[..., FeedbackItem], db: Any) -> None:
    item = make_item()
    user = get_user_model().objects.create_user("dev", "d@example.com", "pw")
    client = APIClient()
    client.force_authenticate(user)
    assert client.patch(f"{ITEMS}/{item.pk}", {"triage_state": "dismissed"}, format="json").status_code == 403
    item.refresh_from_db()
    assert item.triage_state == "new"


# --- staff: the inbox ---------------------------------------------------------------------------------------


def test_list__filters_search_and_pagination(staff_client: Any, make_item: Callable[..., FeedbackItem]) -> None:
    day = datetime(2026, 11, 10, tzinfo=UTC)
    slow = make_item(text="Compile is SLOW", label="negative", topics=("compile_time",), source="discord",
                     created_at=day, url="https://discord.com/channels/1/2/3")
    make_item(text="docs ok", label="neutral", topics=("docs",), ring="preview", created_at=day + timedelta(days=1))
    make_item(text="love it", label="positive", topics=("praise",), phase="preview", created_at=day + timedelta(2))

    def ids(query: str) -> list[int]:
        response = staff_client.get(f"{ITEMS}?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert len(ids("")) == 3
    assert ids("source=discord") == [slow.pk]
    assert ids("label=negative") == [slow.pk]
    assert ids("topic=compile_time") == [slow.pk]
    assert len(ids("topic=compile_time&topic=docs")) == 2
    assert len(ids("ring=preview")) == 1 and len(ids("phase=preview")) == 1
    assert ids("q=compile is slow") == [slow.pk]
    assert ids("since=2026-11-10&until=2026-11-11") == [slow.pk]
    assert len(ids("since=2026-11-11T00:00:00Z")) == 2
    assert len(ids("triage_state=new")) == 3 and ids("triage_state=triaged") == []
    page = staff_client.get(f"{ITEMS}?limit=1&offset=1").json()
    assert page["count"] == 3 and len(page["results"]) == 1

    row = staff_client.get(f"{ITEMS}?source=discord").json()["results"][0]
    assert row["sentiment"]["label"] == "negative" and row["sentiment"]["score"] == -0.6
    assert row["topics"] == ["compile_time"] and row["url"].startswith("https://discord.com/")
    assert row["ring"] == "beta" and row["phase"] == "beta" and row["triage_state"] == "new"


@pytest.mark.parametrize("query", ["label=angry", "topic=nope", "since=yesterday", "limit=0", "limit=500"])
def test_list__bad_filter__400(staff_client: Any, db: Any, query: str) -> None:
    response = staff_client.get(f"{ITEMS}?{query}")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"


def test_list__html_comes_back_as_json_text(staff_client: Any, make_item: Callable[..., FeedbackItem]) -> None:
    make_item(text="<script>alert(1)</script>")
    response = staff_client.get(ITEMS)
    assert response["Content-Type"] == "application/json"
    assert response.json()["results"][0]["text"] == "<script>alert(1)</script>"


def test_triage__patch__updates_and_audits(staff_client: Any, make_item: Callable[..., FeedbackItem]) -> None:
    item = make_item()
    response = staff_client.patch(
        f"{ITEMS}/{item.pk}", {"triage_state": "triaged", "maintainer_note": "known issue"},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["triage_state"] == "triaged" and body["maintainer_note"] == "known issue"
    assert body["triaged_by"] == "maintainer"
    assert AuditEvent.objects.filter(action="feedback.item.triaged", object_id=str(item.pk)).exists()


@pytest.mark.parametrize("payload", [{}, {"triage_state": "closed"}])
def test_triage__bad_input__400(staff_client: Any, make_item: Callable[..., FeedbackItem], payload: Any) -> None:
    item = make_item()
    response = staff_client.patch(f"{ITEMS}/{item.pk}", payload, content_type="application/json")
    assert response.status_code == 400


def test_detail__unknown_item__404(staff_client: Any, db: Any) -> None:
    response = staff_client.get(f"{ITEMS}/424242")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_list__query_count_does_not_grow_with_items(
    staff_client: Any, make_item: Callable[..., FeedbackItem], django_assert_max_num_queries: Any
) -> None:
    for n in range(3):
        make_item(text=f"t{n}", topics=("docs", "other"))
    with django_assert_max_num_queries(6) as few:
        staff_client.get(ITEMS)
    for n in range(20):
        make_item(text=f"u{n}", topics=("docs", "other"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(staff_client.get(ITEMS).json()["results"]) == 23


# --- staff: sentiment ---------------------------------------------------------------------------------------


def test_net_sentiment__counts_and_n(staff_client: Any, make_item: Callable[..., FeedbackItem]) -> None:
    for label in ("positive", "positive", "positive", "negative", "neutral"):
        make_item(label=label)
    make_item(label="")  # waiting for the scorer
    body = staff_client.get("/api/v1/feedback/stats/net-sentiment").json()
    assert body == {"n": 5, "positive": 3, "neutral": 1, "negative": 1, "unscored": 1, "net": 0.4,
                    "mean_score": 0.24}


def test_sentiment_over_time__daily_buckets(staff_client: Any, make_item: Callable[..., FeedbackItem]) -> None:
    make_item(label="positive", created_at=datetime(2026, 11, 2, 9, tzinfo=UTC))
    make_item(label="negative", created_at=datetime(2026, 11, 2, 23, tzinfo=UTC))
    make_item(label="negative", created_at=datetime(2026, 11, 3, 1, tzinfo=UTC))
    body = staff_client.get("/api/v1/feedback/stats/sentiment-over-time?bucket=day").json()
    assert body["bucket"] == "day"
    assert [(row["bucket_start"], row["n"], row["net"]) for row in body["series"]] == [
        ("2026-11-02", 2, 0.0), ("2026-11-03", 1, -1.0),
    ]


def test_pain_points__ranked_with_quotes(staff_client: Any, make_item: Callable[..., FeedbackItem]) -> None:
    make_item(label="negative", score=-0.9, topics=("compile_time",), text="compile takes forever",
              url="https://github.com/o/r/issues/1")
    make_item(label="negative", score=-0.5, topics=("compile_time", "hot_reload"), text="slow and flaky")
    make_item(label="negative", score=-0.4, topics=("hot_reload",), text="reload broke")
    make_item(label="positive", topics=("hot_reload",), text="reload is nice now")
    body = staff_client.get("/api/v1/feedback/stats/pain-points?limit=1").json()
    assert len(body["pain_points"]) == 1
    top = body["pain_points"][0]
    assert (top["topic"], top["negative"], top["n"]) == ("compile_time", 2, 2)
    assert top["quotes"][0]["text"] == "compile takes forever"
    assert top["quotes"][0]["url"] == "https://github.com/o/r/issues/1"


def test_schema__documents_feedback_endpoints(api: APIClient, db: Any) -> None:
    response = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json() if response["Content-Type"].startswith("application/json") else None
    text = response.content.decode()
    for path in ("/api/v1/feedback", "/api/v1/feedback/items", "/api/v1/feedback/items/{item_id}",
                 "/api/v1/feedback/stats/net-sentiment", "/api/v1/feedback/stats/sentiment-over-time",
                 "/api/v1/feedback/stats/pain-points"):
        assert (path in schema["paths"]) if schema else (f"{path}:" in text)
    for operation in ("feedback_submit", "feedback_item_list", "feedback_item_triage", "feedback_pain_points"):
        assert operation in text


# --- found by tests/test_api_fuzz.py ----------------------------------------------------------------------------


def _document() -> dict[str, Any]:
    import json

    document: dict[str, Any] = json.loads(APIClient().get("/api/schema/?format=json").content)
    return document


def _operation(path: str, method: str) -> dict[str, Any]:
    operation: dict[str, Any] = _document()["paths"][path][method]
    return operation


def test_submit__number_as_text__400_nothing_stored(installation_client: Any, fake_scorer: FakeScorer) -> None:
    client, _ = installation_client
    response = _submit(client, 0)  # DRF alone would store "0"
    assert response.status_code == 400 and "text" in response.json()["error"]["details"]
    assert not FeedbackItem.objects.exists()


@pytest.mark.parametrize(
    ("text", "accepted"),
    [("ok", True), ("  tabs\tand\nnewlines\r\n ", True), ("é", True), ("", False), (" \t\n", False),
     ("\u3000\u00a0", False), ("bell\x07", False), ("c1\x85", False), ("x" * 4001, False)],
)
def test_submit__documented_text_rules_are_the_services(
    installation_client: Any, fake_scorer: FakeScorer, text: str, accepted: bool
) -> None:
    import re

    document = _document()
    body = document["paths"][SUBMIT]["post"]["requestBody"]["content"]["application/json"]["schema"]
    rules = document["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]["properties"]["text"]
    assert (bool(re.search(rules["pattern"], text)) and len(text) <= rules["maxLength"]) == accepted
    client, _ = installation_client
    assert (_submit(client, text).status_code == 201) == accepted


@pytest.mark.parametrize("query", ["since=9999-12-31T23:59:59-05:00", "until=0001-01-01T00:00:00%2B05:00"])
def test_list__bound_past_the_calendar_in_utc__200_not_500(staff_client: Any, db: Any, query: str) -> None:
    for url in (ITEMS, "/api/v1/feedback/stats/net-sentiment", "/api/v1/feedback/stats/sentiment-over-time",
                "/api/v1/feedback/stats/pain-points"):
        assert staff_client.get(f"{url}?{query}").status_code == 200, url


def test_list__paging_bounds_documented(db: Any) -> None:
    parameters = {p["name"]: p["schema"] for p in _operation(ITEMS, "get")["parameters"]}
    assert (parameters["limit"]["minimum"], parameters["limit"]["maximum"]) == (1, 200)
    assert parameters["offset"]["minimum"] == 0 and parameters["q"]["maxLength"] == 200


def test_triage__empty_body__400_and_documented_as_needing_a_field(
    staff_client: Any, make_item: Callable[..., FeedbackItem]
) -> None:
    item = make_item()
    assert staff_client.patch(f"{ITEMS}/{item.pk}", {}, content_type="application/json").status_code == 400
    body = _operation(f"{ITEMS}/{{item_id}}", "patch")["requestBody"]["content"]["application/json"]["schema"]
    assert body["anyOf"] == [{"required": ["triage_state"]}, {"required": ["maintainer_note"]}]
