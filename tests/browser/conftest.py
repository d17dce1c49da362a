"""Browser tests: Playwright's sync API driving Debian's Chromium against pytest-django's live server.

Without /usr/bin/chromium they skip and say why, unless PITWALL_REQUIRE_BROWSER=1 (CI), where that is a failure.
Screenshots go to artifacts/screenshots/ (git-ignored) as test artefacts.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("PITWALL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
STAFF_USER = "maintainer"
STAFF_PASSWORD = "browser-test-password-7f3a"


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "browser: drives Chromium through Playwright (tests/browser)")


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)"
        if os.environ.get("PITWALL_REQUIRE_BROWSER") == "1":
            pytest.fail(message + " - PITWALL_REQUIRE_BROWSER=1 makes this a failure")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread while it is open; the ORM calls the tests
    # make around it (seeding data, checking the audit log) are plain synchronous calls, so Django may allow them.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Any, settings: Any) -> Iterator[Any]:
    # The live server speaks plain http: secure-only cookies would never come back.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture
def screenshot() -> Any:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page: Any, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def staff_user(transactional_db: Any) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(
        STAFF_USER, "maintainer@example.com", STAFF_PASSWORD, is_staff=True, is_superuser=True
    )


@pytest.fixture
def community(transactional_db: Any) -> Any:
    """A small simulated community (the simulate_rollout functions), so the overview has charts with data."""
    from reports import simulation
    from rollout.bootstrap import bootstrap_fast_mode

    bootstrap_fast_mode()
    return simulation.simulate_rollout(installations=16, weeks=3, events=2500, feedback=12, seed=11)


@pytest.fixture
def logged_in(page: Any, live_server: Any, staff_user: Any) -> Any:
    """The page, logged in as staff through the admin login form."""
    page.goto(f"{live_server.url}/admin/login/?next=/dashboard/")
    page.fill("#id_username", STAFF_USER)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    return page
