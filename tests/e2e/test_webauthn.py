"""WebAuthn (passwordless) and passkeys against a real server, with a software
authenticator: options JSON, script node, registration, login, wrong signatures, replays,
credential JSON; on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from typing import Any

import httpx
import pytest

from phalanx.testing import Browser, flows_config, message_ids, node
from tests.support.authenticator import SoftAuthenticator, unb64url
from tests.support.identities import unique_email
from tests.support.server import BACKENDS, PhalanxServer, ServerFactory, free_port

pytestmark = pytest.mark.e2e

ALGS = [-7, -35, -36, -257, -258, -259, -37, -38, -39, -8]


def webauthn_config(port: int, **extra: Any) -> dict[str, Any]:
    origin = f"http://localhost:{port}"
    rp = {"id": "localhost", "display_name": "Phalanx Test", "origins": [origin]}
    return flows_config(
        {
            "serve": {"public": {"port": port, "base_url": f"{origin}/"}},
            "selfservice": {
                "methods": {
                    "webauthn": {"enabled": True, "config": {"passwordless": True, "rp": rp}},
                    "passkey": {"enabled": True, "config": {"rp": rp}},
                },
                "flows": {
                    "registration": {
                        # These tests drive the one-step form; with Kratos's default
                        # profile_first the keys appear on the credential screen instead.
                        "style": "unified",
                        "after": {
                            "webauthn": {"hooks": [{"hook": "session"}]},
                            "passkey": {"hooks": [{"hook": "session"}]},
                        },
                    }
                },
            },
            **extra,
        }
    )


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, module_server_factory: ServerFactory) -> PhalanxServer:
    port = free_port()
    started = module_server_factory.start(database=request.param, config=webauthn_config(port))
    # Clients speak to the RP's host: cookies are set for "localhost".
    return dataclasses.replace(started, public_url=f"http://localhost:{port}")


@pytest.fixture
def key(server: PhalanxServer) -> SoftAuthenticator:
    base = server.config["serve"]["public"]["base_url"]
    return SoftAuthenticator(origin=base.rstrip("/"))


def _options(flow: dict[str, Any], name: str) -> dict[str, Any]:
    value = node(flow, name)["attributes"]["value"]
    parsed: dict[str, Any] = json.loads(value)
    return parsed


def _ask_for_key(browser: Browser, flow: dict[str, Any], email: str) -> httpx.Response:
    """Step one of passwordless WebAuthn login. The 422 is not validated: the spec nests an
    envelope in ``error`` where Kratos sends the flat herodot error (see test_recovery)."""
    body = {
        "method": "webauthn",
        "identifier": email,
        "csrf_token": node(flow, "csrf_token")["attributes"]["value"],
    }
    return browser.http.post(str(flow["ui"]["action"]), json=body)


def _admin_identity(server: PhalanxServer, identity_id: str, ctype: str) -> dict[str, Any]:
    r = httpx.get(
        f"{server.admin_url}/admin/identities/{identity_id}",
        params={"include_credential": ctype},
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _register_webauthn(
    browser: Browser, key: SoftAuthenticator, email: str, name: str = "YubiKey"
) -> httpx.Response:
    flow = browser.init("registration")
    options = _options(flow, "webauthn_register_trigger")
    return browser.submit(
        flow,
        {
            "method": "webauthn",
            "traits": {"email": email},
            "webauthn_register": key.create(options),
            "webauthn_register_displayname": name,
        },
    )


def test_script_is_served_and_pinned_by_the_nodes(server: PhalanxServer) -> None:
    r = httpx.get(f"{server.public_url}/.well-known/ory/webauthn.js")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/javascript; charset=UTF-8"
    for name in ("oryWebAuthnLogin", "oryPasskeyLoginAutocompleteInit", "oryWebAuthnInitialized"):
        assert name in r.text
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(r.content).digest()).decode()
    with Browser(server) as browser:
        flow = browser.init("registration")
    scripts = [n for n in flow["ui"]["nodes"] if n["type"] == "script"]
    assert len(scripts) == 1
    attributes = scripts[0]["attributes"]
    assert scripts[0]["group"] == "webauthn"
    assert attributes["src"] == "http://localhost:{}/.well-known/ory/webauthn.js".format(
        server.config["serve"]["public"]["port"]
    )
    assert attributes["integrity"] == integrity
    assert attributes["id"] == "webauthn_script" and attributes["async"] is True
    assert attributes["crossorigin"] == "anonymous"
    assert attributes["referrerpolicy"] == "no-referrer"


def test_registration_options_have_go_webauthn_shape(server: PhalanxServer) -> None:
    with Browser(server) as browser:
        flow = browser.init("registration")
    trigger = node(flow, "webauthn_register_trigger")
    attributes = trigger["attributes"]
    assert (
        attributes["type"] == "button" and attributes["onclickTrigger"] == "oryWebAuthnRegistration"
    )
    assert attributes["onclick"] == f"window.oryWebAuthnRegistration({attributes['value']})"
    assert trigger["meta"]["label"]["id"] == 1040004
    options = json.loads(attributes["value"])
    public_key = options["publicKey"]
    assert list(options) == ["publicKey"]
    assert list(public_key) == [
        "rp",
        "user",
        "challenge",
        "pubKeyCredParams",
        "timeout",
        "authenticatorSelection",
    ]
    assert public_key["rp"] == {"name": "Phalanx Test", "id": "localhost"}
    assert list(public_key["user"]) == ["name", "displayName", "id"]
    assert public_key["user"]["name"] == "Phalanx Test"
    assert len(unb64url(public_key["user"]["id"])) == 16
    assert len(unb64url(public_key["challenge"])) == 32
    assert "=" not in public_key["challenge"]
    assert [p["alg"] for p in public_key["pubKeyCredParams"]] == ALGS
    assert public_key["timeout"] == 120000
    assert public_key["authenticatorSelection"] == {"userVerification": "discouraged"}
    assert node(flow, "webauthn_register")["attributes"]["type"] == "hidden"
    assert node(flow, "webauthn_register_displayname")["meta"]["label"]["id"] == 1050013
    create = json.loads(node(flow, "passkey_create_data")["attributes"]["value"])
    assert create["displayNameFieldName"] == "traits.email"
    passkey = create["credentialOptions"]["publicKey"]
    assert passkey["timeout"] == 300000
    assert passkey["authenticatorSelection"] == {
        "authenticatorAttachment": "platform",
        "requireResidentKey": True,
        "residentKey": "required",
        "userVerification": "preferred",
    }
    assert len(unb64url(passkey["user"]["id"])) == 64
    assert "session_data" not in json.dumps(flow)


def test_api_flows_offer_neither_method(server: PhalanxServer) -> None:
    for kind in ("login", "registration"):
        r = httpx.get(f"{server.public_url}/self-service/{kind}/api")
        names = {n["attributes"].get("name") for n in r.json()["ui"]["nodes"]}
        assert not names & {
            "webauthn_register_trigger",
            "passkey_login_trigger",
            "passkey_challenge",
        }
        assert not any(n["group"] in ("webauthn", "passkey") for n in r.json()["ui"]["nodes"])
        assert all(n["type"] != "script" for n in r.json()["ui"]["nodes"])


def test_passwordless_webauthn_register_then_login(
    server: PhalanxServer, key: SoftAuthenticator
) -> None:
    email = unique_email()
    with Browser(server) as browser:
        r = _register_webauthn(browser, key, email)
        assert r.status_code == 200, r.text
        identity = r.json()["identity"]
        session = r.json()["session"]
        assert session["authentication_methods"][0]["method"] == "webauthn"
    stored = _admin_identity(server, identity["id"], "webauthn")
    credential = stored["credentials"]["webauthn"]
    assert credential["identifiers"] == [email]
    config = credential["config"]
    (entry,) = config["credentials"]
    assert entry["display_name"] == "YubiKey" and entry["is_passwordless"] is True
    assert entry["attestation_type"] == "none"
    assert base64.b64decode(entry["id"]) == key.credentials[0].id
    assert base64.b64decode(config["user_handle"]) == key.credentials[0].user_handle
    assert entry["flags"]["user_present"] is True
    assert set(entry["authenticator"]) == {"aaguid", "sign_count", "clone_warning"}

    with Browser(server) as browser:
        flow = browser.init("login")
        assert node(flow, "identifier")["attributes"]["autocomplete"] == "username webauthn"
        r = _ask_for_key(browser, flow, email)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["id"] == "browser_location_change_required"
        flow = browser.get(f"/self-service/login/flows?id={flow['id']}").json()
        assert message_ids(flow) == [1010012]
        trigger = node(flow, "webauthn_login_trigger")
        assert trigger["meta"]["label"]["id"] == 1010013
        options = json.loads(trigger["attributes"]["value"])
        assert list(options["publicKey"]) == [
            "challenge",
            "timeout",
            "rpId",
            "allowCredentials",
            "userVerification",
        ]
        assert options["publicKey"]["allowCredentials"] == [
            {
                "type": "public-key",
                "id": base64.urlsafe_b64encode(key.credentials[0].id).decode().rstrip("="),
            }
        ]
        assertion = key.get(options)
        r = browser.submit(flow, {"identifier": email, "webauthn_login": assertion})
        assert r.status_code == 200, r.text
        session = r.json()["session"]
        assert session["authenticator_assurance_level"] == "aal1"
        assert [m["method"] for m in session["authentication_methods"]] == ["webauthn"]
    stored = _admin_identity(server, identity["id"], "webauthn")
    assert (
        stored["credentials"]["webauthn"]["config"]["credentials"][0]["authenticator"]["sign_count"]
        == 1
    )


def test_wrong_signature_and_replay_are_refused(
    server: PhalanxServer, key: SoftAuthenticator
) -> None:
    email = unique_email()
    with Browser(server) as browser:
        assert _register_webauthn(browser, key, email).status_code == 200
    with Browser(server) as browser:
        flow = browser.init("login")
        _ask_for_key(browser, flow, email)
        flow = browser.get(f"/self-service/login/flows?id={flow['id']}").json()
        options = _options(flow, "webauthn_login_trigger")
        r = browser.submit(
            flow, {"identifier": email, "webauthn_login": key.get(options, tamper=True)}
        )
        assert r.status_code == 400, r.text
        assert message_ids(r.json()) == [4000008]
        assert r.json()["ui"]["messages"][0]["text"] == (
            "The provided authentication code is invalid, please try again."
        )
        r = browser.submit(
            flow,
            {
                "identifier": email,
                "webauthn_login": key.get(options, origin="https://evil.example"),
            },
        )
        assert message_ids(r.json()) == [4000008]
        r = browser.submit(flow, {"identifier": email, "webauthn_login": "{not json"})
        assert r.status_code == 400
        assert r.json()["ui"]["messages"][0]["id"] == 4000001
        assert "Unable to parse WebAuthn response." in r.json()["ui"]["messages"][0]["text"]
        good = key.get(options)
        assert (
            browser.submit(flow, {"identifier": email, "webauthn_login": good}).status_code == 200
        )
    # A replayed assertion in a new flow (another challenge) does not log in.
    with Browser(server) as browser:
        flow = browser.init("login")
        _ask_for_key(browser, flow, email)
        flow = browser.get(f"/self-service/login/flows?id={flow['id']}").json()
        r = browser.submit(flow, {"identifier": email, "webauthn_login": good})
        assert r.status_code == 400 and message_ids(r.json()) == [4000008]
        assert browser.whoami().status_code == 401


def test_unknown_identifier_and_schema_errors(server: PhalanxServer) -> None:
    with Browser(server) as browser:
        flow = browser.init("login")
        r = browser.submit(flow, {"method": "webauthn", "identifier": unique_email()})
        assert r.status_code == 400 and message_ids(r.json()) == [4000015]
        r = browser.submit(flow, {"method": "webauthn"})
        assert r.status_code == 400
        assert [m["id"] for m in node(r.json(), "identifier")["messages"]] == [4000002]


def test_passkey_register_then_login(server: PhalanxServer, key: SoftAuthenticator) -> None:
    email = unique_email()
    with Browser(server) as browser:
        flow = browser.init("registration")
        create = json.loads(node(flow, "passkey_create_data")["attributes"]["value"])
        trigger = node(flow, "passkey_register_trigger")["attributes"]
        assert trigger["onclick"] == "window.oryPasskeyRegistration()" and "value" not in trigger
        r = browser.submit(
            flow,
            {
                "method": "passkey",
                "traits": {"email": email},
                "passkey_register": key.create(create),
            },
        )
        assert r.status_code == 200, r.text
        identity = r.json()["identity"]
    stored = _admin_identity(server, identity["id"], "passkey")["credentials"]["passkey"]
    handle = key.credentials[0].user_handle
    assert stored["identifiers"] == [handle.decode()]
    assert stored["config"]["credentials"][0]["is_passwordless"] is True

    with Browser(server) as browser:
        flow = browser.init("login")
        challenge = _options(flow, "passkey_challenge")
        assert "allowCredentials" not in challenge["publicKey"]
        assert challenge["publicKey"]["userVerification"] == "preferred"
        login_node = node(flow, "passkey_login")["attributes"]
        assert login_node["onloadTrigger"] == "oryPasskeyLoginAutocompleteInit"
        assert node(flow, "passkey_login_trigger")["meta"]["label"]["id"] == 1010021
        bad = key.get(challenge, tamper=True)
        r = browser.submit(flow, {"method": "passkey", "passkey_login": bad})
        assert r.status_code == 400 and message_ids(r.json()) == [4000008]
        r = browser.submit(flow, {"passkey_login": key.get(challenge)})
        assert r.status_code == 200, r.text
        methods = r.json()["session"]["authentication_methods"]
        assert [(m["method"], m["aal"]) for m in methods] == [("passkey", "aal1")]
        assert r.json()["session"]["identity"]["id"] == identity["id"]


def test_passkey_of_unknown_user_handle(server: PhalanxServer, key: SoftAuthenticator) -> None:
    with Browser(server) as browser:
        flow = browser.init("registration")
        stray = key.create(json.loads(node(flow, "passkey_create_data")["attributes"]["value"]))
        assert stray
        login = browser.init("login")
        r = browser.submit(login, {"passkey_login": key.get(_options(login, "passkey_challenge"))})
        assert r.status_code == 400 and message_ids(r.json()) == [4000015]


def _settings(browser: Browser) -> dict[str, Any]:
    return browser.init("settings")


def test_settings_add_and_remove_security_keys(
    server: PhalanxServer, key: SoftAuthenticator
) -> None:
    email = unique_email()
    with Browser(server) as browser:
        r = _register_webauthn(browser, key, email, name="First")
        identity_id = r.json()["identity"]["id"]
        flow = _settings(browser)
        (remove,) = [
            n for n in flow["ui"]["nodes"] if n["attributes"].get("name") == "webauthn_remove"
        ]
        assert remove["attributes"]["value"] == key.credentials[0].id.hex()
        assert remove["attributes"]["disabled"] is True  # the only first factor
        assert remove["meta"]["label"]["id"] == 1050018
        assert remove["meta"]["label"]["text"] == 'Remove security key "First"'
        assert set(remove["meta"]["label"]["context"]) == {
            "display_name",
            "added_at",
            "added_at_unix",
        }
        trigger = node(flow, "webauthn_register_trigger")
        assert trigger["meta"]["label"]["id"] == 1050012
        options = json.loads(trigger["attributes"]["value"])
        assert unb64url(options["publicKey"]["user"]["id"]).hex() == identity_id.replace("-", "")
        # Removing the last passwordless key would lock the account out.
        r = browser.submit(
            flow, {"method": "webauthn", "webauthn_remove": remove["attributes"]["value"]}
        )
        assert r.status_code == 400, r.text
        messages = node(r.json(), "webauthn_remove")["messages"]
        assert [m["id"] for m in messages] == [4000001]
        # Add a second key (webauthn.js posts without "method").
        flow = _settings(browser)
        options = _options(flow, "webauthn_register_trigger")
        r = browser.submit(
            flow,
            {"webauthn_register": key.create(options), "webauthn_register_displayname": "Second"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "success" and message_ids(r.json()) == [1050001]
        removes = [
            n for n in r.json()["ui"]["nodes"] if n["attributes"].get("name") == "webauthn_remove"
        ]
        assert [n["attributes"]["disabled"] for n in removes] == [False, False]
        methods = browser.whoami().json()["authentication_methods"]
        assert [m["method"] for m in methods] == ["webauthn", "webauthn"]
        # Now the first one can go; an unknown id cannot.
        r = browser.submit(r.json(), {"method": "webauthn", "webauthn_remove": "00ff"})
        assert r.status_code == 400 and message_ids(r.json()) == [4000001]
        flow = _settings(browser)
        r = browser.submit(flow, {"webauthn_remove": key.credentials[0].id.hex()})
        assert r.status_code == 200, r.text
    stored = _admin_identity(server, identity_id, "webauthn")["credentials"]["webauthn"]
    names = [c["display_name"] for c in stored["config"]["credentials"]]
    assert names == ["Second"]


def test_settings_add_passkey_then_sign_in_with_it(
    server: PhalanxServer, key: SoftAuthenticator
) -> None:
    email = unique_email()
    with Browser(server) as browser:
        identity_id = _register_webauthn(browser, key, email).json()["identity"]["id"]
        flow = _settings(browser)
        data = json.loads(node(flow, "passkey_create_data")["attributes"]["value"])
        assert list(data) == ["publicKey"]
        assert data["publicKey"]["user"]["name"] == email
        trigger = node(flow, "passkey_register_trigger")["attributes"]
        assert trigger["onclick"] == "window.oryPasskeySettingsRegistration()"
        r = browser.submit(flow, {"passkey_settings_register": key.create(data)})
        assert r.status_code == 200, r.text
        removes = [
            n for n in r.json()["ui"]["nodes"] if n["attributes"].get("name") == "passkey_remove"
        ]
        assert len(removes) == 1 and removes[0]["meta"]["label"]["id"] == 1050020
    stored = _admin_identity(server, identity_id, "passkey")["credentials"]["passkey"]
    assert stored["identifiers"] == [key.credentials[-1].user_handle.decode()]
    with Browser(server) as browser:
        flow = browser.init("login")
        r = browser.submit(flow, {"passkey_login": key.get(_options(flow, "passkey_challenge"))})
        assert r.status_code == 200, r.text
        assert r.json()["session"]["identity"]["id"] == identity_id


def test_refresh_with_a_security_key_keeps_the_session(
    server: PhalanxServer, key: SoftAuthenticator
) -> None:
    email = unique_email()
    with Browser(server) as browser:
        first = _register_webauthn(browser, key, email).json()["session"]
        flow = browser.init("login", refresh="true")
        assert node(flow, "identifier")["attributes"]["type"] == "hidden"
        assert node(flow, "identifier")["attributes"]["value"] == email
        trigger = node(flow, "webauthn_login_trigger")
        assert trigger["meta"]["label"]["id"] == 1010008
        options = json.loads(trigger["attributes"]["value"])
        r = browser.submit(flow, {"identifier": email, "webauthn_login": key.get(options)})
        assert r.status_code == 200, r.text
        session = r.json()["session"]
        assert session["id"] == first["id"]
        assert [m["method"] for m in session["authentication_methods"]] == ["webauthn", "webauthn"]
