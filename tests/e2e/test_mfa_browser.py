"""The second login step for browsers: SPAs (JSON) and plain HTML forms, the login
after-hook ``checkAAL``, settings' ``required_aal``, and the SDK's TOTP login model."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import ory_kratos_client as kratos
import pytest

from phalanx.testing import PASSWORD, Browser, message_ids, node, query_of, register_api
from phalanx.testing.sdk import frontend
from tests.support.api import error_of
from tests.support.identities import unique_email
from tests.support.mfa import (
    enroll_totp_api,
    fresh_window,
    mfa_config,
    password_login_api,
    totp_code,
)
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

ALLOWED = "https://app.example.com/dashboard"


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(
        config=mfa_config({"selfservice": {"allowed_return_urls": ["https://app.example.com/"]}})
    )


def _enrolled(server: PhalanxServer) -> tuple[str, str]:
    fresh_window()
    email = unique_email("mfa")
    token, _ = register_api(server.public_url, email)
    return email, enroll_totp_api(server.public_url, token)


def _login(browser: Browser, email: str, **params: str) -> httpx.Response:
    """A password login. Not spec-checked: the spec's errorBrowserLocationChangeRequired
    nests an envelope in ``error``, Kratos (and Phalanx) send the flat herodot error."""
    flow = browser.init("login", **params)
    body = {
        "method": "password",
        "identifier": email,
        "password": PASSWORD,
        "csrf_token": node(flow, "csrf_token")["attributes"]["value"],
    }
    action = flow["ui"]["action"]
    if browser.json:
        return browser.http.post(action, json=body)
    return browser.http.post(action, data=body)


def test_spa_is_sent_to_the_second_factor_then_completes_it(server: PhalanxServer) -> None:
    email, secret = _enrolled(server)
    with Browser(server) as spa:
        r = _login(spa, email, return_to=ALLOWED)
        # checkAAL: 422 with the aal2 login (return_to carried over); the aal1 cookie is set.
        assert r.status_code == 422, r.text
        assert r.headers["ory-error-id"] == "browser_location_change_required"
        target = r.json()["redirect_browser_to"]
        assert target.startswith(f"{server.public_url}/self-service/login/browser?")
        assert query_of(target) == {"aal": "aal2", "return_to": ALLOWED}
        assert "ory_kratos_session" in spa.cookies
        me = spa.whoami()
        assert me.status_code == 403 and error_of(me)["id"] == "session_aal2_required"
        flow = spa.init("login", aal="aal2", return_to=ALLOWED)
        assert flow["requested_aal"] == "aal2" and message_ids(flow) == [1010004]
        assert [n["attributes"]["name"] for n in flow["ui"]["nodes"]] == [
            "csrf_token",
            "totp_code",
            "method",
        ]
        r = spa.submit(flow, {"method": "totp", "totp_code": "12345"})
        assert r.status_code == 400
        r = spa.submit(flow, {"method": "totp", "totp_code": totp_code(secret, 0)})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["session"]["authenticator_assurance_level"] == "aal2"
        assert body["continue_with"] == [
            {"action": "redirect_browser_to", "redirect_browser_to": ALLOWED}
        ]
        me = spa.whoami()
        assert me.status_code == 200
        assert [m["method"] for m in me.json()["authentication_methods"]] == ["password", "totp"]


def test_form_post_is_redirected_to_the_second_factor(server: PhalanxServer) -> None:
    email, secret = _enrolled(server)
    with Browser(server, json=False) as browser:
        r = _login(browser, email, return_to=ALLOWED)
        assert r.status_code == 303
        assert query_of(r.headers["location"]) == {"aal": "aal2", "return_to": ALLOWED}
        assert "ory_kratos_session" in browser.cookies
        r = browser.get(r.headers["location"])
        assert r.status_code == 303
        ui = r.headers["location"]
        flow_id = query_of(ui)["flow"]
        flow = browser.get("/self-service/login/flows", params={"id": flow_id}).json()
        assert flow["requested_aal"] == "aal2" and flow["return_to"] == ALLOWED
        r = browser.submit(flow, {"method": "totp", "totp_code": "000000"})
        assert r.status_code == 303 and query_of(r.headers["location"]) == {"flow": flow_id}
        again = browser.get("/self-service/login/flows", params={"id": flow_id}).json()
        assert message_ids(again) == [4000008]
        r = browser.submit(again, {"method": "totp", "totp_code": totp_code(secret, 0)})
        assert r.status_code == 303 and r.headers["location"] == ALLOWED
        assert browser.get("/sessions/whoami").status_code == 200
        # A second aal2 request now lands on the return URL (already there).
        r = browser.get("/self-service/login/browser", params={"aal": "aal2"})
        assert r.status_code == 303


def test_aal2_browser_without_session(server: PhalanxServer) -> None:
    with Browser(server) as spa:
        r = spa.get("/self-service/login/browser", params={"aal": "aal2"})
        assert r.status_code == 401 and error_of(r)["id"] == "session_aal1_required"


def test_settings_needs_aal2_when_a_second_factor_exists(server: PhalanxServer) -> None:
    email, secret = _enrolled(server)
    with Browser(server) as spa:
        _login(spa, email)
        r = spa.get("/self-service/settings/browser")
        assert r.status_code == 403 and error_of(r)["id"] == "session_aal2_required"
        assert r.json()["redirect_browser_to"] == (
            f"{server.public_url}/self-service/login/browser?aal=aal2"
        )
        back = (
            f"{server.public_url}/self-service/settings/browser?{urlencode({'return_to': ALLOWED})}"
        )
        r = spa.get("/self-service/settings/browser", params={"return_to": ALLOWED})
        assert r.status_code == 403
        assert query_of(r.json()["redirect_browser_to"]) == {"aal": "aal2", "return_to": back}
    with Browser(server, json=False) as browser:
        _login(browser, email)
        r = browser.get("/self-service/settings/browser")
        assert r.status_code == 303
        assert r.headers["location"] == f"{server.public_url}/self-service/login/browser?aal=aal2"
    with Browser(server) as spa:
        _login(spa, email)
        flow = spa.init("login", aal="aal2")
        assert spa.submit(flow, {"method": "totp", "totp_code": totp_code(secret, 0)}).is_success
        flow = spa.init("settings")
        assert node(flow, "totp_unlink")["group"] == "totp"


def test_native_aal2_login_with_the_sdk(server: PhalanxServer) -> None:
    email, secret = _enrolled(server)
    token = password_login_api(server.public_url, email)["session_token"]
    with frontend(server) as api:
        flow = api.create_native_login_flow(aal="aal2", x_session_token=token)
        assert flow.requested_aal == "aal2"
        body = kratos.UpdateLoginFlowBody(
            kratos.UpdateLoginFlowWithTotpMethod(method="totp", totp_code=totp_code(secret, 0))
        )
        done = api.update_login_flow(
            flow=flow.id, update_login_flow_body=body, x_session_token=token
        )
        assert done.session.authenticator_assurance_level == "aal2"
        me = api.to_session(x_session_token=token)
        assert [m.method for m in me.authentication_methods] == ["password", "totp"]
