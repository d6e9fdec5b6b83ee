"""Drive settings flows against a real server: the helpers of the settings e2e suites.

* :func:`settings_config` -- the server config these suites use (registration issues a
  session, no network for the breached-password check, extra keys merged in);
* :func:`client` -- an ``httpx.Client`` (cookie jar) whose JSON answers are checked against
  the OpenAPI spec;
* :func:`register_api`, :func:`login_browser` -- get a session token / a session cookie;
* :func:`node`, :func:`group_nodes`, :func:`message_ids`, :func:`csrf_token` -- read flows.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.support.identities import unique_email
from tests.support.openapi import assert_matches_spec
from tests.support.server import deep_merge

__all__ = [
    "JSON",
    "PASSWORD",
    "client",
    "csrf_token",
    "group_nodes",
    "login_browser",
    "message_ids",
    "node",
    "query_of",
    "register_api",
    "settings_config",
    "wait_until_stale",
]

#: A password no policy check rejects for the e-mails :func:`unique_email` makes.
PASSWORD = "Quartz-Harbor-Lantern-1987"
JSON = {"Accept": "application/json"}


def settings_config(extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Registration issues a session (as the seed's curl replay needs), HIBP is off."""
    base: dict[str, Any] = {
        "selfservice": {
            "flows": {
                "registration": {"after": {"password": {"hooks": [{"hook": "session"}]}}},
            },
            "methods": {
                "profile": {"enabled": True},
                "password": {"enabled": True, "config": {"haveibeenpwned_enabled": False}},
            },
        },
        "hashers": {"algorithm": "bcrypt", "bcrypt": {"cost": 4}},
    }
    return deep_merge(base, extra or {})


def _check(response: httpx.Response) -> None:
    """Validate JSON answers against the spec (redirects and HTML are not JSON)."""
    response.read()
    if "json" not in response.headers.get("content-type", "") or not response.content:
        return
    request = response.request
    path = urlsplit(str(request.url)).path
    method = request.method
    if method == "GET" and path == "/self-service/settings":
        method = "POST"  # Kratos serves GET there too; the spec only documents POST
    if path.startswith("/ui/"):
        return
    assert_matches_spec(method, path, response.status_code, response.json())


def client(base_url: str, **kwargs: Any) -> httpx.Client:
    """A cookie-keeping client that never follows redirects and checks JSON against the spec."""
    return httpx.Client(
        base_url=base_url,
        timeout=30.0,
        follow_redirects=False,
        event_hooks={"response": [_check]},
        **kwargs,
    )


def register_api(
    public_url: str, email: str | None = None, password: str = PASSWORD
) -> tuple[str, dict[str, Any]]:
    """Register through the API flow as the seed does; the session token and identity."""
    email = email or unique_email("settings")
    with client(public_url) as http:
        flow = http.get("/self-service/registration/api", headers=JSON).json()
        response = http.post(
            flow["ui"]["action"],
            headers=JSON,
            json={"traits.email": email, "password": password, "method": "password"},
        )
    assert response.status_code == 200, response.text
    body = response.json()
    return body["session_token"], body["identity"]


def login_browser(http: httpx.Client, email: str, password: str = PASSWORD) -> dict[str, Any]:
    """The seed's browser login (JSON client): leaves the session cookie in ``http``."""
    flow = http.get("/self-service/login/browser", headers=JSON).json()
    response = http.post(
        flow["ui"]["action"],
        headers=JSON,
        json={
            "identifier": email,
            "password": password,
            "method": "password",
            "csrf_token": csrf_token(flow),
        },
    )
    assert response.status_code == 200, response.text
    session: dict[str, Any] = response.json()["session"]
    return session


def node(flow: Mapping[str, Any], name: str, group: str | None = None) -> dict[str, Any]:
    for item in flow["ui"]["nodes"]:
        if item["attributes"].get("name") == name and group in (None, item["group"]):
            return dict(item)
    raise AssertionError(f"no node {name!r} (group {group}) in {flow['ui']['nodes']}")


def group_nodes(flow: Mapping[str, Any], group: str) -> list[dict[str, Any]]:
    return [n for n in flow["ui"]["nodes"] if n["group"] == group]


def message_ids(container: Mapping[str, Any]) -> list[int]:
    """Message ids of a node or of ``ui`` (form-wide)."""
    return [m["id"] for m in container.get("messages") or []]


def csrf_token(flow: Mapping[str, Any]) -> str:
    value = node(flow, "csrf_token", "default")["attributes"].get("value")
    assert isinstance(value, str)
    return value


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def wait_until_stale(seconds: float = 1.1) -> None:
    """Let a session age past a ``privileged_session_max_age`` of 1s."""
    time.sleep(seconds)


@contextmanager
def browser(public_url: str, email: str, password: str = PASSWORD) -> Iterator[httpx.Client]:
    """A cookie jar logged in through the browser login flow."""
    with client(public_url) as http:
        login_browser(http, email, password)
        yield http
