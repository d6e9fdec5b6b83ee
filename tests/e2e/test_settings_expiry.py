"""Expired settings flows (issue #4, requirement 5): submitting answers 410 with
``use_flow_id`` for API and JSON clients and sends plain browsers to a fresh flow that
says why; fetching answers 410 with where to start again.

The server's settings flows live 2 seconds; the flows are made once, then the module
waits for them to expire.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from phalanx.testing import (
    JSON,
    client,
    csrf_token,
    login_browser,
    message_ids,
    query_of,
    register_api,
    settings_config,
)
from tests.support.api import error_of
from tests.support.identities import unique_email
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

LIFESPAN = 2.0


@dataclass
class Expired:
    server: PhalanxServer
    email: str
    token: str
    browser: httpx.Client
    api: dict[str, Any]
    spa: dict[str, Any]
    plain: dict[str, Any]
    returning: dict[str, Any]


@pytest.fixture(scope="module")
def expired(module_server_factory: ServerFactory) -> Iterator[Expired]:
    config = settings_config({"selfservice": {"flows": {"settings": {"lifespan": "2s"}}}})
    server = module_server_factory.start(config=config)
    email = unique_email()
    token, _ = register_api(server.public_url, email)
    with client(server.public_url) as http:
        login_browser(http, email)

        def spa(**params: str) -> dict[str, Any]:
            r = http.get("/self-service/settings/browser", headers=JSON, params=params)
            flow: dict[str, Any] = r.json()
            return flow

        with client(server.public_url) as native:
            api = native.get(
                "/self-service/settings/api", headers={**JSON, "X-Session-Token": token}
            )
        flows = Expired(
            server=server,
            email=email,
            token=token,
            browser=http,
            api=api.json(),
            spa=spa(),
            plain=spa(),
            returning=spa(return_to=f"{server.public_url}/welcome"),
        )
        time.sleep(LIFESPAN + 0.2)
        yield flows


def test_api_submit_answers_410_with_a_new_flow(expired: Expired) -> None:
    headers = {**JSON, "X-Session-Token": expired.token}
    with client(expired.server.public_url) as http:
        r = http.post(
            expired.api["ui"]["action"],
            headers=headers,
            json={"method": "profile", "traits": {"email": expired.email}},
        )
        assert r.status_code == 410, r.text
        body = r.json()
        assert body["error"]["id"] == "self_service_flow_expired"
        assert body["error"]["message"] == "self-service flow expired"
        assert body["error"]["reason"].startswith("The self-service flow expired ")
        assert body["expired_at"] == expired.api["expires_at"]
        assert isinstance(body["since"], int) and body["since"] > 0
        fresh = http.get(
            "/self-service/settings/flows", params={"id": body["use_flow_id"]}, headers=headers
        ).json()
    assert fresh["type"] == "api" and fresh["state"] == "show_form"
    assert fresh["request_url"] == expired.api["request_url"]
    [message] = fresh["ui"]["messages"]
    assert message["id"] == 4050001 and message["type"] == "error"
    assert message["text"].startswith("The settings flow expired ")


def test_browser_json_submit_answers_410(expired: Expired) -> None:
    r = expired.browser.post(
        expired.spa["ui"]["action"],
        headers=JSON,
        json={
            "csrf_token": csrf_token(expired.spa),
            "method": "password",
            "password": "Nimbus-Otter-Quill-66",
        },
    )
    assert r.status_code == 410
    assert error_of(r)["id"] == "self_service_flow_expired"
    assert r.json()["use_flow_id"] != expired.spa["id"]


def test_plain_browser_submit_gets_a_fresh_flow(expired: Expired) -> None:
    url = expired.server.public_url
    r = expired.browser.post(
        expired.plain["ui"]["action"],
        data={"csrf_token": csrf_token(expired.plain), "method": "profile"},
    )
    assert r.status_code == 303
    location = r.headers["location"]
    assert location.startswith(f"{url}/ui/settings?flow=")
    new_id = query_of(location)["flow"]
    assert new_id != expired.plain["id"]
    fresh = expired.browser.get(
        "/self-service/settings/flows", params={"id": new_id}, headers=JSON
    ).json()
    assert message_ids(fresh["ui"]) == [4050001] and fresh["type"] == "browser"


def test_fetch_of_expired_flows(expired: Expired) -> None:
    url = expired.server.public_url
    with client(url) as http:
        r = http.get(
            "/self-service/settings/flows",
            params={"id": expired.api["id"]},
            headers={**JSON, "X-Session-Token": expired.token},
        )
    assert r.status_code == 410
    error = error_of(r)
    assert error["id"] == "self_service_flow_expired"
    assert error["details"] == {"api": f"{url}/self-service/settings/api"}
    r = expired.browser.get(
        "/self-service/settings/flows", params={"id": expired.returning["id"]}, headers=JSON
    )
    assert r.status_code == 410
    details = error_of(r)["details"]
    assert details["return_to"] == f"{url}/welcome"
    assert details["redirect_to"] == str(
        httpx.URL(f"{url}/self-service/settings/browser", params={"return_to": f"{url}/welcome"})
    )
