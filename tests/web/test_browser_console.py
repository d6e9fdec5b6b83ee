"""An operator's journeys through the admin console in Chromium, on a REAL ``phalanx serve``.

The console runs with a console login (``phalanx.admin_ui.auth``), so every journey signs
in first. Every console page a journey lands on is audited: axe-core (every impact, the
real CSP enforced; axe is preloaded as an init script) finds nothing and the page does not
scroll sideways at 320 px. One journey runs with JavaScript off: the console needs none
(its CSP allows no script at all). The person whose account is managed uses the API (and,
for the recovery link, a browser of their own).
"""

from __future__ import annotations

import base64
import re
import secrets
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from phalanx.hash import Argon2Hasher
from tests.support.identities import unique_email
from tests.support.server import PhalanxServer, ServerFactory
from tests.web.browser import axe_violations, horizontal_overflow, preload_axe

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

ADMIN = "operator"
ADMIN_PASSWORD = "console password 0123456789"
PASSWORD = "correct horse battery staple 1"
ALL_IMPACTS = ("minor", "moderate", "serious", "critical")
#: Console pages the journeys must have audited (path patterns under /admin/ui/).
PAGES = {
    "message",
    "denied",
    "missing",
    "login",
    "identities",
    "identity",
    "edit",
    "new",
    "delete",
    "sessions",
    "courier",
    "audit",
}
_KINDS = [
    (re.compile(r"^identities/[0-9a-f-]{36}/edit$"), "edit"),
    (re.compile(r"^identities/[0-9a-f-]{36}/delete$"), "delete"),
    (re.compile(r"^identities/[0-9a-f-]{36}/sessions$"), "sessions"),
    (re.compile(r"^identities/[0-9a-f-]{36}(/recovery|/credentials)?$"), "identity"),
    (re.compile(r"^identities/new$"), "new"),
    (re.compile(r"^courier(/[0-9a-f-]{36})?$"), "courier"),
]


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory) -> PhalanxServer:
    hashed = Argon2Hasher(memory_kib=1024, iterations=1, parallelism=1).hash(ADMIN_PASSWORD)
    return module_server_factory.start(
        config={
            "phalanx": {"admin_ui": {"auth": [{"username": ADMIN, "password_hash": hashed}]}},
            "selfservice": {
                "methods": {
                    "password": {"config": {"haveibeenpwned_enabled": False}},
                    "link": {"enabled": True},
                    "totp": {"enabled": True},
                },
                "flows": {
                    "recovery": {"enabled": True, "use": "link"},
                    "settings": {"privileged_session_max_age": "15m"},
                },
            },
        }
    )


class Audited:
    """Every console page kind the journeys audited."""

    seen: set[str] = set()


def audit(page: Any, axe: str) -> None:
    path = urlsplit(page.url).path.removeprefix("/admin/ui/")
    kind = next((k for pattern, k in _KINDS if pattern.match(path)), path)
    violations = axe_violations(page, axe, ALL_IMPACTS)
    assert violations == [], f"{page.url}: {violations}"
    overflow = horizontal_overflow(page, 320)
    assert overflow <= 0, f"{page.url} scrolls {overflow}px sideways at 320px"
    Audited.seen.add(kind)


def sign_in(context: Any, server: PhalanxServer, axe: str | None) -> Any:
    page = context.new_page()
    page.goto(f"{server.admin_url}/admin/ui/")
    assert urlsplit(page.url).path == "/admin/ui/login"
    if axe is not None:
        audit(page, axe)
    page.fill("#username", ADMIN)
    page.fill("#password", ADMIN_PASSWORD)
    go(page, "button[type=submit]")
    assert urlsplit(page.url).path == "/admin/ui/identities"
    return page


@pytest.fixture
def operator(chromium: Any, axe_source: str, server: PhalanxServer) -> Iterator[Any]:
    """A signed-in console user. The pages run no script (``script-src 'none'``); axe is
    preloaded as an init script, which the CSP does not apply to."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    preload_axe(context, axe_source)
    try:
        page = sign_in(context, server, axe_source)
        errors: list[str] = []
        page.on(
            "console",
            lambda m: (
                errors.append(m.text)
                if m.type == "error" and "Failed to load resource" not in m.text
                else None
            ),
        )
        page.on(
            "response",
            lambda r: (
                errors.append(f"{r.status} {r.url}")
                if r.status >= 400 and r.request.resource_type != "document"
                else None
            ),
        )
        yield page
        assert errors == [], errors  # no CSP violation, no failed asset (pages may be 4xx)
    finally:
        context.close()


def go(page: Any, selector: str) -> None:
    page.click(selector)
    page.wait_for_load_state()


def _create(server: PhalanxServer, email: str, **credentials: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"schema_id": "default", "traits": {"email": email}}
    body["credentials"] = {"password": {"config": {"password": PASSWORD}}, **credentials}
    r = httpx.post(f"{server.admin_url}/admin/identities", json=body, timeout=10)
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


def _api_login(server: PhalanxServer, email: str) -> str:
    flow = httpx.get(f"{server.public_url}/self-service/login/api", timeout=10).json()
    r = httpx.post(
        f"{server.public_url}/self-service/login?flow={flow['id']}",
        json={"method": "password", "identifier": email, "password": PASSWORD},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    token: str = r.json()["session_token"]
    return token


def _whoami(server: PhalanxServer, token: str) -> int:
    r = httpx.get(
        f"{server.public_url}/sessions/whoami", headers={"X-Session-Token": token}, timeout=10
    )
    return r.status_code


def _admin(server: PhalanxServer, identity_id: str) -> httpx.Response:
    return httpx.get(f"{server.admin_url}/admin/identities/{identity_id}", timeout=10)


def find(page: Any, axe: str, email: str) -> None:
    """Search the identity list by e-mail (exact) and open the one result."""
    page.goto(page.url.split("/admin/ui/")[0] + "/admin/ui/identities")
    page.fill("#q", email)
    page.select_option("#match", "exact")
    go(page, "form[role=search] button[type=submit]")
    audit(page, axe)
    links = page.locator("table.listing a")
    assert links.count() == 1
    go(page, "table.listing a")
    assert page.locator("h1").inner_text() == email
    audit(page, axe)


def test_find_edit_and_delete(operator: Any, axe_source: str, server: PhalanxServer) -> None:
    email = unique_email("edit")
    created = _create(server, email)
    find(operator, axe_source, email)
    go(operator, "a:has-text('Edit')")
    audit(operator, axe_source)
    changed = unique_email("changed")
    operator.fill("input[name='traits.email']", changed)
    operator.fill("#metadata_public", '{"plan": "team"}')
    go(operator, "form.identity-form button[type=submit]")
    assert "The identity was saved." in operator.inner_text("main")
    stored = _admin(server, created["id"]).json()
    assert stored["traits"]["email"] == changed
    assert stored["metadata_public"] == {"plan": "team"}
    go(operator, "a:has-text('Delete identity')")
    audit(operator, axe_source)
    go(operator, "button:has-text('Delete for good')")
    assert "The identity was deleted." in operator.inner_text("main")
    assert _admin(server, created["id"]).status_code == 404


def test_revoke_a_session(operator: Any, axe_source: str, server: PhalanxServer) -> None:
    email = unique_email("session")
    _create(server, email)
    token = _api_login(server, email)
    other = _api_login(server, email)
    assert _whoami(server, token) == 200
    find(operator, axe_source, email)
    go(operator, "a:has-text('Sessions')")
    sessions = operator.locator("li.session")
    assert sessions.count() == 2
    assert "aal1" in sessions.first.inner_text() and "password" in sessions.first.inner_text()
    audit(operator, axe_source)
    whoami = httpx.get(
        f"{server.public_url}/sessions/whoami", headers={"X-Session-Token": token}, timeout=10
    ).json()
    row = operator.locator(f"li.session[data-session='{whoami['id']}']")
    row.locator("button:has-text('Extend')").click()
    operator.wait_for_load_state()
    assert "The session was extended." in operator.inner_text("main")
    row = operator.locator(f"li.session[data-session='{whoami['id']}']")
    row.locator("button:has-text('Revoke')").click()
    operator.wait_for_load_state()
    assert "The session was revoked." in operator.inner_text("main")
    assert _whoami(server, token) == 401
    assert _whoami(server, other) == 200
    go(operator, "button:has-text('Revoke all sessions')")
    assert _whoami(server, other) == 401


def test_delete_a_second_factor(operator: Any, axe_source: str, server: PhalanxServer) -> None:
    email = unique_email("totp")
    totp_url = f"otpauth://totp/Phalanx:{email}?secret=JBSWY3DPEHPK3PXP&issuer=Phalanx"
    created = _create(server, email, totp={"config": {"totp_url": totp_url}})
    assert "totp" in _admin(server, created["id"]).json()["credentials"]
    find(operator, axe_source, email)
    card = operator.locator(".credential[data-type='totp']")
    assert "second factor" in card.inner_text()
    assert "JBSWY3DPEHPK3PXP" not in operator.content()
    card.locator("button").click()
    operator.wait_for_load_state()
    assert "The credential was deleted." in operator.inner_text("main")
    assert "totp" not in _admin(server, created["id"]).json()["credentials"]
    audit(operator, axe_source)


def test_issue_a_recovery_link_and_use_it(
    operator: Any, chromium: Any, axe_source: str, server: PhalanxServer
) -> None:
    email = unique_email("recover")
    created = _create(server, email)
    find(operator, axe_source, email)
    go(operator, "button:has-text('Issue recovery link')")
    link = operator.inner_text("#recovery-link")
    assert link.startswith(f"{server.public_url}/self-service/recovery?flow=")
    audit(operator, axe_source)
    # Shown once: the identity page does not show it again.
    operator.goto(f"{server.admin_url}/admin/ui/identities/{created['id']}")
    assert link not in operator.content()
    # The person opens the link in their own browser and lands in settings, signed in.
    person = chromium.new_context()
    try:
        page = person.new_page()
        page.goto(link)
        assert urlsplit(page.url).path == "/ui/settings"
        whoami = page.request.get(f"{server.public_url}/sessions/whoami")
        assert whoami.status == 200
        assert whoami.json()["identity"]["id"] == created["id"]
    finally:
        person.close()
    # The recovery was recorded in the audit log; the console shows it for the identity.
    operator.goto(f"{server.admin_url}/admin/ui/audit?identity={created['id']}")
    audit(operator, axe_source)


def test_create_from_the_schema_form(operator: Any, axe_source: str, server: PhalanxServer) -> None:
    operator.goto(f"{server.admin_url}/admin/ui/identities/new")
    audit(operator, axe_source)
    email = unique_email("created")
    operator.fill("input[name='traits.email']", email)
    go(operator, "form.identity-form button[type=submit]")
    assert "The identity was created." in operator.inner_text("main")
    assert operator.locator("h1").inner_text() == email
    # A message in the queue: the person asks for a recovery link (no courier worker runs).
    flow = httpx.get(f"{server.public_url}/self-service/recovery/api", timeout=10).json()
    sent = httpx.post(
        f"{server.public_url}/self-service/recovery?flow={flow['id']}",
        json={"method": "link", "email": email},
        timeout=10,
    )
    assert sent.status_code == 200, sent.text
    operator.goto(f"{server.admin_url}/admin/ui/courier?recipient={email}")
    audit(operator, axe_source)
    go(operator, "table.listing a")
    assert email in operator.inner_text("main") and "queued" in operator.inner_text("main")
    audit(operator, axe_source)
    Audited.seen.add("message")
    # What a forged or stale form gets: the CSRF page (the cookie's token changed).
    operator.goto(f"{server.admin_url}/admin/ui/identities/new")
    operator.context.add_cookies(
        [
            {
                "name": "phalanx_console_csrf",
                "value": base64.b64encode(secrets.token_bytes(32)).decode(),
                "url": f"{server.admin_url}/admin/ui",
            }
        ]
    )
    operator.fill("input[name='traits.email']", unique_email("forged"))
    go(operator, "form.identity-form button[type=submit]")
    assert "CSRF" in operator.inner_text("main")
    audit(operator, axe_source)
    Audited.seen.add("denied")
    operator.goto(f"{server.admin_url}/admin/ui/identities/{uuid.uuid4()}")
    assert "nothing here" in operator.inner_text("main")
    audit(operator, axe_source)
    Audited.seen.add("missing")


def test_works_without_javascript(chromium: Any, server: PhalanxServer) -> None:
    email = unique_email("nojs")
    created = _create(server, email)
    context = chromium.new_context(java_script_enabled=False)
    context.set_default_timeout(10_000)
    try:
        page = sign_in(context, server, None)
        page.fill("#q", email)
        go(page, "form[role=search] button[type=submit]")
        go(page, "table.listing a")
        go(page, "a:has-text('Edit')")
        page.select_option("#state", "inactive")
        go(page, "form.identity-form button[type=submit]")
        assert "The identity was saved." in page.inner_text("main")
    finally:
        context.close()
    assert _admin(server, created["id"]).json()["state"] == "inactive"


def test_every_console_page_was_audited() -> None:
    missing = PAGES - Audited.seen
    assert not missing, f"pages never audited: {sorted(missing)}"
