"""The settings flow on PostgreSQL and MariaDB: a small subset of ``test_settings.py``
(flows, identity updates with new addresses and credentials, the paused change of a
refresh login kept in the flow's ``internal_context``). SQLite runs the full suites.
"""

from __future__ import annotations

import time

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
from tests.support.identities import unique_email
from tests.support.server import BACKENDS, PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=[p for p in BACKENDS if p.id != "sqlite"])
def server(request: pytest.FixtureRequest, module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(
        database=request.param,
        config=settings_config(),
        env={"SELFSERVICE_FLOWS_SETTINGS_PRIVILEGED_SESSION_MAX_AGE": "4s"},
    )


def test_api_profile_and_password_updates(server: PhalanxServer) -> None:
    email, new_email = unique_email(), unique_email("db")
    token, _ = register_api(server.public_url, email)
    headers = {**JSON, "X-Session-Token": token}
    with client(server.public_url) as http:
        flow = http.get("/self-service/settings/api", headers=headers).json()
        r = http.post(
            flow["ui"]["action"],
            headers=headers,
            json={"method": "profile", "traits": {"email": "notanemail"}},
        )
        assert r.status_code == 400
        assert message_ids(node(r.json(), "traits.email")) == [4000001]
        r = http.post(
            flow["ui"]["action"],
            headers=headers,
            json={"method": "profile", "traits": {"email": new_email, "name": {"first": "Db"}}},
        )
        assert r.status_code == 200, r.text
        assert r.json()["identity"]["verifiable_addresses"][0]["value"] == new_email
        r = http.post(
            flow["ui"]["action"],
            headers=headers,
            json={"method": "password", "password": "Ochre-Beacon-Thistle-808"},
        )
        assert r.status_code == 200, r.text
        fetched = http.get(
            "/self-service/settings/flows", params={"id": flow["id"]}, headers=headers
        ).json()
        assert fetched["state"] == "success" and message_ids(fetched["ui"]) == [1050001]
        login = http.get("/self-service/login/api").json()
        r = http.post(
            login["ui"]["action"],
            json={
                "identifier": new_email,
                "password": "Ochre-Beacon-Thistle-808",
                "method": "password",
            },
        )
        assert r.status_code == 200


def test_browser_refresh_resumes_the_paused_change(server: PhalanxServer) -> None:
    email = unique_email()
    register_api(server.public_url, email)
    new_password = "Saffron-Tundra-Mosaic-19"
    with logged_in(server.public_url, email) as http:
        time.sleep(4.1)  # past privileged_session_max_age (4 s: the API test needs it left)
        flow = http.get("/self-service/settings/browser", headers=JSON).json()
        r = http.post(
            flow["ui"]["action"],
            data={"csrf_token": csrf_token(flow), "method": "password", "password": new_password},
        )
        assert r.status_code == 303
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
        assert r.status_code == 303
        assert r.headers["location"] == f"{server.public_url}/ui/settings?flow={flow['id']}"
    with client(server.public_url) as anonymous:
        api = anonymous.get("/self-service/login/api").json()
        r = anonymous.post(
            api["ui"]["action"],
            json={"identifier": email, "password": new_password, "method": "password"},
        )
    assert r.status_code == 200, r.text
