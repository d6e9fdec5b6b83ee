"""TOTP and session AAL for native (API) clients: link in settings, the aal2 login step,
whoami's ``required_aal``, replay protection, refresh, unlink. Every JSON answer is
validated against the OpenAPI spec except the login answer whose ``session.identity`` is
null (Kratos writes null there; the spec does not allow it)."""

from __future__ import annotations

import base64
import json
import sqlite3
from typing import Any

import httpx
import pytest

from phalanx.testing import JSON, client, message_ids, node, register_api
from tests.support.api import error_of
from tests.support.identities import unique_email
from tests.support.mfa import (
    aal2_flow_api,
    enroll_totp_api,
    fresh_window,
    mfa_config,
    node_by_id,
    password_login_api,
    submit_totp_api,
    totp_code,
    totp_secret,
)
from tests.support.openapi import assert_matches_spec
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(config=mfa_config())


@pytest.fixture
def public(server: PhalanxServer) -> Any:
    with client(server.public_url) as http:
        yield http


def _whoami(server: PhalanxServer, token: str) -> httpx.Response:
    with client(server.public_url) as http:
        return http.get("/sessions/whoami", headers={"X-Session-Token": token})


def _settings_flow(http: httpx.Client, token: str) -> dict[str, Any]:
    r = http.get("/self-service/settings/api", headers={**JSON, "X-Session-Token": token})
    assert r.status_code == 200, r.text
    flow: dict[str, Any] = r.json()
    return flow


def _enrolled(server: PhalanxServer) -> tuple[str, str, str]:
    """A fresh identity with TOTP: (email, secret, the aal2 token of the enrolling session)."""
    fresh_window()
    email = unique_email("totp")
    token, _ = register_api(server.public_url, email)
    return email, enroll_totp_api(server.public_url, token), token


def test_settings_offers_a_new_key_as_qr_code_and_text(
    server: PhalanxServer, public: httpx.Client
) -> None:
    token, identity = register_api(server.public_url, unique_email("totp"))
    flow = _settings_flow(public, token)
    qr = node_by_id(flow, "totp_qr")
    assert qr["type"] == "img" and qr["group"] == "totp"
    assert qr["attributes"]["width"] == 256 and qr["attributes"]["height"] == 256
    assert qr["attributes"]["src"].startswith("data:image/png;base64,")
    png = base64.b64decode(qr["attributes"]["src"].split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[16:24] == (256).to_bytes(4, "big") * 2
    assert qr["meta"]["label"]["id"] == 1050005
    secret_node = node_by_id(flow, "totp_secret_key")
    assert secret_node["type"] == "text"
    secret = totp_secret(flow)
    assert secret_node["attributes"]["text"] == {
        "id": 1050006,
        "text": secret,
        "type": "info",
        "context": {"secret": secret},
    }
    assert secret_node["meta"]["label"]["id"] == 1050017
    code = node(flow, "totp_code", "totp")
    assert code["attributes"]["required"] is True and "value" not in code["attributes"]
    assert code["meta"]["label"]["id"] == 1070006
    submit = node(flow, "method", "totp")
    assert submit["attributes"]["value"] == "totp" and submit["meta"]["label"]["id"] == 1070003
    # Each flow offers its own key.
    assert totp_secret(_settings_flow(public, token)) != secret
    assert identity["id"]


def test_link_wrong_code_then_right_code_upgrades_the_session(
    server: PhalanxServer, public: httpx.Client
) -> None:
    fresh_window()
    token, identity = register_api(server.public_url, unique_email("totp"))
    flow = _settings_flow(public, token)
    secret = totp_secret(flow)
    headers = {**JSON, "X-Session-Token": token}
    r = public.post(flow["ui"]["action"], headers=headers, json={"method": "totp"})
    assert r.status_code == 400
    assert message_ids(node(r.json(), "totp_code")) == [4000002]
    r = public.post(
        flow["ui"]["action"], headers=headers, json={"method": "totp", "totp_code": "000000"}
    )
    assert r.status_code == 400
    assert message_ids(node(r.json(), "totp_code")) == [4000008]
    good = totp_code(secret, -1)
    if good == "000000":  # pragma: no cover - one in a million
        good = totp_code(secret, 0)
    r = public.post(
        flow["ui"]["action"], headers=headers, json={"method": "totp", "totp_code": good}
    )
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["state"] == "success" and message_ids(done["ui"]) == [1050001]
    unlink = node(done, "totp_unlink", "totp")
    assert unlink["attributes"]["value"] == "true" and unlink["meta"]["label"]["id"] == 1050004
    assert [n for n in done["ui"]["nodes"] if n["group"] == "totp"] == [unlink]
    # The enrolling session proved the factor: it is aal2 now.
    me = _whoami(server, token)
    assert me.status_code == 200
    session = me.json()
    assert session["authenticator_assurance_level"] == "aal2"
    assert [(m["method"], m["aal"]) for m in session["authentication_methods"]] == [
        ("password", "aal1"),
        ("totp", "aal2"),
    ]
    # The admin API shows Kratos's credential shape (identifier = identity id).
    r = httpx.get(
        f"{server.admin_url}/admin/identities/{identity['id']}",
        params={"include_credential": "totp"},
    )
    cred = r.json()["credentials"]["totp"]
    assert cred["identifiers"] == [identity["id"]]
    url = cred["config"]["totp_url"]
    assert set(cred["config"]) == {"totp_url"}
    assert url == (
        f"otpauth://totp/Phalanx%20Test:{identity['traits']['email']}?algorithm=SHA1&digits=6"
        f"&issuer=Phalanx%20Test&period=30&secret={secret}"
    )
    assert_matches_spec("GET", "/admin/identities/{id}", 200, r.json())


def test_password_login_of_a_totp_identity_is_aal1_and_whoami_refuses_it(
    server: PhalanxServer,
) -> None:
    email, _, _ = _enrolled(server)
    body = password_login_api(server.public_url, email)
    # Kratos hides the identity until the second factor is done.
    assert body["session"]["identity"] is None
    assert body["session"]["authenticator_assurance_level"] == "aal1"
    r = _whoami(server, body["session_token"])
    assert r.status_code == 403
    assert r.headers["ory-error-id"] == "session_aal2_required"
    aal2 = f"{server.public_url}/self-service/login/browser?aal=aal2"
    assert r.json() == {
        "error": {
            "id": "session_aal2_required",
            "code": 403,
            "status": "Forbidden",
            "reason": "An active session was found but it does not fulfill the requested "
            "Authenticator Assurance Level. Please verify yourself with a second factor to "
            "resolve this issue.",
            "details": {"redirect_browser_to": aal2},
            "message": "Session does not fulfill the requested Authenticator Assurance Level",
        },
        "redirect_browser_to": aal2,
    }
    # GET /sessions is guarded the same way.
    with client(server.public_url) as http:
        r = http.get("/sessions", headers={"X-Session-Token": body["session_token"]})
    assert r.status_code == 403 and error_of(r)["id"] == "session_aal2_required"


def test_aal2_login_asks_only_for_the_second_factor(
    server: PhalanxServer, public: httpx.Client
) -> None:
    email, secret, _ = _enrolled(server)
    first = password_login_api(server.public_url, email)
    token = first["session_token"]
    flow = aal2_flow_api(public, token)
    assert flow["requested_aal"] == "aal2" and flow["refresh"] is False
    assert message_ids(flow["ui"]) == [1010004]
    names = [(n["group"], n["attributes"].get("name")) for n in flow["ui"]["nodes"]]
    assert names == [("default", "csrf_token"), ("totp", "totp_code"), ("totp", "method")]
    assert node(flow, "totp_code")["meta"]["label"]["id"] == 1010006
    assert node(flow, "method", "totp")["meta"]["label"]["id"] == 1010009
    # Short code: schema error on the node; wrong code: 4000008 on the form.
    r = submit_totp_api(public, flow, token, "123")
    assert r.status_code == 400
    assert node(r.json(), "totp_code")["messages"][0]["id"] == 4000003
    r = submit_totp_api(
        public, flow, token, "000000" if totp_code(secret) != "000000" else "111111"
    )
    assert r.status_code == 400 and message_ids(r.json()["ui"]) == [4000008]
    assert "value" not in node(r.json(), "totp_code")["attributes"]  # ResetNodes
    # A password in the aal2 flow is nobody's business (4010002), nothing changes.
    r = public.post(
        flow["ui"]["action"],
        headers={"X-Session-Token": token},
        json={"method": "password", "identifier": email, "password": "x"},
    )
    assert r.status_code == 400 and message_ids(r.json()["ui"]) == [4010002]
    assert _whoami(server, token).status_code == 403
    r = submit_totp_api(public, flow, token, totp_code(secret, 0))
    assert r.status_code == 200, r.text
    session = r.json()["session"]
    assert session["id"] == first["session"]["id"] and r.json()["session_token"] == token
    assert session["authenticator_assurance_level"] == "aal2"
    assert [(m["method"], m["aal"]) for m in session["authentication_methods"]] == [
        ("password", "aal1"),
        ("totp", "aal2"),
    ]
    assert session["identity"]["traits"]["email"] == email
    assert _whoami(server, token).status_code == 200
    # aal2 reached: asking for aal2 again is "already logged in".
    r = public.get(
        "/self-service/login/api", params={"aal": "aal2"}, headers={"X-Session-Token": token}
    )
    assert r.status_code == 400 and error_of(r)["id"] == "session_already_available"
    # refresh=true re-authenticates the same session with one more method.
    flow = aal2_flow_api(public, token, refresh="true")
    assert flow["refresh"] is True and message_ids(flow["ui"]) == [1010003]
    r = submit_totp_api(public, flow, token, totp_code(secret, 1))
    assert r.status_code == 200, r.text
    methods = [m["method"] for m in r.json()["session"]["authentication_methods"]]
    assert methods == ["password", "totp", "totp"]


def test_a_code_works_once(server: PhalanxServer, public: httpx.Client) -> None:
    email, secret, _ = _enrolled(server)
    code = totp_code(secret, 0)
    token = password_login_api(server.public_url, email)["session_token"]
    r = submit_totp_api(public, aal2_flow_api(public, token), token, code)
    assert r.status_code == 200, r.text
    other = password_login_api(server.public_url, email)["session_token"]
    r = submit_totp_api(public, aal2_flow_api(public, other), other, code)
    assert r.status_code == 400 and message_ids(r.json()["ui"]) == [4000008]
    # An older step after a newer one is a replay too.
    r = submit_totp_api(public, aal2_flow_api(public, other), other, totp_code(secret, -1))
    assert r.status_code == 400 and message_ids(r.json()["ui"]) == [4000008]
    assert _whoami(server, other).status_code == 403


def test_aal2_without_a_session_is_refused(public: httpx.Client) -> None:
    r = public.get("/self-service/login/api", params={"aal": "aal2"})
    assert r.status_code == 401
    assert r.json()["error"] == {
        "id": "session_aal1_required",
        "code": 401,
        "status": "Unauthorized",
        "reason": "You can not requested a higher AAL (AAL2/AAL3) without an active session.",
        "message": "aal2 and aal3 can only be requested if a session exists already",
    }
    r = public.get("/self-service/login/api", params={"aal": "aal5"})
    assert r.status_code == 400


def test_identity_without_second_factor_gets_an_empty_aal2_form(
    server: PhalanxServer, public: httpx.Client
) -> None:
    token, _ = register_api(server.public_url, unique_email("totp"))
    assert _whoami(server, token).status_code == 200
    flow = aal2_flow_api(public, token)
    assert [n["attributes"]["name"] for n in flow["ui"]["nodes"]] == ["csrf_token"]
    r = submit_totp_api(public, flow, token, "123456")
    assert r.status_code == 400 and message_ids(r.json()["ui"]) == [4000011]


def test_unlink_lowers_the_available_aal(server: PhalanxServer, public: httpx.Client) -> None:
    email, _, aal2_token = _enrolled(server)
    aal1_token = password_login_api(server.public_url, email)["session_token"]
    assert _whoami(server, aal1_token).status_code == 403
    flow = _settings_flow(public, aal2_token)
    r = public.post(
        flow["ui"]["action"],
        headers={**JSON, "X-Session-Token": aal2_token},
        json={"totp_unlink": True},  # forces method=totp
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "success"
    assert node_by_id(r.json(), "totp_qr")["type"] == "img"
    # The aal1 session is enough now, and a new password login gets the identity back.
    assert _whoami(server, aal1_token).status_code == 200
    assert password_login_api(server.public_url, email)["session"]["identity"] is not None


def test_the_totp_secret_is_sealed_at_rest(server: PhalanxServer) -> None:
    """Kratos stores the otpauth URL (with the secret) in plain text; Phalanx seals it with
    AES-256-GCM. The admin API and logins see the URL as Kratos has it."""
    email, secret, _ = _enrolled(server)
    path = server.dsn.removeprefix("sqlite://").split("?", 1)[0]
    with sqlite3.connect(path) as db:
        rows = [
            json.loads(r[0])
            for r in db.execute("SELECT config FROM identity_credentials WHERE type = 'totp'")
        ]
    assert rows and all(r["totp_url"].startswith("phalanx-sealed:") for r in rows)
    assert not any(secret in json.dumps(r) for r in rows)
    token = password_login_api(server.public_url, email)["session_token"]
    with client(server.public_url) as http:
        r = submit_totp_api(http, aal2_flow_api(http, token), token, totp_code(secret, 0))
    assert r.status_code == 200, r.text
