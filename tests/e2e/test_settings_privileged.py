"""Privileged settings changes with a stale session (issue #4, requirement 4).

The server runs with ``SELFSERVICE_FLOWS_SETTINGS_PRIVILEGED_SESSION_MAX_AGE=1s`` in its
environment (the config file keeps the 1h default), so every session older than a
second must re-authenticate before changing the password or an identifier/address.
The refresh login brings the browser back to the same settings flow, where the paused
change is applied (Kratos's continuity).
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from phalanx.testing import (
    JSON,
    PASSWORD,
    client,
    csrf_token,
    logged_in,
    message_ids,
    node,
    query_of,
    register_api,
    settings_config,
)
from tests.support.api import error_of
from tests.support.identities import unique_email
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Amber-Glacier-Violin-4242"


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(
        config=settings_config(),
        env={"SELFSERVICE_FLOWS_SETTINGS_PRIVILEGED_SESSION_MAX_AGE": "1s"},
    )


def bearer(token: str) -> dict[str, str]:
    return {**JSON, "X-Session-Token": token}


def refresh_url(server: PhalanxServer, flow_id: str) -> str:
    back = f"{server.public_url}/self-service/settings?flow={flow_id}"
    return httpx.URL(
        f"{server.public_url}/self-service/login/browser",
        params={"refresh": "true", "return_to": back},
    ).__str__()


def api_login(server: PhalanxServer, email: str, password: str) -> int:
    with client(server.public_url) as http:
        flow = http.get("/self-service/login/api").json()
        r = http.post(
            flow["ui"]["action"],
            json={"identifier": email, "password": password, "method": "password"},
        )
    return r.status_code


def test_api_changes_need_a_refresh_and_a_refresh_login_unlocks_them(
    server: PhalanxServer,
) -> None:
    email = unique_email()
    token, _ = register_api(server.public_url, email)
    time.sleep(1.1)  # past privileged_session_max_age: 1s
    with client(server.public_url) as http:
        flow = http.get("/self-service/settings/api", headers=bearer(token)).json()
        action = flow["ui"]["action"]

        # Shape errors come first, even with a stale session (Kratos decodes before it
        # checks privileges).
        r = http.post(action, headers=bearer(token), json={"method": "password"})
        assert r.status_code == 400
        assert message_ids(node(r.json(), "password")) == [4000002]
        r = http.post(
            action,
            headers=bearer(token),
            json={"method": "profile", "traits": {"email": "notanemail"}},
        )
        assert r.status_code == 400
        assert message_ids(node(r.json(), "traits.email")) == [4000001]

        # Password and identifier changes need a privileged session.
        for body in (
            {"method": "password", "password": NEW_PASSWORD},
            {"method": "profile", "traits": {"email": unique_email("new")}},
        ):
            r = http.post(action, headers=bearer(token), json=body)
            assert r.status_code == 403, r.text
            assert r.json() == {
                "error": {
                    "id": "session_refresh_required",
                    "code": 403,
                    "status": "Forbidden",
                    "reason": "The login session is too old and thus not allowed to update "
                    "these fields. Please re-authenticate.",
                    "message": "The requested action was forbidden",
                },
                "redirect_browser_to": refresh_url(server, flow["id"]),
            }

        # Other traits can be changed without a refresh.
        r = http.post(
            action,
            headers=bearer(token),
            json={"method": "profile", "traits": {"email": email, "name": {"first": "Stale"}}},
        )
        assert r.status_code == 200 and r.json()["state"] == "success"

        # An API refresh login resets authenticated_at; then the password can be changed.
        login = http.get("/self-service/login/api?refresh=true", headers=bearer(token))
        assert login.status_code == 200 and login.json()["refresh"] is True
        r = http.post(
            login.json()["ui"]["action"],
            headers=bearer(token),
            json={"identifier": email, "password": PASSWORD, "method": "password"},
        )
        assert r.status_code == 200, r.text
        r = http.post(
            action, headers=bearer(token), json={"method": "password", "password": NEW_PASSWORD}
        )
        assert r.status_code == 200, r.text
    assert api_login(server, email, NEW_PASSWORD) == 200


def test_plain_browser_is_sent_to_a_refresh_login_and_back(server: PhalanxServer) -> None:
    email = unique_email()
    register_api(server.public_url, email)
    with logged_in(server.public_url, email) as http:
        time.sleep(1.1)  # past privileged_session_max_age: 1s
        r = http.get("/self-service/settings/browser")
        assert r.status_code == 303
        flow_id = query_of(r.headers["location"])["flow"]
        flow = http.get("/self-service/settings/flows", params={"id": flow_id}).json()

        # 1. The password change is refused: 303 to a refresh login returning to this flow.
        r = http.post(
            flow["ui"]["action"],
            data={"csrf_token": csrf_token(flow), "method": "password", "password": NEW_PASSWORD},
        )
        assert r.status_code == 303
        assert r.headers["location"] == refresh_url(server, flow_id)

        # 2. The refresh login flow (the allow-list accepts the return_to).
        r = http.get(r.headers["location"])
        assert r.status_code == 303, r.text
        assert r.headers["location"].startswith(f"{server.public_url}/ui/login?flow=")
        login_id = query_of(r.headers["location"])["flow"]
        login = http.get("/self-service/login/flows", params={"id": login_id}).json()
        assert login["refresh"] is True
        assert login["return_to"] == f"{server.public_url}/self-service/settings?flow={flow_id}"
        r = http.post(
            login["ui"]["action"],
            data={
                "csrf_token": csrf_token(login),
                "method": "password",
                "identifier": email,
                "password": PASSWORD,
            },
        )
        assert r.status_code == 303, r.text
        assert r.headers["location"] == login["return_to"]

        # 3. Back on the same settings flow: the paused change is applied.
        r = http.get(r.headers["location"])
        assert r.status_code == 303, r.text
        assert r.headers["location"] == f"{server.public_url}/ui/settings?flow={flow_id}"
        done = http.get("/self-service/settings/flows", params={"id": flow_id}, headers=JSON).json()
        assert done["state"] == "success" and message_ids(done["ui"]) == [1050001]
    assert api_login(server, email, NEW_PASSWORD) == 200


def test_spa_gets_403_and_resumes_after_the_refresh(server: PhalanxServer) -> None:
    email, new_email = unique_email(), unique_email("moved")
    register_api(server.public_url, email)
    with logged_in(server.public_url, email) as http:
        time.sleep(1.1)  # past privileged_session_max_age: 1s
        flow: dict[str, Any] = http.get("/self-service/settings/browser", headers=JSON).json()
        r = http.post(
            flow["ui"]["action"],
            headers=JSON,
            json={
                "csrf_token": csrf_token(flow),
                "method": "profile",
                "traits": {"email": new_email},
            },
        )
        assert r.status_code == 403
        assert error_of(r)["id"] == "session_refresh_required"
        redirect = r.json()["redirect_browser_to"]
        assert redirect == refresh_url(server, flow["id"])

        # The SPA sends the browser there, then renders the login flow and signs in.
        r = http.get(redirect)
        login_id = query_of(r.headers["location"])["flow"]
        login = http.get("/self-service/login/flows", params={"id": login_id}, headers=JSON).json()
        assert message_ids(login["ui"]) == [1010003]
        r = http.post(
            login["ui"]["action"],
            headers=JSON,
            json={
                "csrf_token": csrf_token(login),
                "method": "password",
                "identifier": email,
                "password": PASSWORD,
            },
        )
        assert r.status_code == 200, r.text
        [item] = r.json()["continue_with"]
        back = item["redirect_browser_to"]
        assert back == f"{server.public_url}/self-service/settings?flow={flow['id']}"

        # The browser follows it: the e-mail change is applied to the same flow.
        r = http.get(back)
        assert r.status_code == 303
        assert r.headers["location"] == f"{server.public_url}/ui/settings?flow={flow['id']}"
        done = http.get(
            "/self-service/settings/flows", params={"id": flow["id"]}, headers=JSON
        ).json()
        assert done["state"] == "success"
        assert done["identity"]["traits"]["email"] == new_email
        assert done["identity"]["verifiable_addresses"][0]["verified"] is False

        # The flow can be used again (now privileged) without another refresh.
        r = http.post(
            done["ui"]["action"],
            headers=JSON,
            json={"csrf_token": csrf_token(done), "method": "password", "password": NEW_PASSWORD},
        )
        assert r.status_code == 200, r.text
    assert api_login(server, new_email, NEW_PASSWORD) == 200


def test_returning_without_a_paused_change_shows_the_flow(server: PhalanxServer) -> None:
    email = unique_email()
    register_api(server.public_url, email)
    with logged_in(server.public_url, email) as http:
        flow = http.get("/self-service/settings/browser", headers=JSON).json()
        r = http.get(f"/self-service/settings?flow={flow['id']}")
        assert r.status_code == 303
        assert r.headers["location"] == f"{server.public_url}/ui/settings?flow={flow['id']}"


def test_resumed_change_is_still_validated(server: PhalanxServer) -> None:
    """The password policy runs after the privilege check (as in Kratos): a too-short
    password with a stale session first asks for the refresh, then fails on the flow."""
    email = unique_email()
    register_api(server.public_url, email)
    with logged_in(server.public_url, email) as http:
        time.sleep(1.1)  # past privileged_session_max_age: 1s
        flow = http.get("/self-service/settings/browser", headers=JSON).json()
        r = http.post(
            flow["ui"]["action"],
            data={"csrf_token": csrf_token(flow), "method": "password", "password": "short"},
        )
        assert r.headers["location"] == refresh_url(server, flow["id"])
        r = http.get(r.headers["location"])
        login = http.get(
            "/self-service/login/flows", params={"id": query_of(r.headers["location"])["flow"]}
        ).json()
        r = http.post(
            login["ui"]["action"],
            data={
                "csrf_token": csrf_token(login),
                "method": "password",
                "identifier": email,
                "password": PASSWORD,
            },
        )
        r = http.get(r.headers["location"])
        assert r.headers["location"] == f"{server.public_url}/ui/settings?flow={flow['id']}"
        failed = http.get(
            "/self-service/settings/flows", params={"id": flow["id"]}, headers=JSON
        ).json()
        assert failed["state"] == "show_form"
        assert message_ids(node(failed, "password")) == [4000032]
        # Nothing is paused any more: coming back again changes nothing.
        r = http.get(f"/self-service/settings?flow={flow['id']}")
        again = http.get(
            "/self-service/settings/flows", params={"id": flow["id"]}, headers=JSON
        ).json()
        assert message_ids(again["ui"]) == [4010004]
    assert api_login(server, email, PASSWORD) == 200
