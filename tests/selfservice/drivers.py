"""Drivers for the self-service end-to-end tests: configs, browsers, native SDK clients.

* :func:`flows_config` -- a server config with HIBP off (no internet here), the ``session``
  hook after password registration, and anything deep-merged on top;
* :class:`Browser` -- an httpx client with a cookie jar that validates every JSON answer
  against the OpenAPI spec; ``json=True`` is an SPA (``Accept``/``Content-Type`` JSON),
  ``json=False`` a plain HTML form post that gets 303s;
* :func:`sdk` -- the official ``ory_kratos_client`` FrontendApi on the public URL;
* helpers to read nodes, messages and cookies out of flows and responses.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import ory_kratos_client as kratos

from tests.support.identities import unique_email
from tests.support.openapi import assert_response_matches_spec
from tests.support.server import PhalanxServer, deep_merge

__all__ = [
    "PASSWORD",
    "Browser",
    "checked",
    "csrf_cookie_name",
    "flows_config",
    "frontend",
    "login_api",
    "message_ids",
    "node",
    "node_messages",
    "query_of",
    "register_api",
    "set_cookies",
]

#: A password every policy check accepts (long, not similar to test e-mails, not breached).
PASSWORD = "Tr0ub4dor&3-horse-battery"


def flows_config(extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Self-service config for e2e tests: HIBP disabled, ``session`` after registration."""
    base: dict[str, Any] = {
        "selfservice": {
            "methods": {"password": {"enabled": True, "config": {"haveibeenpwned_enabled": False}}},
            "flows": {
                "registration": {"after": {"password": {"hooks": [{"hook": "session"}]}}},
            },
        },
    }
    return deep_merge(base, extra or {})


def checked(response: httpx.Response, template: str | None = None) -> httpx.Response:
    """Validate a JSON answer against the spec (redirects and empty bodies are skipped)."""
    if response.headers.get("content-type", "").startswith("application/json"):
        assert_response_matches_spec(response, path=template)
    return response


def node(flow: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The node named ``name`` of a flow's UI (asserts it exists)."""
    for item in flow["ui"]["nodes"]:
        if item["attributes"].get("name") == name:
            return dict(item)
    names = [n["attributes"].get("name") for n in flow["ui"]["nodes"]]
    raise AssertionError(f"no node {name!r} in {names}")


def node_messages(flow: Mapping[str, Any], name: str) -> list[int]:
    return [m["id"] for m in node(flow, name)["messages"]]


def message_ids(flow: Mapping[str, Any]) -> list[int]:
    return [m["id"] for m in flow["ui"].get("messages", [])]


def set_cookies(response: httpx.Response) -> dict[str, SimpleCookie]:
    """``Set-Cookie`` headers by cookie name (the parsed morsel keeps the attributes)."""
    out: dict[str, SimpleCookie] = {}
    for raw in response.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(raw)
        for name in cookie:
            out[name] = cookie
    return out


def csrf_cookie_name(server: PhalanxServer) -> str:
    import hashlib

    base = server.config["serve"]["public"]["base_url"]
    return "csrf_token_" + hashlib.sha256(base.encode()).hexdigest()


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


class Browser:
    """A browser: cookie jar, no automatic redirects, spec-checked JSON answers."""

    def __init__(self, server: PhalanxServer, *, json: bool = True, **headers: str) -> None:
        self.server = server
        self.json = json
        base_headers = {"Accept": "application/json"} if json else {"Accept": "text/html"}
        base_headers.update(headers)
        self.http = httpx.Client(
            base_url=server.public_url, headers=base_headers, follow_redirects=False, timeout=30
        )

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    @property
    def cookies(self) -> httpx.Cookies:
        return self.http.cookies

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return checked(self.http.get(url, **kwargs))

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return checked(self.http.request(method, url, **kwargs))

    def init(self, kind: str, **params: str) -> dict[str, Any]:
        """A new browser flow as JSON (``Accept: application/json`` just for this call)."""
        r = checked(
            self.http.get(
                f"/self-service/{kind}/browser",
                params=params,
                headers={"Accept": "application/json"},
            )
        )
        assert r.status_code == 200, r.text
        flow: dict[str, Any] = r.json()
        return flow

    def submit(
        self, flow: Mapping[str, Any], body: Mapping[str, Any], *, csrf: bool = True
    ) -> httpx.Response:
        """Post ``body`` to the flow's action: JSON for SPAs, form-encoded otherwise; the
        flow's ``csrf_token`` is added unless ``csrf=False``."""
        data = dict(body)
        if csrf:
            data.setdefault("csrf_token", node(flow, "csrf_token")["attributes"]["value"])
        action = str(flow["ui"]["action"])
        if self.json:
            return checked(self.http.post(action, json=data))
        return checked(self.http.post(action, data=data))

    def register(self, email: str | None = None, password: str = PASSWORD) -> httpx.Response:
        flow = self.init("registration")
        return self.submit(
            flow,
            {"method": "password", "traits.email": email or unique_email(), "password": password},
        )

    def login(self, identifier: str, password: str = PASSWORD, **params: str) -> httpx.Response:
        flow = self.init("login", **params)
        return self.submit(
            flow, {"method": "password", "identifier": identifier, "password": password}
        )

    def whoami(self) -> httpx.Response:
        return self.get("/sessions/whoami")


@contextlib.contextmanager
def frontend(server: PhalanxServer) -> Iterator[kratos.FrontendApi]:
    """The official SDK's FrontendApi on the server's public URL (no cookies)."""
    configuration = kratos.Configuration(host=server.public_url)
    with kratos.ApiClient(configuration) as client:
        yield kratos.FrontendApi(client)


def register_api(
    api: kratos.FrontendApi, email: str | None = None, password: str = PASSWORD
) -> kratos.SuccessfulNativeRegistration:
    """Native registration through the SDK; returns the SDK's response model."""
    flow = api.create_native_registration_flow()
    body = kratos.UpdateRegistrationFlowBody(
        kratos.UpdateRegistrationFlowWithPasswordMethod(
            method="password", password=password, traits={"email": email or unique_email()}
        )
    )
    result: kratos.SuccessfulNativeRegistration = api.update_registration_flow(
        flow=flow.id, update_registration_flow_body=body
    )
    return result


def login_api(
    api: kratos.FrontendApi, identifier: str, password: str = PASSWORD, **kwargs: Any
) -> kratos.SuccessfulNativeLogin:
    flow = api.create_native_login_flow(**kwargs)
    body = kratos.UpdateLoginFlowBody(
        kratos.UpdateLoginFlowWithPasswordMethod(
            method="password", identifier=identifier, password=password
        )
    )
    result: kratos.SuccessfulNativeLogin = api.update_login_flow(
        flow=flow.id, update_login_flow_body=body
    )
    return result
