"""A mailed code as second factor (``selfservice.methods.code.mfa_enabled``), end to end on
the AAL machinery: password sign-in (aal1), then ``login?aal=aal2`` offers one "Send code
to <address>" per address of the session's identity; the code upgrades the same session
to aal2. A code is never sent to an address of another account (the v25.4 bug)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from phalanx.testing import PASSWORD, Browser, MailSink, code_of, create_identity, mail_config, node
from phalanx.testing import message_ids as ids
from tests.support.api import SpecClient
from tests.support.identities import unique_email
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(mail: MailSink, module_server_factory: ServerFactory) -> PhalanxServer:
    config = mail_config(mail, selfservice={"methods": {"code": {"mfa_enabled": True}}})
    return module_server_factory.start(config=config, args=("--watch-courier",))


def _names(flow: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (n["group"], n["attributes"].get("name", ""), n["attributes"].get("type", ""))
        for n in flow["ui"]["nodes"]
    ]


def _password_token(api: SpecClient, email: str) -> str:
    flow = api.get("/self-service/login/api").json()
    # Not spec-validated: aal2 is missing, so Kratos answers ``session.identity: null``.
    r = api.post(
        f"/self-service/login?flow={flow['id']}",
        json={"method": "password", "identifier": email, "password": PASSWORD},
        validate=False,
    )
    assert r.status_code == 200, r.text
    assert r.json()["session"]["identity"] is None
    token = r.json()["session_token"]
    assert isinstance(token, str)
    return token


def test_native_second_factor_by_code(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email()
    create_identity(server.admin_url, email)
    with SpecClient(server.public_url) as api:
        token = _password_token(api, email)
        auth = {"X-Session-Token": token}
        who = api.get("/sessions/whoami", headers=auth, validate=False)
        assert who.status_code == 403  # highest_available: the code makes aal2 available
        flow = api.get("/self-service/login/api", params={"aal": "aal2"}, headers=auth).json()
        assert flow["requested_aal"] == "aal2"
        address = node(flow, "address")
        assert (address["group"], address["attributes"]["value"]) == ("code", email)
        assert address["meta"]["label"]["id"] == 1010023
        assert address["meta"]["label"]["context"] == {"address": email, "channel": "email"}
        assert ("password", "password", "password") not in _names(flow)

        url = f"/self-service/login?flow={flow['id']}"
        r = api.post(url, json={"address": email}, headers=auth)  # no "method": accepted
        assert r.status_code == 400, r.text
        sent = r.json()
        assert sent["state"] == "sent_email" and ids(sent) == [1010014]
        assert _names(sent)[:5] == [
            ("code", "identifier", "hidden"),
            ("code", "method", "hidden"),
            ("code", "code", "text"),
            ("code", "method", "submit"),
            ("code", "resend", "submit"),
        ]
        code = code_of(mail.wait(email)[0])
        wrong = "000000" if code != "000000" else "111111"
        body = {"method": "code", "identifier": email, "code": wrong}
        r = api.post(url, json=body, headers=auth)
        assert r.status_code == 400 and ids(r.json()) == [4010008]
        r = api.post(url, json={**body, "code": code}, headers=auth)
        assert r.status_code == 200, r.text
        session = r.json()["session"]
        assert session["authenticator_assurance_level"] == "aal2"
        methods = [(m["method"], m["aal"]) for m in session["authentication_methods"]]
        assert methods == [("password", "aal1"), ("code", "aal2")]
        assert api.get("/sessions/whoami", headers=auth).status_code == 200


def test_no_code_for_another_accounts_address(server: PhalanxServer, mail: MailSink) -> None:
    email, victim = unique_email(), unique_email()
    create_identity(server.admin_url, email)
    create_identity(server.admin_url, victim)
    with SpecClient(server.public_url) as api:
        auth = {"X-Session-Token": _password_token(api, email)}
        flow = api.get("/self-service/login/api", params={"aal": "aal2"}, headers=auth).json()
        url = f"/self-service/login?flow={flow['id']}"
        r = api.post(url, json={"method": "code", "address": victim}, headers=auth)
        assert r.status_code == 400 and ids(r.json()) == [4000035]
    assert mail.to(victim) == []


def test_second_factor_needs_a_session(server: PhalanxServer) -> None:
    r = httpx.get(f"{server.public_url}/self-service/login/api", params={"aal": "aal2"})
    assert r.status_code == 401 and r.json()["error"]["id"] == "session_aal1_required"


def test_browser_form_second_factor(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email()
    create_identity(server.admin_url, email)
    with Browser(server, json=False) as browser:
        r = browser.login(email, PASSWORD)
        assert r.status_code == 303
        assert "aal=aal2" in r.headers["location"]  # checkAAL sends the browser on
        flow = browser.init("login", aal="aal2")
        r = browser.submit(flow, {"address": email})
        assert r.status_code == 303
        sent = browser.get(f"/self-service/login/flows?id={flow['id']}").json()
        code = code_of(mail.wait(email)[0])
        r = browser.submit(sent, {"method": "code", "identifier": email, "code": code})
        assert r.status_code == 303, r.text
        who = browser.whoami().json()
        assert who["authenticator_assurance_level"] == "aal2"


def test_deprecated_via_parameter(server: PhalanxServer) -> None:
    """``login/api?aal=aal2&via=<trait path>`` (deprecated in Kratos, still honoured) offers
    only the address that trait holds; a trait without a value answers 400."""
    email = unique_email()
    create_identity(server.admin_url, email)
    with SpecClient(server.public_url) as api:
        auth = {"X-Session-Token": _password_token(api, email)}
        flow = api.get(
            "/self-service/login/api", params={"aal": "aal2", "via": "email"}, headers=auth
        ).json()
        addresses = [n for n in flow["ui"]["nodes"] if n["attributes"].get("name") == "address"]
        assert [n["attributes"]["value"] for n in addresses] == [email]
        r = api.get(
            "/self-service/login/api",
            params={"aal": "aal2", "via": "nickname"},
            headers=auth,
            validate=False,
        )
        assert r.status_code == 400, r.text
        assert (
            r.json()["error"]["reason"]
            == "No value found for trait nickname in the current identity."
        )
