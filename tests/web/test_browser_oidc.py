"""Social sign-in in the built-in UI, in Chromium, against the REAL test OpenID provider
(django-oauth-toolkit in its own process): sign up with the provider, sign out, sign in with
it, add a password in the settings, unlink the provider. Every Phalanx page on the way is
audited with axe-core like the other journeys."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.oidc import OidcProvider, provider_config
from tests.support.server import PhalanxServer, ServerFactory
from tests.web.browser import artifact_path, axe_violations, preload_axe

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

NEW_PASSWORD = "a brand new horse battery staple 9"


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory, oidc_provider: OidcProvider) -> PhalanxServer:
    providers = [provider_config(oidc_provider, "dot", label="Test Provider")]
    return module_server_factory.start(
        config={
            "selfservice": {
                "default_browser_return_url": "/ui/welcome",
                "flows": {
                    "registration": {"after": {"oidc": {"hooks": [{"hook": "session"}]}}},
                },
                "methods": {
                    "password": {"enabled": True, "config": {"haveibeenpwned_enabled": False}},
                    "oidc": {"enabled": True, "config": {"providers": providers}},
                },
            },
        },
    )


@pytest.fixture
def page(chromium: Any, axe_source: str) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    preload_axe(context, axe_source)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def audit(page: Any, axe: str, label: str) -> None:
    assert urlsplit(page.url).path.startswith("/ui/"), page.url
    violations = axe_violations(page, axe)
    assert violations == [], f"{label}: {violations}"


def press(page: Any, selector: str) -> None:
    page.click(selector)
    page.wait_for_load_state()


def provider_sign_in(page: Any, username: str, password: str) -> None:
    """The provider's own login form (only the first time: it remembers the browser)."""
    assert urlsplit(page.url).hostname == "localhost", page.url
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    press(page, "button[type=submit]")


def test_sign_up_sign_in_and_unlink_with_the_provider(
    server: PhalanxServer, oidc_provider: OidcProvider, page: Any, axe_source: str
) -> None:
    base = server.public_url
    user = oidc_provider.users["alice"]

    page.goto(f"{base}/ui/registration")
    button = page.locator("button[name=provider][value=dot]")
    assert button.inner_text().strip() == "Sign up with Test Provider"
    audit(page, axe_source, "registration with a provider button")
    press(page, "button[name=provider][value=dot]")
    provider_sign_in(page, user.username, user.password)
    assert urlsplit(page.url).path == "/ui/welcome", page.inner_text("main")
    assert user.email in page.inner_text("main")

    page.get_by_role("link", name="Sign out").click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/ui/login"
    login_button = page.locator("button[name=provider][value=dot]")
    assert login_button.inner_text().strip() == "Sign in with Test Provider"
    audit(page, axe_source, "login with a provider button")
    press(page, "button[name=provider][value=dot]")  # the provider remembers alice
    assert urlsplit(page.url).path == "/ui/welcome", page.url

    page.get_by_role("link", name="Account settings").click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/ui/settings"
    # The only first factor is the provider: no unlink button yet.
    assert page.locator("button[name=unlink]").count() == 0
    audit(page, axe_source, "settings, provider only")
    page.fill("#form-password input[name=password]", NEW_PASSWORD)
    press(page, "#form-password button[name=method][value=password]")
    assert page.locator("[data-message-id='1050001']").count() == 1
    unlink = page.locator("button[name=unlink][value=dot]")
    assert unlink.inner_text().strip() == "Unlink Test Provider"
    audit(page, axe_source, "settings with an unlink button")
    press(page, "button[name=unlink][value=dot]")
    assert page.locator("[data-message-id='1050001']").count() == 1
    assert page.locator("button[name=unlink]").count() == 0
    assert page.locator("button[name=link][value=dot]").inner_text().strip() == "Link Test Provider"
    audit(page, axe_source, "settings after unlinking")
    page.screenshot(path=artifact_path("journey-oidc.png"), full_page=True)
