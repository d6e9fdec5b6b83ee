"""The built-in UI with one-time codes, identifier-first login and two-step registration,
in Chromium with JavaScript OFF, on a real ``phalanx serve`` mailing a real SMTP sink.

Journeys: sign up by code through every screen and both "Back" buttons; sign in by code
(identifier first, "Resend code", the new code); identifier-first sign-in by password.
The generic renderer draws all of it; the axe audits of the other journeys cover it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.server import PhalanxServer, ServerFactory
from tests.web.browser import artifact_path
from tests.web.mailbox import Mailbox

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

PASSWORD = "correct horse battery staple 9"


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with Mailbox.running() as sink:
        yield sink


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory, mailbox: Mailbox) -> PhalanxServer:
    return module_server_factory.start(
        config={
            "courier": {
                "smtp": {"connection_uri": mailbox.connection_uri},
                "worker": {"pull_wait": "100ms"},
            },
            "hashers": {"bcrypt": {"cost": 4}},
            "selfservice": {
                "default_browser_return_url": "/ui/welcome",
                "flows": {
                    "login": {"style": "identifier_first"},
                    "registration": {
                        "after": {
                            "code": {"hooks": [{"hook": "session"}]},
                            "password": {"hooks": [{"hook": "session"}]},
                        }
                    },
                },
                "methods": {
                    "password": {"config": {"haveibeenpwned_enabled": False}},
                    "code": {"passwordless_enabled": True},
                },
            },
        },
        args=("--watch-courier",),
    )


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def at(page: Any, path: str) -> None:
    assert urlsplit(page.url).path == path, f"expected {path}, got {page.url}"


def press(page: Any, selector: str) -> None:
    page.click(selector)
    page.wait_for_load_state()


def test_sign_up_by_code_with_both_back_buttons(
    server: PhalanxServer, page: Any, mailbox: Mailbox
) -> None:
    email = "lin@example.org"
    page.goto(f"{server.public_url}/ui/registration")
    at(page, "/ui/registration")
    page.fill("input[name='traits.email']", email)
    press(page, "button[name=method][value=profile]")
    # The credential screen: password, "Send sign up code", "Back".
    assert page.locator("input[name=password]").count() == 1
    press(page, "button[name=screen][value=previous]")
    assert page.input_value("input[name='traits.email']") == email  # back, e-mail kept
    press(page, "button[name=method][value=profile]")
    press(page, "button[name=method][value=code]")
    assert page.locator("input[name=code]").count() == 1
    first = mailbox.wait_for(email, subject="registration")
    # "Back" from the code screen: the credential choice again, nothing lost.
    press(page, "button[name=screen][value=credential-selection]")
    assert page.locator("input[name=code]").count() == 0
    sent = mailbox.count()
    press(page, "button[name=method][value=code]")
    mail = mailbox.wait_for(email, subject="registration", after=sent)
    del first  # replaced: a resend deletes the flow's previous codes
    page.fill("input[name=code]", mail.code)
    press(page, "button[name=method][value=code]")
    at(page, "/ui/welcome")
    assert email in page.inner_text("p.lead")
    page.screenshot(path=artifact_path("codes-sign-up.png"), full_page=True)


def test_identifier_first_sign_in_by_code_with_resend(
    server: PhalanxServer, page: Any, mailbox: Mailbox
) -> None:
    email = "mae@example.org"
    r = page.request.post(
        f"{server.admin_url}/admin/identities",
        data={"schema_id": "default", "traits": {"email": email}},
    )
    assert r.status == 201
    page.goto(f"{server.public_url}/ui/login")
    at(page, "/ui/login")
    assert page.locator("input[name=password]").count() == 0  # identifier first
    page.fill("input[name=identifier]", email)
    press(page, "button[name=method][value=identifier_first]")
    press(page, "button[name=method][value=code]")
    assert page.locator("input[name=code]").count() == 1
    mailbox.wait_for(email, subject="log in")
    sent = mailbox.count()
    press(page, "button[name=resend]")  # works with the code field still empty
    mail = mailbox.wait_for(email, subject="log in", after=sent)
    page.fill("input[name=code]", mail.code)
    press(page, "button[name=method][value=code]")
    at(page, "/ui/welcome")
    page.screenshot(path=artifact_path("codes-sign-in.png"), full_page=True)


def test_identifier_first_sign_in_by_password(
    server: PhalanxServer, page: Any, mailbox: Mailbox
) -> None:
    email = "ida@example.org"
    r = page.request.post(
        f"{server.admin_url}/admin/identities",
        data={
            "schema_id": "default",
            "traits": {"email": email},
            "credentials": {"password": {"config": {"password": PASSWORD}}},
        },
    )
    assert r.status == 201
    page.goto(f"{server.public_url}/ui/login")
    page.fill("input[name=identifier]", email)
    press(page, "button[name=method][value=identifier_first]")
    page.fill("input[name=password]", PASSWORD)
    press(page, "button[name=method][value=password]")
    at(page, "/ui/welcome")
