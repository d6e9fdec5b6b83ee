"""The browser harness on the static demo app: screenshots, axe-core, keyboard, CSP, phone width.

Screenshots go to ``test-artifacts/web/`` (gitignored). The README's
``docs/screenshot-login.png`` comes from the real server instead
(:mod:`tests.web.test_browser_journeys`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.web.browser import artifact_path, axe_violations
from tests.web.static_app import PAGES

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_no_serious_accessibility_violations(
    audit_page: Any, axe_source: str, static_ui: str, name: str
) -> None:
    audit_page.goto(f"{static_ui}ui/{name}")
    audit_page.screenshot(path=artifact_path(f"{name}-desktop.png"), full_page=True)
    violations = axe_violations(audit_page, axe_source)
    assert violations == [], violations
    audit_page.set_viewport_size(PHONE)
    audit_page.screenshot(path=artifact_path(f"{name}-phone.png"), full_page=True)
    assert axe_violations(audit_page, axe_source) == []


@pytest.mark.parametrize("name", sorted(PAGES))
def test_csp_holds_and_nothing_leaves_the_origin(ui_page: Any, static_ui: str, name: str) -> None:
    problems: list[str] = []
    hosts: set[str] = set()
    ui_page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    ui_page.on(
        "request", lambda r: hosts.add(urlsplit(r.url).netloc) if r.url.startswith("http") else None
    )
    response = ui_page.goto(f"{static_ui}ui/{name}")
    ui_page.wait_for_load_state("networkidle")
    assert response is not None and response.ok
    assert problems == []
    assert hosts == {urlsplit(static_ui).netloc}
    # The stylesheet applied (no CSP block): the card is styled.
    assert ui_page.eval_on_selector("main", "e => getComputedStyle(e).borderRadius") != "0px"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_fits_a_phone_without_horizontal_scrolling(ui_page: Any, static_ui: str, name: str) -> None:
    ui_page.set_viewport_size({"width": 320, "height": 640})
    ui_page.goto(f"{static_ui}ui/{name}")
    overflow = ui_page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0


def test_keyboard_order_on_login(ui_page: Any, static_ui: str) -> None:
    ui_page.goto(f"{static_ui}ui/login")
    order = []
    for _ in range(7):
        ui_page.keyboard.press("Tab")
        order.append(
            ui_page.evaluate(
                "() => { const e = document.activeElement;"
                " return e.name || e.getAttribute('href') || e.tagName }"
            )
        )
    assert order[:5] == ["#main", "provider", "identifier", "password", "method"]
    assert "self-service/recovery/browser" in order[5]
    assert "self-service/registration/browser" in order[6]
    # The skip link is visible once focused and moves focus to the main content.
    ui_page.keyboard.press("Shift+Tab")
    ui_page.goto(f"{static_ui}ui/login")
    ui_page.keyboard.press("Tab")
    assert ui_page.is_visible("a.skip")
    ui_page.keyboard.press("Enter")
    assert ui_page.evaluate("() => document.activeElement.id") == "main"


def test_first_invalid_field_has_focus(ui_page: Any, static_ui: str) -> None:
    ui_page.goto(f"{static_ui}ui/registration")
    assert ui_page.evaluate("() => document.activeElement.name") == "traits.email"


def test_works_without_javascript(chromium: Any, static_ui: str) -> None:
    context = chromium.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{static_ui}ui/login")
        assert page.is_visible("input[name=identifier]")
        assert page.is_visible("button[name=method][value=password]")
        assert page.get_attribute("form", "method") == "post"
    finally:
        context.close()


def test_login_screenshot(ui_page: Any, static_ui: str) -> None:
    ui_page.set_viewport_size({"width": 880, "height": 660})
    ui_page.goto(f"{static_ui}ui/login")
    shot = artifact_path("static-login.png")
    ui_page.screenshot(path=shot, full_page=True)
    assert shot.stat().st_size > 5_000
