"""Login after-hook ``require_verified_address``: Kratos v25.4's default answer and the
``legacy_require_verified_login_error`` form error."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from phalanx.testing import PASSWORD, Browser, flows_config, message_ids, node
from tests.support.api import SpecClient
from tests.support.identities import create_body, unique_email, unique_username
from tests.support.openapi import checked
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

REQUIRE_VERIFIED = {
    "selfservice": {
        "flows": {
            "login": {"after": {"password": {"hooks": [{"hook": "require_verified_address"}]}}}
        }
    }
}


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory) -> PhalanxServer:
    config = flows_config(REQUIRE_VERIFIED)
    config["selfservice"]["flows"]["verification"] = {"enabled": True}
    return module_server_factory.start(config=config)


@pytest.fixture(scope="module")
def legacy_server(module_server_factory: ServerFactory) -> PhalanxServer:
    config = flows_config(REQUIRE_VERIFIED)
    config["feature_flags"] = {"legacy_require_verified_login_error": True}
    return module_server_factory.start(config=config)


def _identity(server: PhalanxServer, *, verified: bool, **extra: Any) -> str:
    email = unique_email("verified" if verified else "unverified")
    body = create_body(email, password=PASSWORD, **extra)
    if verified:
        body["verifiable_addresses"] = [
            {"value": email, "verified": True, "via": "email", "status": "completed"}
        ]
    with SpecClient(server.admin_url) as admin:
        r = admin.post("/admin/identities", json=body)
        assert r.status_code == 201, r.text
    return email


def _native_login(server: PhalanxServer, identifier: str) -> httpx.Response:
    flow = httpx.get(f"{server.public_url}/self-service/login/api").json()
    return httpx.post(
        flow["ui"]["action"],
        json={"method": "password", "identifier": identifier, "password": PASSWORD},
    )


def test_verified_addresses_log_in(server: PhalanxServer) -> None:
    r = checked(_native_login(server, _identity(server, verified=True)))
    assert r.status_code == 200 and r.json()["session_token"]


def test_unverified_json_clients_get_403_without_a_session(server: PhalanxServer) -> None:
    email = _identity(server, verified=False)
    r = _native_login(server, email)
    assert r.status_code == 403
    error = r.json()["error"]
    assert error["id"] == "session_verified_address_required"
    assert error["message"] == "your email or phone address is not yet verified"
    assert error["code"] == 400  # Kratos writes the 400 error with status 403
    assert "session_token" not in r.json()
    (item,) = error["details"]["continue_with"]
    assert item["action"] == "show_verification_ui"
    assert item["flow"]["verifiable_address"] == email.lower()
    assert "url" not in item["flow"]  # an API flow
    fetched = checked(
        httpx.get(f"{server.public_url}/self-service/verification/flows?id={item['flow']['id']}")
    )
    assert fetched.status_code == 200 and fetched.json()["state"] == "sent_email"
    with Browser(server) as spa:
        r = spa.http.post(
            spa.init("login")["ui"]["action"],
            json={
                "method": "password",
                "identifier": email,
                "password": PASSWORD,
                "csrf_token": "",
            },
        )
        assert r.status_code == 403  # CSRF first: the token is missing
        flow = spa.init("login")
        r = spa.http.post(
            flow["ui"]["action"],
            json={
                "method": "password",
                "identifier": email,
                "password": PASSWORD,
                "csrf_token": node(flow, "csrf_token")["attributes"]["value"],
            },
        )
        assert r.status_code == 403
        assert r.json()["error"]["id"] == "session_verified_address_required"
        assert spa.whoami().status_code == 401


def test_unverified_browsers_are_sent_to_verification(server: PhalanxServer) -> None:
    email = _identity(server, verified=False)
    with Browser(server, json=False) as html:
        r = html.login(email)
        assert r.status_code == 303
        assert r.headers["location"].startswith(f"{server.public_url}/ui/verification?flow=")
        assert "ory_kratos_session" not in html.cookies


def test_identities_without_addresses_are_a_misconfiguration(server: PhalanxServer) -> None:
    username = unique_username()
    with SpecClient(server.admin_url) as admin:
        r = admin.post(
            "/admin/identities",
            json={
                "schema_id": "customer",
                "traits": {"username": username},
                "credentials": {"password": {"config": {"password": PASSWORD}}},
            },
        )
        assert r.status_code == 201
    r = checked(_native_login(server, username))
    assert r.status_code == 500
    assert "Expected to find a verification address" in r.json()["error"]["reason"]


def test_legacy_flag_shows_4000010_on_the_form(legacy_server: PhalanxServer) -> None:
    email = _identity(legacy_server, verified=False)
    r = checked(_native_login(legacy_server, email))
    assert r.status_code == 400
    assert message_ids(r.json()) == [4000010]
    r = checked(_native_login(legacy_server, _identity(legacy_server, verified=True)))
    assert r.status_code == 200
