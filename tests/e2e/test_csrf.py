"""Anti-CSRF exactly as Kratos (ory/nosurf): cookie, masked tokens, 403s, rotation, and a
check of EVERY state-changing route of the public app, so a new one without CSRF fails."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

import httpx
import pytest
from starlette.routing import BaseRoute, Mount, Route

from phalanx.http.public import public_routes
from phalanx.testing import (
    PASSWORD,
    Browser,
    csrf_cookie_name,
    flows_config,
    node,
    query_of,
    set_cookies,
)
from phalanx.testing.sdk import frontend, register_api
from phalanx.web.routes import routes as ui_routes
from tests.support.api import error_of
from tests.support.identities import unique_email
from tests.support.openapi import checked
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

DOCS = "https://www.ory.sh/kratos/docs/debug/csrf"
MISMATCH = (
    "The HTTP Cookie Header was set and a CSRF token was sent but they do not match. We "
    "recommend deleting all cookies for this domain and retrying the flow."
)

#: State-changing routes Kratos deliberately leaves to session tokens (nosurf ignores them):
#: none of them is a flow a third-party page could drive with the user's cookies and gain
#: anything from (whoami reads; the others only revoke the caller's own sessions).
EXEMPT: dict[tuple[str, str], str] = {
    ("/sessions/whoami", "POST"): "read-only; Kratos ignores /sessions/whoami",
    ("/sessions/whoami", "PUT"): "read-only; Kratos ignores /sessions/whoami",
    ("/sessions/whoami", "PATCH"): "read-only; Kratos ignores /sessions/whoami",
    ("/sessions", "DELETE"): "revokes the caller's other sessions; Kratos ignores /sessions",
    ("/sessions/{id}", "DELETE"): "revokes one own session; Kratos ignores /sessions/*",
    ("/self-service/logout/api", "DELETE"): "needs the session token in the body",
    ("/self-service/methods/oidc/callback/{provider}", "POST"): (
        "Apple's form_post: only a 302 to the GET callback, which checks the sealed state and"
        " the continuity cookie; Kratos ignores /self-service/methods/oidc/callback/*"
    ),
}

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory) -> PhalanxServer:
    # every flow on, so that each flow's submit route can be probed
    flows = {"recovery": {"enabled": True}, "verification": {"enabled": True}}
    return module_server_factory.start(config=flows_config({"selfservice": {"flows": flows}}))


def _unmask(token: str) -> bytes:
    raw = base64.b64decode(token)
    if len(raw) == 64:
        return bytes(a ^ b for a, b in zip(raw[32:], raw[:32], strict=True))
    return raw


def test_cookie_name_value_and_attributes(server: PhalanxServer) -> None:
    base = server.config["serve"]["public"]["base_url"]
    expected = "csrf_token_" + hashlib.sha256(base.encode()).hexdigest()
    assert csrf_cookie_name(server.config["serve"]["public"]["base_url"]) == expected
    with Browser(server) as browser:
        r = browser.get("/self-service/login/browser")
        morsel = set_cookies(r)[expected][expected]
        assert len(base64.b64decode(morsel.value)) == 32 and len(morsel.value) == 44
        # The value goes out bare, as Go writes it (SimpleCookie used to quote base64).
        header = next(h for h in r.headers.get_list("set-cookie") if h.startswith(expected))
        assert header.startswith(f"{expected}={morsel.value}; ") and '"' not in header
        assert morsel["httponly"] is True
        assert morsel["samesite"] == "Lax"
        assert morsel["path"] == "/"
        assert morsel["max-age"] == "31536000"
        assert not morsel["secure"]  # --dev
        assert "Cookie" in r.headers.get_list("vary")
        flow_one = r.json()
        flow_two = browser.init("login")
        one = node(flow_one, "csrf_token")["attributes"]["value"]
        two = node(flow_two, "csrf_token")["attributes"]["value"]
        assert one != two  # a fresh mask each time
        real = base64.b64decode(browser.cookies[expected])
        assert _unmask(one) == _unmask(two) == real
        # the cookie is not replaced while it is valid
        assert expected not in set_cookies(browser.get("/self-service/login/browser"))


def test_missing_wrong_and_header_tokens(server: PhalanxServer) -> None:
    email = unique_email("csrf")
    with frontend(server) as api:
        register_api(api, email)
    body = {"method": "password", "identifier": email, "password": PASSWORD}
    with Browser(server) as spa:
        flow = spa.init("login")
        r = spa.submit(flow, body, csrf=False)
        assert r.status_code == 403
        error = error_of(r)
        assert error["id"] == "security_csrf_violation"
        assert error["reason"].startswith("Please retry the flow and optionally clear")
        assert error["message"] == (
            "the request was rejected to protect you from Cross-Site-Request-Forgery"
        )
        assert error["details"]["docs"] == DOCS
        assert "reject_reason" not in error["details"]
        assert error["details"]["hint"].startswith("The anti-CSRF cookie was found but")

        wrong = node(spa.init("login"), "csrf_token")["attributes"]["value"][::-1]
        r = spa.submit(flow, {**body, "csrf_token": wrong})
        assert r.status_code == 403
        # Kratos looks for a sent token in form fields and the header only: a wrong token
        # in a JSON body is reported as "not sent"
        assert "reject_reason" not in error_of(r)["details"]
        r = spa.request("POST", flow["ui"]["action"], json=body, headers={"X-CSRF-Token": wrong})
        assert r.status_code == 403
        assert error_of(r)["details"]["reject_reason"] == MISMATCH

        # the masked token of ANOTHER flow of the same browser is fine (same cookie)
        other = node(spa.init("login"), "csrf_token")["attributes"]["value"]
        r = spa.submit(flow, {**body, "password": "wrong!", "csrf_token": other})
        assert r.status_code == 400

        r = spa.request(
            "POST",
            flow["ui"]["action"],
            json=body,
            headers={"X-CSRF-Token": node(flow, "csrf_token")["attributes"]["value"]},
        )
        assert r.status_code == 200, r.text

    # no cookie at all
    with Browser(server) as first:
        flow = first.init("login")
    r = checked(httpx.post(flow["ui"]["action"], json={**body, "csrf_token": "x"}))
    assert r.status_code == 403
    assert error_of(r)["details"]["reject_reason"] == "The HTTP Cookie Header is empty or not set."
    r = checked(httpx.post(flow["ui"]["action"], json=body, headers={"Cookie": "unrelated=1"}))
    assert error_of(r)["details"]["reject_reason"] == (
        "The HTTP Cookie Header was set but did not include the anti-CSRF cookie."
    )


def test_plain_browsers_are_sent_to_the_error_ui(server: PhalanxServer) -> None:
    with Browser(server, json=False) as html:
        flow = html.init("registration")
        r = html.submit(
            flow,
            {"method": "password", "traits.email": unique_email(), "password": PASSWORD},
            csrf=False,
        )
        assert r.status_code == 303
        location = r.headers["location"]
        assert location.startswith(f"{server.public_url}/ui/error?id=")
        stored = html.get(f"/self-service/errors?id={query_of(location)['id']}")
        assert stored.status_code == 200
        assert stored.json()["error"]["id"] == "security_csrf_violation"
        assert stored.json()["error"]["code"] == 403


def test_token_rotates_when_the_principal_changes(server: PhalanxServer) -> None:
    name = None
    alice, bob = unique_email("alice"), unique_email("bob")
    with frontend(server) as api:
        register_api(api, bob)
    with Browser(server) as browser:
        name = csrf_cookie_name(server.config["serve"]["public"]["base_url"])
        browser.init("registration")
        anonymous = browser.cookies[name]
        browser.register(alice)
        as_alice = browser.cookies[name]
        assert as_alice != anonymous
        # a refresh login with another account's credentials switches the principal
        flow = browser.init("login", refresh="true")
        r = browser.submit(flow, {"method": "password", "identifier": bob, "password": PASSWORD})
        assert r.status_code == 200, r.text
        assert browser.whoami().json()["identity"]["traits"]["email"] == bob
        assert browser.cookies[name] != as_alice
        as_bob = browser.cookies[name]
        logout = browser.get("/self-service/logout/browser").json()
        r = browser.get(logout["logout_url"])
        assert r.status_code == 204
        assert browser.cookies[name] != as_bob


# -- every state-changing route of the public app ------------------------------------------


def _routes(routes: list[BaseRoute], prefix: str = "") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for route in routes:
        if isinstance(route, Mount):
            found.extend(_routes(list(route.routes), prefix + route.path))
        elif isinstance(route, Route):
            for method in sorted((route.methods or set()) & UNSAFE):
                found.append((prefix + route.path, method))
    return found


def _flow_payload(flow: dict[str, Any]) -> dict[str, Any]:
    """A complete-looking submission for a flow: every input filled, the first method."""
    body: dict[str, Any] = {}
    for item in flow["ui"]["nodes"]:
        attributes = item["attributes"]
        name = attributes.get("name")
        if not name or name == "csrf_token" or item["type"] != "input":
            continue
        if attributes.get("type") == "submit":
            body.setdefault(name, attributes.get("value"))
        elif attributes.get("type") == "email" or name.endswith("email"):
            body[name] = unique_email("probe")
        else:
            body[name] = PASSWORD
    return body


def _refused(server: PhalanxServer, r: httpx.Response) -> bool:
    """A 403 (the CSRF error when it is JSON), a 303 to an error page, or a redirect to the
    admin port (Kratos's public-port aliases of admin routes change nothing themselves)."""
    if r.status_code in (307, 308):
        return r.headers.get("location", "").startswith(server.admin_url)
    if r.status_code == 403:
        if r.headers.get("content-type", "").startswith("application/json"):
            return bool(r.json().get("error", {}).get("id") == "security_csrf_violation")
        return True
    location = r.headers.get("location", "")
    return r.status_code == 303 and "/error" in location


def _probe(server: PhalanxServer, path: str, method: str) -> httpx.Response:
    """A cookie-carrying browser request without an anti-CSRF token."""
    kind = path.removeprefix("/self-service/")
    url = path.replace("{id}", str(uuid.uuid4()))
    with Browser(server) as browser:
        if path.startswith("/self-service/") and "/" not in kind:
            if kind == "settings":
                browser.register()
            init = browser.http.get(
                f"/self-service/{kind}/browser", headers={"Accept": "application/json"}
            )
            if init.status_code == 200:
                flow = init.json()
                return browser.http.request(method, flow["ui"]["action"], json=_flow_payload(flow))
        browser.init("login")  # a CSRF cookie, but no token in the request
        return browser.http.request(method, url, json={})


def test_every_state_changing_public_route_enforces_csrf(server: PhalanxServer) -> None:
    routes = _routes(public_routes(ui_routes))
    assert ("/self-service/login", "POST") in routes
    assert ("/self-service/registration", "POST") in routes
    unprotected = []
    for path, method in routes:
        if (path, method) in EXEMPT:
            continue
        r = _probe(server, path, method)
        if not _refused(server, r):
            unprotected.append(f"{method} {path} -> {r.status_code} {r.text[:120]}")
    assert not unprotected, "routes accepting cookie requests without CSRF:\n" + "\n".join(
        unprotected
    )


def test_exempt_routes_still_exist(server: PhalanxServer) -> None:
    """Keep EXEMPT honest: every entry names a real route."""
    routes = set(_routes(public_routes(ui_routes)))
    assert set(EXEMPT) <= routes, set(EXEMPT) - routes
