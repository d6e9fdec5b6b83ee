"""The README's first command, as a newcomer lives it (issue 9, item 15): ``phalanx serve
--dev --watch-courier`` with no SMTP server, sign up in the built-in UI, open the
development mailbox from the verification page, read the code there, verify -- no curl.
The mailbox page is audited with axe-core like every built-in page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.server import PhalanxServer, ServerFactory
from tests.web.browser import artifact_path, axe_violations, horizontal_overflow, preload_axe

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

EMAIL = "newcomer@example.org"
PASSWORD = "correct horse battery staple 9"


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(
        config={
            "courier": {"worker": {"pull_wait": "100ms"}},
            "selfservice": {
                "default_browser_return_url": "/ui/welcome",
                "flows": {
                    "registration": {
                        "after": {
                            "password": {
                                "hooks": [{"hook": "session"}, {"hook": "show_verification_ui"}]
                            }
                        }
                    },
                    "verification": {"enabled": True, "use": "code"},
                },
                "methods": {
                    "password": {"config": {"haveibeenpwned_enabled": False}},
                    "code": {"enabled": True},
                },
            },
        },
        args=("--watch-courier",),
    )


@pytest.fixture
def page(chromium: Any, axe_source: str) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    preload_axe(context, axe_source)
    try:
        yield context.new_page()
    finally:
        context.close()


def _audit(page: Any, axe: str) -> None:
    assert axe_violations(page, axe) == [], page.url
    assert horizontal_overflow(page, 320) <= 0, page.url


def test_sign_up_and_verify_through_the_dev_mailbox(
    server: PhalanxServer, page: Any, axe_source: str
) -> None:
    page.goto(f"{server.public_url}/ui/registration")
    page.fill("input[name='traits.email']", EMAIL)
    page.click("button[name=method][value=profile]")  # Kratos's two-step sign-up
    page.wait_for_load_state()
    page.fill("input[name=password]", PASSWORD)
    page.click("button[name=method][value=password]")
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/ui/verification"
    verification_url = page.url

    page.get_by_role("link", name="Open the development mailbox").click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/ui/mailbox"
    mail = page.locator("section.mail", has_text=EMAIL).first
    code = mail.locator(".mail-code").inner_text().strip()
    assert code.isdigit() and len(code) == 6
    assert mail.locator("h2").inner_text() == f"Use code {code} to verify your account"
    for _ in range(50):  # the courier marks it sent within a poll or two
        if mail.locator(".badge").inner_text() == "sent":
            break
        page.wait_for_timeout(100)
        page.reload()
    assert mail.locator(".badge").inner_text() == "sent"  # delivered to the dev mailbox
    assert mail.locator(".mail-links a").count() >= 1
    _audit(page, axe_source)
    page.screenshot(path=artifact_path("journey-dev-mailbox.png"), full_page=True)

    page.goto(verification_url)
    page.fill("input[name=code]", code)
    page.click("button[name=method][value=code]")
    page.wait_for_load_state()
    assert page.locator("main [data-message-id='1080002']").count() == 1  # verified
