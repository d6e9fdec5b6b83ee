"""Second factors in the built-in UI on a REAL ``phalanx serve``: link an authenticator app
from the settings page (QR image and secret shown) and sign in again through the aal2 step
with JavaScript disabled; create backup codes and sign in with one, auditing each page
with axe-core (preloaded, so the pages' CSP stays enforced)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pyotp
import pytest

from tests.support.mfa import fresh_window
from tests.support.server import PhalanxServer, ServerFactory
from tests.web.browser import artifact_path, axe_violations, preload_axe

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

PASSWORD = "correct horse battery staple 1"


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(
        config={
            "selfservice": {
                "default_browser_return_url": "/ui/welcome",
                "methods": {
                    "password": {"config": {"haveibeenpwned_enabled": False}},
                    "totp": {"enabled": True, "config": {"issuer": "Phalanx UI"}},
                    "lookup_secret": {"enabled": True},
                },
            }
        }
    )


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A page without JavaScript: the built-in UI works without it."""
    context = chromium.new_context(java_script_enabled=False)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def audited_page(chromium: Any, axe_source: str) -> Iterator[Any]:
    """A page with axe-core preloaded (JavaScript on, for axe only)."""
    context = chromium.new_context()
    context.set_default_timeout(10_000)
    preload_axe(context, axe_source)
    try:
        yield context.new_page()
    finally:
        context.close()


def _account(server: PhalanxServer, email: str) -> None:
    created = httpx.post(
        f"{server.admin_url}/admin/identities",
        json={
            "schema_id": "default",
            "traits": {"email": email},
            "credentials": {"password": {"config": {"password": PASSWORD}}},
        },
    )
    assert created.status_code == 201, created.text


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/ui/login")
    page.fill("input[name=identifier]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[name=method][value=password]")
    page.wait_for_load_state()


def _audit(page: Any, axe_source: str) -> None:
    serious = [
        v for v in axe_violations(page, axe_source) if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], serious


def test_authenticator_app(server: PhalanxServer, page: Any) -> None:
    base, email = server.public_url, "totp-ui@example.org"
    _account(server, email)
    _sign_in(page, base, email)
    page.goto(f"{base}/ui/settings")
    qr = page.locator("img[src^='data:image/png']")
    assert qr.count() == 1
    assert qr.get_attribute("src").startswith("data:image/png;base64,")
    assert qr.get_attribute("alt")
    found = re.search(r"\b[A-Z2-7]{32}\b", page.inner_text("main"))
    assert found is not None
    fresh_window()
    totp = pyotp.TOTP(found.group(0))
    page.fill("input[name=totp_code]", totp.at(time.time() - 30))
    page.click("button[name=method][value=totp]")
    page.wait_for_load_state()
    assert page.locator("button[name=totp_unlink]").count() == 1
    page.screenshot(path=artifact_path("mfa-settings-totp.png"), full_page=True)

    page.click("text=Sign out")
    page.wait_for_load_state()
    _sign_in(page, base, email)
    # The password alone is not enough: the browser lands on the second step.
    assert urlsplit(page.url).path == "/ui/login"
    assert page.locator("input[name=totp_code]").count() == 1
    assert page.locator("input[name=password]").count() == 0
    page.fill("input[name=totp_code]", "000000" if totp.now() != "000000" else "111111")
    page.click("button[name=method][value=totp]")
    page.wait_for_load_state()
    assert "authentication code is invalid" in page.inner_text("main")
    page.fill("input[name=totp_code]", totp.now())
    page.click("button[name=method][value=totp]")
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/ui/welcome"
    assert "aal2" in page.inner_text("main")
    page.screenshot(path=artifact_path("mfa-welcome-aal2.png"), full_page=True)


def test_backup_codes(server: PhalanxServer, audited_page: Any, axe_source: str) -> None:
    page = audited_page
    base, email = server.public_url, "lookup-ui@example.org"
    _account(server, email)
    _sign_in(page, base, email)
    page.goto(f"{base}/ui/settings")
    page.click("button[name=lookup_secret_regenerate]")
    page.wait_for_load_state()
    codes = page.locator("ul.codes code").all_inner_texts()
    assert len(codes) == 12 and all(re.fullmatch(r"[a-z0-9]{8}", c) for c in codes)
    _audit(page, axe_source)
    page.screenshot(path=artifact_path("mfa-settings-codes.png"), full_page=True)
    page.click("button[name=lookup_secret_confirm]")
    page.wait_for_load_state()
    assert page.locator("button[name=lookup_secret_reveal]").count() == 1
    page.click("text=Sign out")
    page.wait_for_load_state()
    _sign_in(page, base, email)
    assert urlsplit(page.url).path == "/ui/login"
    _audit(page, axe_source)
    page.fill("input[name=lookup_secret]", codes[0])
    page.click("button[name=method][value=lookup_secret]")
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/ui/welcome"
    _audit(page, axe_source)
