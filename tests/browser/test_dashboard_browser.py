"""The dashboard and the public pages in a real browser (Chromium through Playwright), with screenshots."""

import re
from typing import Any

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

FIGURE_WITH_N = re.compile(r"\d+(\.\d+)? (s|ms|%)[^\n]*n \d+")


def test_overview__staff_logged_in__charts_drawn_with_data_and_tables(
    community: Any, logged_in: Any, screenshot: Any
) -> None:
    page = logged_in
    assert page.get_by_test_id("phase").inner_text() == "Beta"
    assert page.get_by_test_id("simulated-banner").is_visible()
    for key in ("rebuild-trend", "hot-reload", "sentiment"):
        canvas = page.locator(f'canvas[data-chart="chart-{key}-data"]')
        canvas.wait_for(state="visible")
        assert canvas.get_attribute("data-drawn") == "true"
        assert canvas.get_attribute("aria-label")
        box = canvas.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 100
    # Chart.js drew something: the canvas is not blank.
    painted = page.evaluate(
        """() => { const c = document.querySelector('canvas[data-chart="chart-rebuild-trend-data"]');
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n; }"""
    )
    assert painted > 1000
    table = page.locator('table[data-chart-table="rebuild-trend"]')
    assert FIGURE_WITH_N.search(table.text_content() or "")
    screenshot(page, "overview")


def test_kill_switch__confirmed_with_reason__off_and_in_the_audit_log(
    community: Any, logged_in: Any, live_server: Any, screenshot: Any
) -> None:
    page = logged_in
    page.goto(f"{live_server.url}/dashboard/flags/fast-mode/")
    assert page.get_by_test_id("kill-switch-state").inner_text() == "ON"
    page.get_by_role("link", name="Switch off…").click()
    page.wait_for_url("**/kill-switch/")
    page.get_by_label("Reason").fill("Linker crashes on Windows after the 0.2.24 upgrade.")
    screenshot(page, "kill_switch_confirm")
    # Without ticking the confirmation the browser refuses to submit (required) and nothing changes.
    page.get_by_role("button", name="Switch off").click()
    assert page.url.endswith("/kill-switch/")
    page.get_by_label("I understand this changes fast mode for every installation at once.").check()
    page.get_by_role("button", name="Switch off").click()
    page.wait_for_url("**/dashboard/flags/fast-mode/")
    assert "OFF" in page.get_by_test_id("kill-switch-state").inner_text()
    assert page.get_by_role("status").filter(has_text="for every installation").is_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log", exact=True).click()
    row = page.get_by_test_id("audit-table").locator("tr", has_text="rollout.feature.killed")
    assert row.count() == 1
    assert "Linker crashes on Windows" in row.inner_text() and "user:maintainer" in row.inner_text()
    screenshot(page, "audit_log")

    from rollout.models import Feature

    assert not Feature.objects.get(key="fast-mode").enabled


def test_join__anonymous__consents_and_receives_a_code(live_server: Any, page: Any, screenshot: Any) -> None:
    page.goto(f"{live_server.url}/join/")
    assert page.get_by_role("heading", name=re.compile("The terms")).is_visible()
    page.get_by_label("Name or handle").fill("ferris")
    page.get_by_label("Community preview").check()
    page.get_by_label("I agree to the terms above.").check()
    screenshot(page, "join_form")
    page.get_by_role("button", name="Enroll and get my code").click()
    code = page.get_by_test_id("enrollment-code").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    assert page.get_by_test_id("shim-command").inner_text() == f"leptos-fast enroll {code}"
    screenshot(page, "join_code")

    from rollout.models import Enrollment

    enrollment = Enrollment.objects.get()
    assert enrollment.ring == "preview" and enrollment.source == "web"


def test_status__anonymous__phase_figures_and_chart(
    community: Any, live_server: Any, page: Any, screenshot: Any
) -> None:
    page.goto(f"{live_server.url}/status/")
    assert page.get_by_test_id("status-phase").inner_text() == "Beta"
    page.locator('canvas[data-chart="chart-status-rebuilds-data"][data-drawn="true"]').wait_for()
    assert "sim-" not in page.content()
    screenshot(page, "status")


def test_overview__without_javascript__tables_stand_in(
    community: Any, browser: Any, live_server: Any, staff_user: Any, settings: Any, screenshot: Any
) -> None:
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/?next=/dashboard/")
    page.fill("#id_username", "maintainer")
    page.fill("#id_password", "browser-test-password-7f3a")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    assert not page.locator("canvas[data-chart]").first.is_visible()
    table = page.locator('table[data-chart-table="rebuild-trend"]')
    assert table.is_visible()
    assert FIGURE_WITH_N.search(table.inner_text())
    screenshot(page, "overview_no_javascript")
    context.close()


STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'"
)


def test_overview__strict_content_security_policy__charts_still_drawn(
    community: Any, logged_in: Any, live_server: Any
) -> None:
    """No inline script, handler or style on the page: a strict CSP (added here by the browser) breaks nothing."""
    page = logged_in
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    def with_csp(route: Any) -> None:
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": STRICT_CSP})

    page.route(f"{live_server.url}/dashboard/", with_csp)
    page.goto(f"{live_server.url}/dashboard/")
    page.locator('canvas[data-chart="chart-rebuild-trend-data"][data-drawn="true"]').wait_for()
    assert page.locator("canvas[data-drawn=true]").count() == 3
    assert not violations, violations
