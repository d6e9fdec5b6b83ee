"""Security keys and passkeys in a real browser: Debian Chromium (Playwright) with the
DevTools virtual authenticator (``WebAuthn.enable``, ``WebAuthn.addVirtualAuthenticator``
over a CDP session), against a real ``phalanx serve``.

The built-in UI pages run ``/.well-known/ory/webauthn.js`` and ``webauthn-ui.js`` under
their real Content-Security-Policy; the JSON API journey calls the browser's WebAuthn API
from a page script, as an SPA would, with the options the flow's nodes carry.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.identities import unique_email
from tests.support.server import PhalanxServer, ServerFactory, free_port

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory) -> PhalanxServer:
    port = free_port()
    origin = f"http://localhost:{port}"
    rp = {"id": "localhost", "display_name": "Phalanx", "origins": [origin]}
    session_hook = {"hooks": [{"hook": "session"}]}
    srv = module_server_factory.start(
        config={
            "serve": {"public": {"port": port, "base_url": f"{origin}/"}},
            "hashers": {"bcrypt": {"cost": 4}},
            "selfservice": {
                "default_browser_return_url": "/ui/welcome",
                "methods": {
                    "password": {"config": {"haveibeenpwned_enabled": False}},
                    "webauthn": {"enabled": True, "config": {"passwordless": True, "rp": rp}},
                    "passkey": {"enabled": True, "config": {"rp": rp}},
                },
                "flows": {
                    "registration": {"after": {"webauthn": session_hook, "passkey": session_hook}}
                },
            },
        }
    )
    srv.public_url = origin
    return srv


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A page (CSP enforced) with a virtual platform authenticator holding resident keys."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.errors = errors
    try:
        yield page
    finally:
        context.close()
    assert not errors, errors


def _at(page: Any, path: str) -> None:
    page.wait_for_url(lambda url: path in url)


def _whoami(page: Any) -> dict[str, Any]:
    r = page.request.get(f"{page.url.split('/ui/')[0]}/sessions/whoami")
    assert r.status == 200, r.text()
    body: dict[str, Any] = r.json()
    return body


def test_security_key_sign_up_sign_in_and_settings(server: PhalanxServer, page: Any) -> None:
    email = unique_email()
    page.goto(f"{server.public_url}/self-service/registration/browser")
    _at(page, "/ui/registration")
    page.fill('input[name="traits.email"]', email)
    page.fill('input[name="webauthn_register_displayname"]', "Virtual key")
    page.click('button[name="webauthn_register_trigger"]')
    _at(page, "/ui/welcome")
    methods = _whoami(page)["authentication_methods"]
    assert [m["method"] for m in methods] == ["webauthn"]

    # Settings: the key is listed; add a second one.
    page.goto(f"{server.public_url}/self-service/settings/browser")
    _at(page, "/ui/settings")
    assert page.locator('button[name="webauthn_remove"]').count() == 1
    page.fill('input[name="webauthn_register_displayname"]', "Second key")
    page.click('button[name="webauthn_register_trigger"]')
    page.wait_for_selector('[data-message-id="1050001"]')
    assert page.locator('button[name="webauthn_remove"]').count() == 2
    assert "Second key" in page.content()

    # Sign out (drop the cookies) and sign in with the identifier, then the key.
    page.context.clear_cookies()
    page.goto(f"{server.public_url}/self-service/login/browser")
    _at(page, "/ui/login")
    page.fill('input[name="identifier"]', email)
    page.click('button[name="method"][value="webauthn"]')
    page.wait_for_selector('button[name="webauthn_login_trigger"]')
    assert page.locator('[data-message-id="1010012"]').count() == 1
    page.click('button[name="webauthn_login_trigger"]')
    _at(page, "/ui/welcome")
    session = _whoami(page)
    assert session["identity"]["traits"]["email"] == email
    assert session["authenticator_assurance_level"] == "aal1"


def test_passkey_sign_up_and_sign_in(server: PhalanxServer, page: Any) -> None:
    email = unique_email()
    page.goto(f"{server.public_url}/self-service/registration/browser")
    _at(page, "/ui/registration")
    page.fill('input[name="traits.email"]', email)
    page.click('button[name="passkey_register_trigger"]')
    _at(page, "/ui/welcome")
    identity = _whoami(page)["identity"]
    admin = httpx.get(
        f"{server.admin_url}/admin/identities/{identity['id']}",
        params={"include_credential": "passkey"},
    ).json()
    (key,) = admin["credentials"]["passkey"]["config"]["credentials"]
    assert key["is_passwordless"] is True and key["flags"]["user_verified"] is True

    # The login page offers the passkey at once (conditional mediation, the onload
    # trigger); the virtual authenticator answers it, so the person is signed in.
    page.context.clear_cookies()
    page.goto(f"{server.public_url}/self-service/login/browser")
    _at(page, "/ui/welcome")
    methods = _whoami(page)["authentication_methods"]
    assert [(m["method"], m["aal"]) for m in methods] == [("passkey", "aal1")]

    # Without conditional mediation, the "Sign in with passkey" button does it.
    page.context.clear_cookies()
    page.context.add_init_script(
        "PublicKeyCredential.isConditionalMediationAvailable = async () => false;"
    )
    page.goto(f"{server.public_url}/self-service/login/browser")
    _at(page, "/ui/login")
    page.click('button[name="passkey_login_trigger"]')
    _at(page, "/ui/welcome")
    assert _whoami(page)["identity"]["id"] == identity["id"]


SPA_REGISTER = """
async ([email]) => {
  const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  const unb64 = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")),
    (c) => c.charCodeAt(0));
  const json = {headers: {Accept: "application/json"}, credentials: "include"};
  const flow = await (await fetch("/self-service/registration/browser", json)).json();
  const nodes = Object.fromEntries(flow.ui.nodes.map((n) => [n.attributes.name, n.attributes]));
  const options = JSON.parse(nodes.webauthn_register_trigger.value);
  options.publicKey.challenge = unb64(options.publicKey.challenge);
  options.publicKey.user.id = unb64(options.publicKey.user.id);
  const cred = await navigator.credentials.create(options);
  const body = {
    method: "webauthn", csrf_token: nodes.csrf_token.value, traits: {email},
    webauthn_register_displayname: "SPA key",
    webauthn_register: JSON.stringify({id: cred.id, rawId: b64(cred.rawId), type: cred.type,
      response: {attestationObject: b64(cred.response.attestationObject),
                 clientDataJSON: b64(cred.response.clientDataJSON)}}),
  };
  const r = await fetch(flow.ui.action, {method: "POST", credentials: "include",
    headers: {"Content-Type": "application/json", Accept: "application/json"},
    body: JSON.stringify(body)});
  return {status: r.status, body: await r.json()};
}
"""

SPA_LOGIN = """
async ([email]) => {
  const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  const unb64 = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")),
    (c) => c.charCodeAt(0));
  const headers = {"Content-Type": "application/json", Accept: "application/json"};
  const flow = await (await fetch("/self-service/login/browser",
    {headers: {Accept: "application/json"}, credentials: "include"})).json();
  const csrf = flow.ui.nodes.find((n) => n.attributes.name === "csrf_token").attributes.value;
  const first = await fetch(flow.ui.action, {method: "POST", credentials: "include", headers,
    body: JSON.stringify({method: "webauthn", identifier: email, csrf_token: csrf})});
  const relocate = await first.json();
  const again = await (await fetch("/self-service/login/flows?id=" + flow.id,
    {headers: {Accept: "application/json"}, credentials: "include"})).json();
  const trigger = again.ui.nodes.find((n) => n.attributes.name === "webauthn_login_trigger");
  const options = JSON.parse(trigger.attributes.value);
  options.publicKey.challenge = unb64(options.publicKey.challenge);
  options.publicKey.allowCredentials = options.publicKey.allowCredentials.map(
    (c) => ({...c, id: unb64(c.id)}));
  const cred = await navigator.credentials.get(options);
  const assertion = JSON.stringify({id: cred.id, rawId: b64(cred.rawId), type: cred.type,
    response: {authenticatorData: b64(cred.response.authenticatorData),
      clientDataJSON: b64(cred.response.clientDataJSON), signature: b64(cred.response.signature),
      userHandle: b64(cred.response.userHandle)}});
  const r = await fetch(again.ui.action, {method: "POST", credentials: "include", headers,
    body: JSON.stringify({identifier: email, webauthn_login: assertion, csrf_token: csrf})});
  return {relocate: [first.status, relocate.error.id], status: r.status, body: await r.json()};
}
"""


def test_json_api_flows_from_a_page_script(server: PhalanxServer, page: Any) -> None:
    email = unique_email()
    page.goto(f"{server.public_url}/ui/welcome")
    registered = page.evaluate(SPA_REGISTER, [email])
    assert registered["status"] == 200, registered
    assert registered["body"]["identity"]["traits"]["email"] == email
    page.context.clear_cookies()
    logged_in = page.evaluate(SPA_LOGIN, [email])
    assert logged_in["relocate"] == [422, "browser_location_change_required"]
    assert logged_in["status"] == 200, logged_in
    session = logged_in["body"]["session"]
    assert [m["method"] for m in session["authentication_methods"]] == ["webauthn"]
    assert session["identity"]["traits"]["email"] == email
