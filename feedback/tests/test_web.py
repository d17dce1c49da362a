"""The public feedback form: CSRF, a signed submission id, validation, escaping, and the per-address rate limit."""

import re
from typing import Any

import pytest
from django.core import signing
from django.test import Client

from feedback.models import FeedbackItem
from feedback.tests.conftest import FakeScorer

pytestmark = pytest.mark.django_db

URL = "/feedback/"


def _token(client: Client) -> str:
    page = client.get(URL).content.decode()
    match = re.search(r'name="token" value="([^"]+)"', page)
    assert match is not None
    return match.group(1)


def _csrf(client: Client) -> str:
    return client.cookies["csrftoken"].value


def _post(client: Client, text: str, *, token: str | None = None, handle: str = "", **extra: Any) -> Any:
    token = token if token is not None else _token(client)
    return client.post(
        URL, {"text": text, "handle": handle, "token": token, "csrfmiddlewaretoken": _csrf(client)}, **extra
    )


@pytest.fixture
def browser() -> Client:
    return Client(enforce_csrf_checks=True)


def test_form__renders_with_base_layout_and_csrf(browser: Client) -> None:
    response = browser.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Tell us about fast mode" in page and "Pitwall" in page  # base.html header
    assert 'name="csrfmiddlewaretoken"' in page and 'name="token"' in page


def test_form__valid_post__stored_and_thanked(
    browser: Client, fake_scorer: FakeScorer, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(browser, "Compile got slow after the update", handle="ferris")
    assert response.status_code == 200 and b"Thank you" in response.content
    item = FeedbackItem.objects.get()
    assert (item.source, item.author_handle, item.participant, item.ring) == ("web", "ferris", None, "")
    assert item.label == "negative"


def test_form__without_csrf_token__403_nothing_stored(browser: Client, fake_scorer: FakeScorer) -> None:
    token = _token(browser)
    response = browser.post(URL, {"text": "hello", "token": token})
    assert response.status_code == 403
    assert not FeedbackItem.objects.exists()


def test_form__script_injection__stored_verbatim_rendered_escaped(browser: Client, fake_scorer: FakeScorer) -> None:
    text = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    response = _post(browser, text, handle="<b>me</b>")
    assert response.status_code == 200
    assert FeedbackItem.objects.get().text == text
    page = response.content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>me</b>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page and "&lt;b&gt;me&lt;/b&gt;" in page


def test_form__same_page_submitted_twice__one_item(browser: Client, fake_scorer: FakeScorer) -> None:
    token = _token(browser)
    assert _post(browser, "double click", token=token).status_code == 200
    assert _post(browser, "double click", token=token).status_code == 200
    assert FeedbackItem.objects.count() == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x" * 4001, "at most 4000 characters"),
        ("", "This field is required"),
        ("   \n  ", "Feedback text is empty"),
        ("bin\x00ary", "Null characters are not allowed"),
        ("bell\x07", "control characters"),
    ],
)
def test_form__bad_text__400_with_message_nothing_stored(
    browser: Client, fake_scorer: FakeScorer, text: str, message: str
) -> None:
    response = _post(browser, text)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not FeedbackItem.objects.exists()


def test_form__forged_token__400_fresh_token_offered(browser: Client, fake_scorer: FakeScorer) -> None:
    forged = signing.TimestampSigner(salt="someone-else").sign("0" * 32)
    browser.get(URL)
    response = _post(browser, "keep my words", token=forged)
    assert response.status_code == 400
    page = response.content.decode()
    assert "reload the page" in page and "keep my words" in page
    assert forged not in page
    assert not FeedbackItem.objects.exists()


def test_form__expired_token__400_then_resend_works(
    browser: Client, fake_scorer: FakeScorer, settings: Any
) -> None:
    token = _token(browser)
    settings.PITWALL_FEEDBACK_FORM_MAX_AGE_HOURS = -1
    response = _post(browser, "late", token=token)
    assert response.status_code == 400 and "expired" in response.content.decode()
    fresh = re.search(r'name="token" value="([^"]+)"', response.content.decode())
    assert fresh is not None
    settings.PITWALL_FEEDBACK_FORM_MAX_AGE_HOURS = 24
    assert _post(browser, "late", token=fresh.group(1)).status_code == 200


def test_form__over_rate__429_per_address(browser: Client, fake_scorer: FakeScorer, settings: Any) -> None:
    settings.PITWALL_FEEDBACK_WEB_RATE = "2/hour"
    codes = [_post(browser, f"message {n}").status_code for n in range(3)]
    assert codes == [200, 200, 429]
    assert FeedbackItem.objects.count() == 2
    limited = _post(browser, "again")
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert b"Too many messages" in limited.content
    other = Client(enforce_csrf_checks=True, REMOTE_ADDR="198.51.100.7")
    assert _post(other, "from elsewhere").status_code == 200


def test_form__behind_trusted_proxy__limits_the_forwarded_address(
    browser: Client, fake_scorer: FakeScorer, settings: Any
) -> None:
    settings.PITWALL_FEEDBACK_WEB_RATE = "1/hour"
    settings.PITWALL_FEEDBACK_TRUSTED_PROXIES = 1
    assert _post(browser, "a", HTTP_X_FORWARDED_FOR="spoofed, 203.0.113.1").status_code == 200
    assert _post(browser, "b", HTTP_X_FORWARDED_FOR="other-spoof, 203.0.113.1").status_code == 429
    assert _post(browser, "c", HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 200


def test_form__other_methods__405(client: Client) -> None:
    assert client.put(URL).status_code == 405
