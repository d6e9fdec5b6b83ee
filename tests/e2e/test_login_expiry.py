"""Expired login and registration flows: 410 with ``use_flow_id`` for API flows and JSON
clients, a 303 to a fresh flow for browsers; the fresh flow says why (4010001/4040001)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from phalanx.testing import PASSWORD, Browser, flows_config, message_ids, query_of
from tests.support.api import error_of
from tests.support.identities import unique_email
from tests.support.openapi import checked
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

LIFESPAN = 1.0


@dataclass
class Expired:
    server: PhalanxServer
    api_login: dict[str, Any]
    api_registration: dict[str, Any]
    spa: Browser
    spa_login: dict[str, Any]
    html: Browser
    html_login: dict[str, Any]
    html_registration: dict[str, Any]


@pytest.fixture(scope="module")
def expired(module_server_factory: ServerFactory) -> Any:
    server = module_server_factory.start(
        config=flows_config(
            {
                "selfservice": {
                    "flows": {
                        "login": {"lifespan": f"{LIFESPAN:g}s"},
                        "registration": {"lifespan": f"{LIFESPAN:g}s"},
                    }
                }
            }
        )
    )
    spa, html = Browser(server), Browser(server, json=False)
    with spa, html:
        flows = Expired(
            server=server,
            api_login=httpx.get(f"{server.public_url}/self-service/login/api?return_to=").json(),
            api_registration=httpx.get(f"{server.public_url}/self-service/registration/api").json(),
            spa=spa,
            spa_login=spa.init("login", return_to=f"{server.public_url}/self-service/x"),
            html=html,
            html_login=html.init("login"),
            html_registration=html.init("registration"),
        )
        time.sleep(LIFESPAN + 0.2)
        yield flows


def _assert_gone(r: httpx.Response) -> str:
    assert r.status_code == 410, r.text
    body = r.json()
    assert error_of(r)["id"] == "self_service_flow_expired"
    assert error_of(r)["message"] == "self-service flow expired"
    assert error_of(r)["reason"].startswith("The self-service flow expired ")
    assert body["since"] > 0 and body["expired_at"]
    assert r.headers["Ory-Error-Id"] == "self_service_flow_expired"
    new_id: str = body["use_flow_id"]
    return new_id


def test_native_login_submit(expired: Expired) -> None:
    server = expired.server
    r = checked(
        httpx.post(
            expired.api_login["ui"]["action"],
            json={"method": "password", "identifier": "a@b.c", "password": "whatever"},
        )
    )
    new_id = _assert_gone(r)
    fresh = checked(httpx.get(f"{server.public_url}/self-service/login/flows?id={new_id}")).json()
    assert fresh["type"] == "api" and message_ids(fresh) == [4010001]
    assert fresh["request_url"] == expired.api_login["request_url"]


def test_native_registration_submit(expired: Expired) -> None:
    server = expired.server
    r = checked(
        httpx.post(
            expired.api_registration["ui"]["action"],
            json={"method": "password", "traits.email": unique_email(), "password": PASSWORD},
        )
    )
    new_id = _assert_gone(r)
    url = f"{server.public_url}/self-service/registration/flows?id={new_id}"
    assert message_ids(checked(httpx.get(url)).json()) == [4040001]


def test_spa_submit_even_without_csrf_token(expired: Expired) -> None:
    r = expired.spa.submit(
        expired.spa_login, {"method": "password", "identifier": "x", "password": "y"}, csrf=False
    )
    new_id = _assert_gone(r)
    fresh = expired.spa.get(f"/self-service/login/flows?id={new_id}").json()
    assert fresh["type"] == "browser" and fresh["return_to"] == expired.spa_login["return_to"]


def test_plain_browser_is_sent_to_a_fresh_flow(expired: Expired) -> None:
    server = expired.server
    for kind, flow, message in (
        ("login", expired.html_login, 4010001),
        ("registration", expired.html_registration, 4040001),
    ):
        r = expired.html.submit(flow, {"method": "password", "password": "x"})
        assert r.status_code == 303
        location = r.headers["location"]
        assert location.startswith(f"{server.public_url}/ui/{kind}?flow=")
        new_id = query_of(location)["flow"]
        assert new_id != flow["id"]
        fresh = expired.html.get(f"/self-service/{kind}/flows?id={new_id}").json()
        assert message_ids(fresh) == [message]


def test_fetching_an_expired_flow(expired: Expired) -> None:
    server = expired.server
    r = checked(
        httpx.get(f"{server.public_url}/self-service/login/flows?id={expired.api_login['id']}")
    )
    assert r.status_code == 410
    assert error_of(r)["details"] == {"api": f"{server.public_url}/self-service/login/api"}
    assert error_of(r)["reason"] == (
        "The login flow has expired. Call the login flow init API endpoint to initialize a new "
        "login flow."
    )
    r = expired.spa.get(f"/self-service/login/flows?id={expired.spa_login['id']}")
    assert r.status_code == 410
    details = error_of(r)["details"]
    assert details["return_to"] == f"{server.public_url}/self-service/x"
    assert details["redirect_to"].startswith(f"{server.public_url}/self-service/login/browser?")
