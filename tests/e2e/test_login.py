"""Self-service login with the password method against a real server (SDK, SPA, forms)."""

from __future__ import annotations

import base64
import hashlib
import os

import httpx
import ory_kratos_client as kratos
import pytest
from ory_kratos_client.exceptions import ApiException

from phalanx.testing import (
    PASSWORD,
    Browser,
    csrf_cookie_name,
    flows_config,
    message_ids,
    node,
    node_messages,
    query_of,
    set_cookies,
)
from phalanx.testing.sdk import frontend, login_api, register_api
from tests.support.api import SpecClient, error_of
from tests.support.identities import create_body, unique_email
from tests.support.openapi import checked
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

ALLOWED = "https://app.example.com/dashboard"


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(
        config=flows_config(
            {
                "selfservice": {
                    "allowed_return_urls": ["https://app.example.com/"],
                    "flows": {
                        "login": {
                            "after": {"password": {"hooks": [{"hook": "revoke_active_sessions"}]}}
                        }
                    },
                }
            }
        )
    )


def _api_flow(server: PhalanxServer, **params: str) -> dict[str, object]:
    r = checked(httpx.get(f"{server.public_url}/self-service/login/api", params=params))
    assert r.status_code == 200, r.text
    flow: dict[str, object] = r.json()
    return flow


def _post(flow: dict[str, object], body: dict[str, object], **kw: object) -> httpx.Response:
    return checked(httpx.post(str(flow["ui"]["action"]), json=body, **kw))  # type: ignore[index,arg-type]


# -- the form ---------------------------------------------------------------------------


def test_login_form_nodes(server: PhalanxServer) -> None:
    with Browser(server) as browser:
        flow = browser.init("login")
    assert flow["type"] == "browser" and flow["refresh"] is False
    assert flow["requested_aal"] == "aal1" and flow["state"] == "choose_method"
    names = [(n["attributes"]["name"], n["group"]) for n in flow["ui"]["nodes"]]
    assert names == [
        ("csrf_token", "default"),
        ("identifier", "default"),
        ("password", "password"),
        ("method", "password"),
    ]
    identifier = node(flow, "identifier")
    assert identifier["attributes"] == {
        "name": "identifier",
        "type": "text",
        "value": "",
        "required": True,
        "disabled": False,
        "node_type": "input",
    }
    assert identifier["meta"]["label"]["id"] == 1070002
    assert identifier["meta"]["label"]["text"] == "E-Mail"
    assert node(flow, "password")["attributes"]["autocomplete"] == "current-password"
    assert node(flow, "method")["meta"]["label"] == {
        "id": 1010022,
        "text": "Sign in with password",
        "type": "info",
    }


# -- native ------------------------------------------------------------------------------


def test_native_login_identifier_is_case_insensitive(server: PhalanxServer) -> None:
    email = unique_email("Case").replace("case", "CaSe")
    with frontend(server) as api:
        registered = register_api(api, email)
        for identifier in (email.lower(), email.upper(), f"  {email}  "):
            result = login_api(api, identifier)
            assert result.session_token and result.session_token != registered.session_token
            assert result.session.identity is not None
            assert result.session.identity.id == registered.identity.id
            me = api.to_session(x_session_token=result.session_token)
            assert me.id == result.session.id


def test_wrong_credentials_look_the_same_for_unknown_accounts(server: PhalanxServer) -> None:
    email = unique_email("known")
    with frontend(server) as api:
        register_api(api, email)
    answers = []
    for identifier, password in ((email, "wrong password!"), (unique_email("ghost"), PASSWORD)):
        flow = _api_flow(server)
        r = _post(flow, {"method": "password", "identifier": identifier, "password": password})
        assert r.status_code == 400
        failed = r.json()
        assert message_ids(failed) == [4000006]
        assert node(failed, "identifier")["attributes"]["value"] == identifier
        assert "value" not in node(failed, "password")["attributes"]
        answers.append((failed["ui"]["messages"], len(r.content) - len(identifier)))
    assert answers[0][0] == answers[1][0]


def test_missing_and_empty_fields(server: PhalanxServer) -> None:
    flow = _api_flow(server)
    r = _post(flow, {"method": "password"})
    assert r.status_code == 400
    assert node_messages(r.json(), "identifier") == [4000002]
    assert node_messages(r.json(), "password") == [4000002]
    r = _post(flow, {"method": "password", "identifier": "", "password": "x"})
    assert node_messages(r.json(), "identifier") == [4000003]
    r = _post(flow, {"method": "nope", "identifier": "a", "password": "x"})
    assert message_ids(r.json()) == [4010002]


def test_sdk_native_login_errors_deserialize(server: PhalanxServer) -> None:
    with frontend(server) as api:
        flow = api.create_native_login_flow()
        body = kratos.UpdateLoginFlowBody(
            kratos.UpdateLoginFlowWithPasswordMethod(
                method="password", identifier=unique_email(), password="whatever-it-is"
            )
        )
        with pytest.raises(ApiException) as caught:
            api.update_login_flow(flow=flow.id, update_login_flow_body=body)
    assert caught.value.status == 400
    failed = kratos.LoginFlow.from_json(caught.value.body)
    assert failed.ui.messages is not None and failed.ui.messages[0].id == 4000006


def test_aal_parameters(server: PhalanxServer) -> None:
    r = checked(httpx.get(f"{server.public_url}/self-service/login/api?aal=aal2"))
    assert r.status_code == 401 and error_of(r)["id"] == "session_aal1_required"
    r = checked(httpx.get(f"{server.public_url}/self-service/login/api?aal=aal3"))
    assert r.status_code == 400


# -- sessions and refresh ----------------------------------------------------------------


def test_every_login_gets_a_new_session_and_revokes_the_others(server: PhalanxServer) -> None:
    email = unique_email("fixation")
    with frontend(server) as api:
        first = register_api(api, email)
        second = login_api(api, email)
        third = login_api(api, email)
        tokens = {first.session_token, second.session_token, third.session_token}
        ids = {first.session.id, second.session.id, third.session.id}  # type: ignore[union-attr]
        assert len(tokens) == 3 and len(ids) == 3
        # revoke_active_sessions: only the newest session still works
        with pytest.raises(ApiException) as caught:
            api.to_session(x_session_token=second.session_token)
        assert caught.value.status == 401
        assert api.to_session(x_session_token=third.session_token).id == third.session.id


def test_browser_logins_rotate_the_session_cookie(server: PhalanxServer) -> None:
    email = unique_email("rotate")
    with Browser(server) as browser:
        browser.register(email)
        first_cookie = browser.cookies.get("ory_kratos_session")
        browser.cookies.delete("ory_kratos_session")
        r = browser.login(email)
        assert r.status_code == 200
        assert browser.cookies.get("ory_kratos_session") != first_cookie


def test_refresh_login_updates_authenticated_at(server: PhalanxServer) -> None:
    email = unique_email("refresh")
    with Browser(server) as browser:
        browser.register(email)
        before = browser.whoami().json()
        csrf_before = browser.cookies.get(
            csrf_cookie_name(server.config["serve"]["public"]["base_url"])
        )
        flow = browser.init("login", refresh="true")
        assert flow["refresh"] is True
        assert message_ids(flow) == [1010003]
        identifier = node(flow, "identifier")["attributes"]
        assert identifier["type"] == "hidden" and identifier["value"] == email.lower()
        assert node(flow, "method")["meta"]["label"]["id"] == 1010001
        r = browser.submit(flow, {"method": "password", "identifier": email, "password": PASSWORD})
        assert r.status_code == 200, r.text
        after = browser.whoami().json()
        assert after["id"] == before["id"]
        assert after["authenticated_at"] > before["authenticated_at"]
        assert [m["method"] for m in after["authentication_methods"]] == ["password", "password"]
        # same principal: the anti-CSRF token stays
        assert csrf_cookie_name(server.config["serve"]["public"]["base_url"]) not in set_cookies(r)
        assert (
            browser.cookies.get(csrf_cookie_name(server.config["serve"]["public"]["base_url"]))
            == csrf_before
        )


def test_native_refresh_keeps_the_session(server: PhalanxServer) -> None:
    email = unique_email("native-refresh")
    with frontend(server) as api:
        registered = register_api(api, email)
        token = registered.session_token
        flow = api.create_native_login_flow(refresh=True, x_session_token=token)
        assert flow.refresh is True
        body = kratos.UpdateLoginFlowBody(
            kratos.UpdateLoginFlowWithPasswordMethod(
                method="password", identifier=email, password=PASSWORD
            )
        )
        result = api.update_login_flow(
            flow=flow.id, update_login_flow_body=body, x_session_token=token
        )
        assert result.session.id == registered.session.id  # type: ignore[union-attr]
        assert result.session_token == token
        assert result.session.authenticated_at > registered.session.authenticated_at  # type: ignore[union-attr, operator]


# -- already signed in -------------------------------------------------------------------


def test_already_logged_in(server: PhalanxServer) -> None:
    with Browser(server) as browser:
        r = browser.register()
        flow_before = None
        with Browser(server) as other:
            flow_before = other.init("login")
        r = browser.get("/self-service/login/browser")
        assert r.status_code == 400 and error_of(r)["id"] == "session_already_available"
        assert error_of(r)["message"] == "you are already logged in"
        # a submission while signed in is answered on the flow (4000001)
        flow = _api_flow(server)
        del flow_before
        r = browser.request(
            "POST",
            str(flow["ui"]["action"]),  # type: ignore[index]
            json={"method": "password", "identifier": "x", "password": "y"},
        )
        assert r.status_code == 400 and message_ids(r.json()) == [4000001]
    with Browser(server, json=False) as html:
        html.register()
        r = html.get("/self-service/login/browser")
        assert r.status_code == 303 and r.headers["location"] == f"{server.public_url}/welcome"
        r = html.get(f"/self-service/login/browser?return_to={ALLOWED}")
        assert r.headers["location"] == ALLOWED
    with frontend(server) as api:
        token = register_api(api).session_token
        with pytest.raises(ApiException) as caught:
            api.create_native_login_flow(x_session_token=token)
        assert caught.value.status == 400


# -- return_to ---------------------------------------------------------------------------


def test_return_to_is_kept_through_the_flow(server: PhalanxServer) -> None:
    email = unique_email("return")
    with frontend(server) as api:
        register_api(api, email)
    with Browser(server, json=False) as html:
        flow = html.init("login", return_to=ALLOWED)
        assert flow["return_to"] == ALLOWED
        r = html.submit(flow, {"method": "password", "identifier": email, "password": "bad-one!"})
        assert r.status_code == 303
        stored = html.get(f"/self-service/login/flows?id={flow['id']}").json()
        assert stored["return_to"] == ALLOWED
        r = html.submit(stored, {"method": "password", "identifier": email, "password": PASSWORD})
        assert r.status_code == 303 and r.headers["location"] == ALLOWED
    with Browser(server) as spa:
        r = spa.login(email, return_to=ALLOWED)
        assert r.json()["continue_with"] == [
            {"action": "redirect_browser_to", "redirect_browser_to": ALLOWED}
        ]


def test_return_to_outside_the_allow_list_is_refused(server: PhalanxServer) -> None:
    evil = "https://evil.example.net/steal"
    with Browser(server) as spa:
        r = spa.get(f"/self-service/login/browser?return_to={evil}")
        assert r.status_code == 400
        assert error_of(r)["id"] == "self_service_flow_return_to_forbidden"
        assert error_of(r)["reason"] == f'Requested return_to URL "{evil}" is not allowed.'
    r = checked(httpx.get(f"{server.public_url}/self-service/login/api?return_to={evil}"))
    assert r.status_code == 400
    with Browser(server, json=False) as html:
        r = html.get(f"/self-service/login/browser?return_to={evil}")
        assert r.status_code == 303
        location = r.headers["location"]
        assert location.startswith(f"{server.public_url}/ui/error?id=")
        stored = html.get(f"/self-service/errors?id={query_of(location)['id']}").json()
        assert stored["error"]["id"] == "self_service_flow_return_to_forbidden"


# -- imported hashes and account state ---------------------------------------------------


def _md5(password: str) -> str:
    return "$md5$" + base64.b64encode(hashlib.md5(password.encode()).digest()).decode()


def _pbkdf2(password: str) -> str:
    salt = os.urandom(16)
    key = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 1000, 32)
    salt_b64 = base64.b64encode(salt).decode().rstrip("=")
    key_b64 = base64.b64encode(key).decode().rstrip("=")
    return f"$pbkdf2-sha256$i=1000,l=32${salt_b64}${key_b64}"


@pytest.mark.parametrize("make_hash", [_md5, _pbkdf2], ids=["md5", "pbkdf2"])
def test_imported_hashes_verify_and_are_rehashed(server: PhalanxServer, make_hash: object) -> None:
    email = unique_email("imported")
    hashed = make_hash(PASSWORD)  # type: ignore[operator]
    with SpecClient(server.admin_url) as admin:
        created = admin.post("/admin/identities", json=create_body(email, hashed_password=hashed))
        assert created.status_code == 201, created.text
        identity_id = created.json()["id"]
        with frontend(server) as api:
            with pytest.raises(ApiException):
                login_api(api, email, "not the password")
            result = login_api(api, email)
        assert result.session.identity.id == identity_id  # type: ignore[union-attr]
        stored = admin.get(f"/admin/identities/{identity_id}?include_credential=password").json()
        new_hash = stored["credentials"]["password"]["config"]["hashed_password"]
        assert new_hash != hashed and new_hash.startswith("$2")
        with frontend(server) as api:
            login_api(api, email)  # still works with the new hash


def test_inactive_identity_cannot_log_in_and_its_sessions_end(server: PhalanxServer) -> None:
    email = unique_email("disabled")
    with frontend(server) as api:
        registered = register_api(api, email)
        token = registered.session_token
        assert api.to_session(x_session_token=token).active
    with SpecClient(server.admin_url) as admin:
        r = admin.patch(
            f"/admin/identities/{registered.identity.id}",
            json=[{"op": "replace", "path": "/state", "value": "inactive"}],
        )
        assert r.status_code == 200, r.text
    r = checked(
        httpx.get(f"{server.public_url}/sessions/whoami", headers={"X-Session-Token": token or ""})
    )
    assert r.status_code == 401
    flow = _api_flow(server)
    r = _post(flow, {"method": "password", "identifier": email, "password": PASSWORD})
    assert r.status_code == 400
    assert message_ids(r.json()) == [4010011]
    # a wrong password on a disabled account is just a wrong password
    r = _post(flow, {"method": "password", "identifier": email, "password": "wrong pw"})
    assert message_ids(r.json()) == [4000006]


# -- flows of another client ---------------------------------------------------------------


def test_flows_of_another_client_kind_or_user_are_refused(server: PhalanxServer) -> None:
    email = unique_email("cross")
    with frontend(server) as api:
        register_api(api, email)
    body = {"method": "password", "identifier": email, "password": PASSWORD}
    # an API flow posted by a browser (cookies, Origin) is refused
    api_flow = _api_flow(server)
    with Browser(server) as browser:
        browser.init("login")  # gets a CSRF cookie
        r = browser.request("POST", str(api_flow["ui"]["action"]), json=body)  # type: ignore[index]
        assert r.status_code == 400 and message_ids(r.json()) == [4000001]
        assert "Cookie" in r.json()["ui"]["messages"][0]["text"]
    r = _post(api_flow, body, headers={"Origin": "https://app.example.com"})
    assert r.status_code == 400 and '"Origin"' in r.json()["ui"]["messages"][0]["text"]
    # a browser flow posted by another browser (other CSRF cookie) or a native app
    with Browser(server) as alice, Browser(server) as mallory:
        flow = alice.init("login")
        mallory.init("login")
        r = mallory.submit(flow, body)
        assert r.status_code == 403 and error_of(r)["id"] == "security_csrf_violation"
        r = mallory.get(f"/self-service/login/flows?id={flow['id']}")
        assert r.status_code == 403
    r = _post(flow, body)
    assert r.status_code == 403 and error_of(r)["id"] == "security_csrf_violation"
