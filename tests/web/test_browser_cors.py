"""A single-page app on another origin signs in through Phalanx's public API in Chromium
(issue 9, item 4): the browser sends real CORS preflights (JSON bodies, the session token
header) and keeps the cookies of credentialed requests, as with Kratos and rs/cors.

The SPA's page is served at ``http://127.0.0.1:<port>``: another origin than the API
(another port), the same site (so the CSRF and session cookies, which are
``SameSite=Lax``, travel with ``credentials: "include"``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from phalanx.testing import PASSWORD, create_identity, flows_config
from tests.support.identities import unique_email
from tests.support.server import PhalanxServer, ServerFactory, free_port

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

SPA_PORT, OTHER_PORT = free_port(), free_port()
SPA = f"http://127.0.0.1:{SPA_PORT}"
STRANGER = f"http://127.0.0.1:{OTHER_PORT}"

SIGN_IN = """
async ([api, identifier, password]) => {
  const json = {"Accept": "application/json"};
  const init = await fetch(
    `${api}/self-service/login/browser`, {credentials: "include", headers: json},
  );
  const flow = await init.json();
  const csrf = flow.ui.nodes.find((n) => n.attributes.name === "csrf_token").attributes.value;
  const login = await fetch(flow.ui.action, {
    method: "POST",
    credentials: "include",
    headers: {...json, "Content-Type": "application/json"},
    body: JSON.stringify({method: "password", identifier, password, csrf_token: csrf}),
  });
  const whoami = await fetch(`${api}/sessions/whoami`, {credentials: "include", headers: json});
  return {init: init.status, login: login.status, whoami: whoami.status, me: await whoami.json()};
}
"""

WITH_TOKEN = """
async ([api, token]) => {
  const r = await fetch(`${api}/sessions/whoami`, {headers: {"X-Session-Token": token}});
  return {status: r.status, type: r.headers.get("content-type"), me: await r.json()};
}
"""

BLOCKED = """
async ([api]) => {
  try {
    await fetch(`${api}/sessions/whoami`, {credentials: "include"});
    return "reached";
  } catch (error) {
    return error.name;
  }
}
"""


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory) -> PhalanxServer:
    config = flows_config(
        {"serve": {"public": {"cors": {"enabled": True, "allowed_origins": [SPA]}}}}
    )
    return module_server_factory.start(config=config)


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><title>SPA</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def origins() -> Iterator[dict[str, str]]:
    """Two real pages on loopback (a page Playwright fulfils would count as a public
    address, and Chromium's private-network checks would stop its requests to 127.0.0.1)."""
    servers = [ThreadingHTTPServer(("127.0.0.1", port), _Page) for port in (SPA_PORT, OTHER_PORT)]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    yield {"spa": SPA, "stranger": STRANGER}
    for http_server in servers:
        http_server.shutdown()
        http_server.server_close()


@pytest.fixture
def page_at(chromium: Any, origins: dict[str, str]) -> Iterator[Any]:
    contexts: list[Any] = []

    def open_page(origin: str) -> Any:
        context = chromium.new_context()
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{origin}/app")
        return page

    yield open_page
    for context in contexts:
        context.close()


def test_spa_signs_in_with_cookies(server: PhalanxServer, page_at: Any) -> None:
    email = unique_email("spa")
    identity = create_identity(server.admin_url, email, PASSWORD)
    result = page_at(SPA).evaluate(SIGN_IN, [server.public_url, email, PASSWORD])
    assert (result["init"], result["login"], result["whoami"]) == (200, 200, 200), result
    assert result["me"]["identity"]["id"] == identity["id"]


def test_spa_uses_a_session_token(server: PhalanxServer, page_at: Any) -> None:
    email = unique_email("spa-token")
    create_identity(server.admin_url, email, PASSWORD)
    flow = httpx.get(f"{server.public_url}/self-service/login/api", timeout=10).json()
    login = httpx.post(
        flow["ui"]["action"],
        json={"method": "password", "identifier": email, "password": PASSWORD},
        timeout=10,
    )
    token = login.json()["session_token"]
    result = page_at(SPA).evaluate(WITH_TOKEN, [server.public_url, token])
    assert result["status"] == 200 and result["type"] == "application/json"
    assert result["me"]["identity"]["traits"]["email"] == email


def test_other_origins_are_blocked_by_the_browser(server: PhalanxServer, page_at: Any) -> None:
    assert page_at(STRANGER).evaluate(BLOCKED, [server.public_url]) == "TypeError"
