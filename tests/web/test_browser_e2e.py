"""The built-in UI on a REAL ``phalanx serve`` process, driven by Chromium.

Sign up, change settings, sign out, fail and succeed to sign in, revoke another device's
session — all with JavaScript disabled, as the pages must work without it — then audit the
real pages with axe-core. Skips while the public app does not mount ``/ui`` yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.server import PhalanxServer, ServerFactory
from tests.web.browser import artifact_path, axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

EMAIL = "ada@example.org"
#: Created through the admin API by the ``server`` fixture (the sign-up test makes EMAIL).
GRACE = "grace@example.org"
PASSWORD = "correct horse battery staple 1"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148 Safari/604.1"


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory) -> PhalanxServer:
    srv = module_server_factory.start(
        config={
            "selfservice": {
                "default_browser_return_url": "/ui/welcome",
                "flows": {
                    "registration": {"after": {"password": {"hooks": [{"hook": "session"}]}}}
                },
                "methods": {"password": {"config": {"haveibeenpwned_enabled": False}}},
            }
        }
    )
    if httpx.get(f"{srv.public_url}/ui/static/style.css").status_code == 404:
        pytest.skip("the public app does not mount the built-in UI (/ui) yet")
    created = httpx.post(
        f"{srv.admin_url}/admin/identities",
        json={
            "schema_id": "default",
            "traits": {"email": GRACE},
            "credentials": {"password": {"config": {"password": PASSWORD}}},
        },
    )
    assert created.status_code == 201, created.text
    return srv


@pytest.fixture
def browser_page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.console_errors = errors
    try:
        yield page
    finally:
        context.close()


def sign_in(page: Any, base: str, email: str = GRACE, password: str = PASSWORD) -> None:
    page.goto(f"{base}/ui/login")
    page.fill("input[name=identifier]", email)
    page.fill("input[name=password]", password)
    page.click("button[name=method][value=password]")
    page.wait_for_load_state()


def test_sign_up_settings_sign_out_sign_in(server: PhalanxServer, browser_page: Any) -> None:
    page, base = browser_page, server.public_url
    page.goto(f"{base}/ui/registration")
    assert urlsplit(page.url).path == "/ui/registration" and "flow=" in page.url
    page.fill("input[name='traits.email']", EMAIL)
    page.click("button[name=method][value=profile]")  # two-step sign-up: traits first
    page.wait_for_load_state()
    assert page.locator("input[name='traits.email']").first.get_attribute("type") == "hidden"
    page.fill("input[name=password]", PASSWORD)
    page.click("button[name=method][value=password]")
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/ui/welcome"
    assert EMAIL in page.inner_text("p.lead")

    page.click("text=Account settings")
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/ui/settings"
    page.fill("#form-password input[name=password]", "short")
    page.click("#form-password button[name=method]")
    page.wait_for_load_state()
    password = page.locator("#form-password input[name=password]")
    assert password.get_attribute("aria-invalid") == "true"
    message = page.locator(f"#{password.get_attribute('aria-describedby')}")
    assert "at least 8 characters" in message.inner_text()
    page.screenshot(path=artifact_path("e2e-settings-error.png"), full_page=True)

    page.click("text=Sign out")
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/ui/login"
    sign_in(page, base, EMAIL, password="not the password")
    assert urlsplit(page.url).path == "/ui/login"
    assert "credentials are invalid" in page.inner_text("[role=alert]")
    assert page.input_value("input[name=identifier]") == EMAIL
    sign_in(page, base, EMAIL)
    assert urlsplit(page.url).path == "/ui/welcome"
    assert page.console_errors == []


def test_revoke_another_device(server: PhalanxServer, chromium: Any, browser_page: Any) -> None:
    base = server.public_url
    sign_in(browser_page, base)
    phone = chromium.new_context(java_script_enabled=False, user_agent=IPHONE)
    try:
        other = phone.new_page()
        sign_in(other, base)
        assert urlsplit(other.url).path == "/ui/welcome"
        browser_page.goto(f"{base}/ui/welcome")
        row = browser_page.locator("li.session", has_text="iOS")
        row.locator("button").click()
        browser_page.wait_for_load_state()
        assert "signed out" in browser_page.inner_text("[role=status]")
        assert browser_page.locator("li.session", has_text="iOS").count() == 0
        other.goto(f"{base}/ui/welcome")
        assert urlsplit(other.url).path == "/ui/login"
    finally:
        phone.close()
    forged = browser_page.context.request.post(
        f"{base}/ui/sessions/revoke", form={"revoke": "others"}, max_redirects=0
    )
    assert forged.status == 403


@pytest.mark.parametrize("path", ["/ui/login", "/ui/registration", "/ui/settings", "/ui/welcome"])
def test_real_pages_pass_axe(
    server: PhalanxServer, chromium: Any, axe_source: str, path: str
) -> None:
    context = chromium.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        if path in ("/ui/settings", "/ui/welcome"):
            sign_in(page, server.public_url)
        page.goto(f"{server.public_url}{path}")
        assert urlsplit(page.url).path == path
        assert axe_violations(page, axe_source) == []
    finally:
        context.close()
