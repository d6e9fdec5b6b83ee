"""The core journey -- registration, login, whoami, sessions, logout -- on SQLite,
PostgreSQL and MariaDB."""

from __future__ import annotations

import ory_kratos_client as kratos
import pytest

from phalanx.testing import PASSWORD, Browser, flows_config, message_ids
from phalanx.testing.sdk import frontend, login_api, register_api
from tests.support.api import SpecClient
from tests.support.identities import unique_email
from tests.support.server import BACKENDS, PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(database=request.param, config=flows_config())


def test_native_journey(server: PhalanxServer) -> None:
    email = unique_email("journey")
    with frontend(server) as api:
        registered = register_api(api, email)
        token = registered.session_token
        me = api.to_session(x_session_token=token)
        assert me.identity is not None and me.identity.traits["email"] == email
        again = login_api(api, email.upper())
        assert again.session_token != token
        others = api.list_my_sessions(x_session_token=again.session_token)
        assert [s.id for s in others] == [registered.session.id]  # type: ignore[union-attr]
        api.perform_native_logout(
            perform_native_logout_body=kratos.PerformNativeLogoutBody(session_token=token or "")
        )
        with pytest.raises(kratos.exceptions.ApiException):
            api.to_session(x_session_token=token)
    with SpecClient(server.admin_url) as admin:
        listed = admin.get(f"/admin/identities/{registered.identity.id}/sessions").json()
        assert {s["id"]: s["active"] for s in listed} == {
            registered.session.id: False,  # type: ignore[union-attr]
            again.session.id: True,
        }


def test_browser_journey(server: PhalanxServer) -> None:
    email = unique_email("browser-journey")
    with Browser(server) as spa:
        assert spa.register(email).status_code == 200
        assert spa.whoami().json()["identity"]["traits"]["email"] == email
        logout = spa.get("/self-service/logout/browser").json()
        assert spa.get(logout["logout_url"]).status_code == 204
        assert spa.whoami().status_code == 401
    with Browser(server, json=False) as html:
        flow = html.init("login")
        r = html.submit(flow, {"method": "password", "identifier": email, "password": "nope!"})
        assert r.status_code == 303
        stored = html.get(f"/self-service/login/flows?id={flow['id']}").json()
        assert message_ids(stored) == [4000006]
        r = html.submit(stored, {"method": "password", "identifier": email, "password": PASSWORD})
        assert r.status_code == 303 and r.headers["location"] == f"{server.public_url}/welcome"
        assert html.whoami().status_code == 200
