"""A person's journeys through the built-in UI, on a REAL ``phalanx serve`` with a REAL mailbox.

The server runs with ``--watch-courier`` and delivers over SMTP to an aiosmtpd sink this
module starts (:mod:`tests.web.mailbox`); codes are read out of the mails. No ``ui_url`` is
configured, so every page is Phalanx's own ``/ui/...``. Chromium is Debian's, driven by
Playwright; axe-core is preloaded into each context as an init script, so the pages' real
Content-Security-Policy stays enforced while they are audited.

Every page a journey lands on is audited (:class:`Inspector`): no serious or critical axe
violation, and no horizontal scrolling at 320 px. Each journey ends with a screenshot in
``test-artifacts/web/journey-*.png`` (``UI_TEST_PHONE_SHOTS=1`` adds a 320 px shot of every
audited page, ``phone-*.png``). ``UPDATE_SCREENSHOTS=1`` also refreshes the README's
``docs/screenshot-login.png`` from the real login page.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.paths import REPO
from tests.support.server import PhalanxServer, ServerFactory
from tests.web.browser import (
    artifact_path,
    axe_violations,
    horizontal_overflow,
    preload_axe,
)
from tests.web.mailbox import Mailbox

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

ADA = "ada@example.org"
#: Created through the admin API by the ``server`` fixture, for the journeys that need an
#: account but not the sign-up.
GRACE = "grace@example.org"
PASSWORD = "correct horse battery staple 1"
CHANGED = "a different horse, battery staple 2"
RECOVERED = "recovered horse battery staple 3"
#: ``selfservice.flows.settings.privileged_session_max_age`` in seconds.
PRIVILEGED = 3.0
#: The page kinds the journeys must have audited, by the path under ``/ui/``.
PAGES = {"login", "registration", "verification", "settings", "recovery", "error", "welcome"}
#: The journeys that audit pages (between them, every kind in PAGES).
AUDITING_JOURNEYS = {
    "test_account_lifecycle",
    "test_wrong_password_is_explained",
    "test_invalid_email_is_explained_at_the_field",
    "test_missing_csrf_cookie_ends_on_the_error_page",
}


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with Mailbox.running() as sink:
        yield sink


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory, mailbox: Mailbox) -> PhalanxServer:
    srv = module_server_factory.start(
        config={
            "courier": {
                "smtp": {"connection_uri": mailbox.connection_uri},
                "worker": {"pull_wait": "100ms"},
            },
            "hashers": {"bcrypt": {"cost": 4}},
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
                    "settings": {"privileged_session_max_age": f"{PRIVILEGED:g}s"},
                    "recovery": {"enabled": True, "use": "code"},
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


@dataclass
class Inspector:
    """Audits the page a journey is on and remembers which page kinds it saw."""

    axe: str
    audited: dict[str, list[str]] = field(default_factory=dict)

    def check(self, page: Any, label: str) -> None:
        path = urlsplit(page.url).path
        assert path.startswith("/ui/"), f"{label}: not a built-in page: {page.url}"
        violations = axe_violations(page, self.axe)
        assert violations == [], f"{label} ({page.url}): {violations}"
        overflow = horizontal_overflow(page, 320)
        assert overflow <= 0, f"{label} ({page.url}) scrolls {overflow}px sideways at 320px"
        self.audited.setdefault(path.removeprefix("/ui/"), []).append(label)
        if os.environ.get("UI_TEST_PHONE_SHOTS") == "1":
            slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
            page.set_viewport_size({"width": 320, "height": 640})
            page.screenshot(path=artifact_path(f"phone-{slug}.png"), full_page=True)
            page.set_viewport_size({"width": 1280, "height": 900})


@pytest.fixture(scope="module")
def inspector(axe_source: str) -> Inspector:
    return Inspector(axe_source)


def _new_page(browser: Any, axe: str | None = None, **options: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    context.set_default_timeout(10_000)
    if axe is not None:
        preload_axe(context, axe)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.console_errors = errors
    return page


@pytest.fixture
def person(chromium: Any, inspector: Inspector) -> Iterator[Any]:
    """A page in a fresh browser context (JavaScript on, CSP enforced, axe preloaded)."""
    page = _new_page(chromium, inspector.axe)
    try:
        yield page
    finally:
        page.context.close()


@pytest.fixture
def person_without_js(chromium: Any) -> Iterator[Any]:
    page = _new_page(chromium, java_script_enabled=False)
    try:
        yield page
    finally:
        page.context.close()


# -- steps ---------------------------------------------------------------------------------


def at(page: Any, path: str) -> str | None:
    """Assert the page is ``path``; its ``?flow=`` id, if any."""
    parts = urlsplit(page.url)
    assert parts.path == path, f"expected {path}, got {page.url}"
    flow = parse_qs(parts.query).get("flow")
    return flow[0] if flow else None


def press(page: Any, selector: str) -> None:
    """Click a button or link that navigates, and wait for the next page."""
    page.click(selector)
    page.wait_for_load_state()


#: The announcement right before the flow's form (flow-level messages, read out at once).
NEXT_TO_FORM = "main > [role=alert]:has(+ form)"


def message(page: Any, ident: int, within: str = "main") -> str:
    """The visible text of the UI message ``ident`` inside ``within``."""
    found = page.locator(f"{within} [data-message-id='{ident}']")
    assert found.count() == 1, f"message {ident} not shown on {page.url}"
    text: str = found.inner_text()
    return text


def sign_in(page: Any, email: str, password: str) -> None:
    """Fill the login form the page shows and submit it with the password method."""
    page.fill("input[name=identifier]", email)
    page.fill("input[name=password]", password)
    press(page, "button[name=method][value=password]")


def register(page: Any, email: str, password: str) -> None:
    """Kratos's default two-step sign-up: the traits ("Sign up", ``method=profile``), then
    the password on the credential screen (skipped when the traits were refused)."""
    page.fill("input[name='traits.email']", email)
    press(page, "button[name=method][value=profile]")
    if page.locator("input[name=password]").count() == 0:
        return
    page.fill("input[name=password]", password)
    press(page, "button[name=method][value=password]")


def finish(page: Any, name: str) -> None:
    """The journey's last page, kept as ``test-artifacts/web/journey-<name>.png``."""
    page.screenshot(path=artifact_path(f"journey-{name}.png"), full_page=True)
    assert page.console_errors == [], page.console_errors


# -- journeys ------------------------------------------------------------------------------


def test_account_lifecycle(
    server: PhalanxServer, mailbox: Mailbox, inspector: Inspector, person: Any
) -> None:
    """Sign up, verify by mailed code, sign out and in, edit the profile, change the
    password after the privileged session expired, recover by mailed code, sign in."""
    page, base = person, server.public_url

    # Sign up; the verification code goes out at once.
    page.goto(f"{base}/ui/registration")
    at(page, "/ui/registration")
    inspector.check(page, "registration")
    register(page, ADA, PASSWORD)
    at(page, "/ui/verification")
    message(page, 1080003)  # "An email containing a verification code has been sent ..."
    inspector.check(page, "verification: code sent")
    mailbox.wait_for(ADA, subject="verify")
    # "Resend code" works with the code field still empty; only the new code is valid.
    sent = mailbox.count()
    press(page, "button[name=email]")
    at(page, "/ui/verification")
    message(page, 1080003)
    mail = mailbox.wait_for(ADA, subject="verify", after=sent)
    page.fill("input[name=code]", mail.code)
    press(page, "button[name=method][value=code]")
    assert "successfully verified" in message(page, 1080002)
    inspector.check(page, "verification: passed")
    page.get_by_role("link", name="Continue").click()
    page.wait_for_load_state()
    at(page, "/ui/welcome")
    assert ADA in page.inner_text("p.lead")
    assert page.locator(".badge-ok", has_text="verified").count() == 1
    inspector.check(page, "welcome")

    # Sign out, sign back in.
    page.get_by_role("link", name="Sign out").click()
    page.wait_for_load_state()
    at(page, "/ui/login")
    inspector.check(page, "login")
    sign_in(page, ADA, PASSWORD)
    signed_in = time.monotonic()
    at(page, "/ui/welcome")

    # Change the name while the session is still privileged.
    page.get_by_role("link", name="Account settings").click()
    page.wait_for_load_state()
    at(page, "/ui/settings")
    page.fill("input[name='traits.name.first']", "Ada")
    page.fill("input[name='traits.name.last']", "Lovelace")
    press(page, "button[name=method][value=profile]")
    assert time.monotonic() - signed_in < PRIVILEGED, "too slow to stay privileged"
    settings_flow = at(page, "/ui/settings")
    message(page, 1050001)  # "Your changes have been saved!"
    assert page.input_value("input[name='traits.name.first']") == "Ada"
    inspector.check(page, "settings: profile saved")

    # Change the password once the session is no longer privileged: confirm it's you first,
    # then land back in the same settings flow with the change made.
    time.sleep(max(0.0, signed_in + PRIVILEGED + 0.5 - time.monotonic()))
    page.fill("#form-password input[name=password]", CHANGED)
    press(page, "#form-password button[name=method][value=password]")
    at(page, "/ui/login")
    assert page.inner_text("h1") == "Confirm it's you"
    message(page, 1010003)  # "Please confirm this action by verifying that it is you."
    inspector.check(page, "login: refresh")
    page.fill("input[name=password]", PASSWORD)
    press(page, "button[name=method][value=password]")
    assert at(page, "/ui/settings") == settings_flow
    message(page, 1050001)
    inspector.check(page, "settings: password saved after refresh")

    # Signed out, the old password no longer works; recover the account by mailed code.
    page.get_by_role("link", name="Sign out").click()
    page.wait_for_load_state()
    at(page, "/ui/login")
    sign_in(page, ADA, PASSWORD)
    at(page, "/ui/login")
    message(page, 4000006, within=NEXT_TO_FORM)
    page.get_by_role("link", name="Forgot your password?").click()
    page.wait_for_load_state()
    at(page, "/ui/recovery")
    inspector.check(page, "recovery")
    sent = mailbox.count()
    page.fill("input[name=email]", ADA)
    press(page, "button[name=method][value=code]")
    at(page, "/ui/recovery")
    message(page, 1060003)  # "An email containing a recovery code has been sent ..."
    inspector.check(page, "recovery: code sent")
    mail = mailbox.wait_for(ADA, subject="recover", after=sent)
    page.fill("input[name=code]", mail.code)
    press(page, "button[name=method][value=code]")
    # The recovery session is privileged for PRIVILEGED seconds: set the password now.
    at(page, "/ui/settings")
    assert "successfully recovered" in message(page, 1060001)
    page.fill("#form-password input[name=password]", RECOVERED)
    press(page, "#form-password button[name=method][value=password]")
    at(page, "/ui/settings")
    message(page, 1050001)
    inspector.check(page, "settings: password set after recovery")

    # Sign in with the new password.
    page.get_by_role("link", name="Sign out").click()
    page.wait_for_load_state()
    sign_in(page, ADA, RECOVERED)
    at(page, "/ui/welcome")
    account = page.inner_text("section[aria-labelledby=account-title]")
    assert "Ada" in account and "Lovelace" in account
    inspector.check(page, "welcome: after recovery")
    finish(page, "account-lifecycle")


def test_sign_in_without_javascript(server: PhalanxServer, person_without_js: Any) -> None:
    """A wrong password is explained in the form; the right one signs in. No script runs."""
    page, base = person_without_js, server.public_url
    page.goto(f"{base}/ui/login")
    at(page, "/ui/login")
    assert page.get_attribute("form", "method") == "post"
    sign_in(page, GRACE, "not the password")
    at(page, "/ui/login")
    assert "credentials are invalid" in message(page, 4000006, within=NEXT_TO_FORM)
    assert page.input_value("input[name=identifier]") == GRACE
    sign_in(page, GRACE, PASSWORD)
    at(page, "/ui/welcome")
    assert GRACE in page.inner_text("p.lead")
    page.get_by_role("link", name="Sign out").click()
    page.wait_for_load_state()
    at(page, "/ui/login")
    finish(page, "sign-in-without-javascript")


def test_wrong_password_is_explained(
    server: PhalanxServer, inspector: Inspector, person: Any
) -> None:
    page = person
    page.goto(f"{server.public_url}/ui/login")
    sign_in(page, GRACE, "not the password")
    at(page, "/ui/login")
    assert "credentials are invalid" in message(page, 4000006, within=NEXT_TO_FORM)
    inspector.check(page, "login: wrong password")
    finish(page, "wrong-password")


def test_invalid_email_is_explained_at_the_field(
    server: PhalanxServer, inspector: Inspector, person: Any
) -> None:
    """An address the browser accepts (``type=email``) but the schema's format refuses."""
    page = person
    page.goto(f"{server.public_url}/ui/registration")
    register(page, "ada..lovelace@example.org", PASSWORD)
    at(page, "/ui/registration")
    email = page.locator("input[name='traits.email']")
    assert email.get_attribute("aria-invalid") == "true"
    assert email.input_value() == "ada..lovelace@example.org"
    described = page.locator(f"#{email.get_attribute('aria-describedby')}")
    assert 'is not valid "email"' in described.inner_text()
    field_box = page.locator(".field", has=email)
    assert field_box.locator("[data-message-id='4000001']").count() == 1
    assert page.evaluate("() => document.activeElement.name") == "traits.email"
    inspector.check(page, "registration: invalid email")
    finish(page, "invalid-email")


def test_missing_csrf_cookie_ends_on_the_error_page(
    server: PhalanxServer, inspector: Inspector, person: Any
) -> None:
    page = person
    page.goto(f"{server.public_url}/ui/login")
    page.fill("input[name=identifier]", GRACE)
    page.fill("input[name=password]", PASSWORD)
    page.context.clear_cookies()
    press(page, "button[name=method][value=password]")
    at(page, "/ui/error")
    alert = page.inner_text("[role=alert]")
    assert "Cross-Site-Request-Forgery" in alert
    assert "security_csrf_violation" in page.inner_text("main")
    inspector.check(page, "error: csrf")
    finish(page, "missing-csrf-cookie")


def test_login_screenshot_for_the_readme(server: PhalanxServer, chromium: Any) -> None:
    """The README's picture is the real server's login page with the default branding."""
    page = _new_page(chromium)
    try:
        page.set_viewport_size({"width": 880, "height": 660})
        page.goto(f"{server.public_url}/ui/login")
        at(page, "/ui/login")
        shot = artifact_path("screenshot-login.png")
        page.screenshot(path=shot, full_page=True)
        assert shot.stat().st_size > 5_000
        if os.environ.get("UPDATE_SCREENSHOTS") == "1":
            target = REPO / "docs" / "screenshot-login.png"
            target.parent.mkdir(exist_ok=True)
            shutil.copyfile(shot, target)
    finally:
        page.context.close()


def test_every_page_kind_was_audited(inspector: Inspector, request: pytest.FixtureRequest) -> None:
    """Runs last: the journeys above audited each kind of built-in page at least once."""
    selected = {item.name for item in request.session.items}
    if not AUDITING_JOURNEYS.issubset(selected):
        pytest.skip("only meaningful when every journey of this module runs")
    missing = PAGES - set(inspector.audited)
    assert not missing, f"never audited: {sorted(missing)} (audited: {inspector.audited})"
