"""Passwordless sign-in and sign-up by one-time code (``selfservice.methods.code.
passwordless_enabled``), end to end: a real ``phalanx serve --watch-courier`` mailing to a
real SMTP sink, for native (the official SDK and raw JSON), SPA and form clients; every
JSON body is checked against the OpenAPI spec."""

from __future__ import annotations

import sqlite3
from typing import Any

import httpx
import ory_kratos_client as kratos
import pytest

from phalanx.testing import (
    Browser,
    MailSink,
    code_of,
    create_identity,
    mail_config,
    message_ids,
    node,
)
from phalanx.testing.sdk import frontend
from tests.support.api import SpecClient, error_of
from tests.support.identities import unique_email
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e


def code_config(mail: MailSink, **code: Any) -> dict[str, Any]:
    """Code sign-in and sign-up on; ``session`` after a code registration."""
    return mail_config(
        mail,
        selfservice={
            "methods": {"code": {"passwordless_enabled": True, "config": code}},
            "flows": {"registration": {"after": {"code": {"hooks": [{"hook": "session"}]}}}},
        },
    )


@pytest.fixture(scope="module")
def server(mail: MailSink, module_server_factory: ServerFactory) -> PhalanxServer:
    config = code_config(mail, max_submissions=3)
    return module_server_factory.start(config=config, args=("--watch-courier",))


def _names(flow: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (n["group"], n["attributes"].get("name", ""), n["attributes"].get("type", ""))
        for n in flow["ui"]["nodes"]
    ]


def _identity(server: PhalanxServer, identity_id: str) -> dict[str, Any]:
    r = httpx.get(f"{server.admin_url}/admin/identities/{identity_id}", timeout=10)
    assert r.status_code == 200
    body: dict[str, Any] = r.json()
    return body


def _send(api: SpecClient, flow_id: str, identifier: str) -> httpx.Response:
    return api.post(
        f"/self-service/login?flow={flow_id}", json={"method": "code", "identifier": identifier}
    )


def test_login_flow_offers_the_code_method(server: PhalanxServer) -> None:
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/login/api").json()
    assert ("default", "identifier", "text") in _names(flow)
    codes = [n for n in flow["ui"]["nodes"] if n["group"] == "code"]
    assert [(n["attributes"]["name"], n["attributes"]["value"]) for n in codes] == [
        ("method", "code")
    ]
    assert codes[0]["meta"]["label"]["id"] == 1010015


def test_native_code_login(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email()
    identity = create_identity(server.admin_url, email)
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/login/api").json()
        r = _send(api, flow["id"], email.upper())
        assert r.status_code == 400, r.text
        sent = r.json()
        assert sent["state"] == "sent_email" and sent["active"] == "code"
        assert message_ids(sent) == [1010014]
        assert _names(sent) == [
            ("default", "identifier", "hidden"),
            ("code", "method", "hidden"),
            ("code", "code", "text"),
            ("code", "method", "submit"),
            ("code", "resend", "submit"),
        ]  # an API flow: no csrf_token node (Kratos sets it for browsers only)
        assert node(sent, "identifier")["attributes"]["value"] == email
        assert node(sent, "code")["meta"]["label"]["id"] == 1070013
        assert node(sent, "resend")["meta"]["label"]["id"] == 1070008

        code = code_of(mail.wait(email)[0])
        wrong = "000000" if code != "000000" else "111111"
        r = api.post(
            f"/self-service/login?flow={flow['id']}",
            json={"method": "code", "identifier": email, "code": wrong},
        )
        assert r.status_code == 400 and message_ids(r.json()) == [4010008]

        r = api.post(
            f"/self-service/login?flow={flow['id']}",
            json={"method": "code", "identifier": email, "code": code},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["session"]["identity"]["id"] == identity["id"]
        assert [m["method"] for m in body["session"]["authentication_methods"]] == ["code"]
        assert body["session"]["authenticator_assurance_level"] == "aal1"
        who = api.get("/sessions/whoami", headers={"X-Session-Token": body["session_token"]})
        assert who.status_code == 200

        # The code was used: the same flow takes no second sign-in.
        r = api.post(
            f"/self-service/login?flow={flow['id']}",
            json={"method": "code", "identifier": email, "code": code},
        )
        assert r.status_code == 400
    [address] = _identity(server, identity["id"])["verifiable_addresses"]
    assert address["verified"] is True and address["status"] == "completed"


def test_native_code_login_through_the_sdk(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email()
    create_identity(server.admin_url, email)
    with frontend(server) as api:
        flow = api.create_native_login_flow()
        body = kratos.UpdateLoginFlowBody(
            kratos.UpdateLoginFlowWithCodeMethod(method="code", identifier=email, csrf_token="")
        )
        with pytest.raises(kratos.ApiException) as sent:
            api.update_login_flow(flow=flow.id, update_login_flow_body=body)
        assert sent.value.status == 400
        code = code_of(mail.wait(email)[0])
        body = kratos.UpdateLoginFlowBody(
            kratos.UpdateLoginFlowWithCodeMethod(
                method="code", identifier=email, code=code, csrf_token=""
            )
        )
        result = api.update_login_flow(flow=flow.id, update_login_flow_body=body)
        assert result.session_token and result.session.identity.traits["email"] == email


@pytest.mark.parametrize("json", [True, False], ids=["spa", "form"])
def test_browser_code_login(server: PhalanxServer, mail: MailSink, json: bool) -> None:
    email = unique_email()
    create_identity(server.admin_url, email)
    with Browser(server, json=json) as browser:
        flow = browser.init("login")
        r = browser.submit(flow, {"method": "code", "identifier": email})
        if json:
            assert r.status_code == 400 and r.json()["state"] == "sent_email"
            sent = r.json()
        else:
            assert r.status_code == 303
            assert r.headers["location"].endswith(f"flow={flow['id']}")
            sent = browser.get(f"/self-service/login/flows?id={flow['id']}").json()
        assert ("default", "csrf_token", "hidden") in _names(sent)
        code = code_of(mail.wait(email)[0])
        r = browser.submit(sent, {"method": "code", "identifier": email, "code": code})
        if json:
            assert r.status_code == 200, r.text
            assert r.json()["session"]["identity"]["traits"]["email"] == email
        else:
            assert r.status_code == 303, r.text
        who = browser.whoami()
        assert who.status_code == 200
        assert who.json()["authentication_methods"][0]["method"] == "code"


def test_unknown_identifier_answers_4000035(server: PhalanxServer) -> None:
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/login/api").json()
        r = _send(api, flow["id"], unique_email())
        assert r.status_code == 400 and message_ids(r.json()) == [4000035]
        r = _send(api, flow["id"], "")
        assert r.status_code == 400
        assert [m["id"] for m in node(r.json(), "identifier")["messages"]] == [4000002]


def test_resend_replaces_the_code(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email()
    create_identity(server.admin_url, email)
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/login/api").json()
        assert _send(api, flow["id"], email).status_code == 400
        first = code_of(mail.wait(email)[0])
        r = api.post(
            f"/self-service/login?flow={flow['id']}",
            json={"method": "code", "identifier": email, "resend": "code"},
        )
        assert r.status_code == 400 and r.json()["state"] == "sent_email"
        second = code_of(mail.wait(email, 2)[1])
        if first != second:
            r = api.post(
                f"/self-service/login?flow={flow['id']}",
                json={"method": "code", "identifier": email, "code": first},
            )
            assert r.status_code == 400 and message_ids(r.json()) == [4010008]
        r = api.post(
            f"/self-service/login?flow={flow['id']}",
            json={"method": "code", "identifier": email, "code": second},
        )
        assert r.status_code == 200, r.text


def test_max_submissions_then_the_right_code_is_refused(
    server: PhalanxServer, mail: MailSink
) -> None:
    email = unique_email()
    create_identity(server.admin_url, email)
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/login/api").json()
        assert _send(api, flow["id"], email).status_code == 400
        code = code_of(mail.wait(email)[0])
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(3):  # max_submissions: 3
            r = api.post(
                f"/self-service/login?flow={flow['id']}",
                json={"method": "code", "identifier": email, "code": wrong},
            )
            assert message_ids(r.json()) == [4010008]
        r = api.post(
            f"/self-service/login?flow={flow['id']}",
            json={"method": "code", "identifier": email, "code": code},
        )
        assert r.status_code == 400
        [message] = r.json()["ui"]["messages"]
        assert message["id"] == 4000001
        assert message["text"] == (
            "The request was submitted too often. Please request another code."
        )


def test_an_expired_code_expires_the_flow(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email()
    create_identity(server.admin_url, email)
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/login/api").json()
        assert _send(api, flow["id"], email).status_code == 400
        code = code_of(mail.wait(email)[0])
        path = server.dsn.removeprefix("sqlite://").split("?")[0]
        with sqlite3.connect(path) as db:
            db.execute(
                "UPDATE identity_login_codes SET expires_at = '2000-01-01 00:00:00.000000' "
                "WHERE selfservice_login_flow_id = ?",
                (flow["id"].replace("-", ""),),
            )
            changed = db.total_changes
        if not changed:
            pytest.skip("login codes are stored with another UUID encoding")
        r = api.post(
            f"/self-service/login?flow={flow['id']}",
            json={"method": "code", "identifier": email, "code": code},
        )
        assert r.status_code == 410, r.text
        error = error_of(r)
        assert error["id"] == "self_service_flow_expired"
        replacement = api.get(f"/self-service/login/flows?id={r.json()['use_flow_id']}").json()
        assert 4010001 in message_ids(replacement)


# -- registration --------------------------------------------------------------------------


def test_native_code_registration(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email()
    traits = {"email": email, "name": {"first": "Ada"}}
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/registration/api").json()
        r = api.post(
            f"/self-service/registration?flow={flow['id']}",
            json={"method": "code", "traits": traits},
        )
        assert r.status_code == 400, r.text
        sent = r.json()
        assert sent["state"] == "sent_email" and message_ids(sent) == [1040005]
        assert node(sent, "traits.email")["attributes"]["type"] == "hidden"
        assert node(sent, "code")["meta"]["label"]["id"] == 1070012
        assert node(sent, "screen")["attributes"]["value"] == "credential-selection"
        code = code_of(mail.wait(email)[0])
        # The identity does not exist before the code is entered.
        listed = httpx.get(
            f"{server.admin_url}/admin/identities", params={"credentials_identifier": email}
        ).json()
        assert listed == []

        r = api.post(
            f"/self-service/registration?flow={flow['id']}",
            json={"method": "code", "traits": {**traits, "email": unique_email()}, "code": code},
        )
        assert r.status_code == 400 and message_ids(r.json()) == [4000036]
        wrong = "000000" if code != "000000" else "111111"
        r = api.post(
            f"/self-service/registration?flow={flow['id']}",
            json={"method": "code", "traits": traits, "code": wrong},
        )
        assert r.status_code == 400 and message_ids(r.json()) == [4040003]
        r = api.post(
            f"/self-service/registration?flow={flow['id']}",
            json={"method": "code", "traits": traits, "code": code},
        )
        assert r.status_code == 200, r.text
        body = r.json()
    assert body["session_token"]
    [address] = body["identity"]["verifiable_addresses"]
    assert address["verified"] is True and address["value"] == email
    assert [m["method"] for m in body["session"]["authentication_methods"]] == ["code"]


def test_form_code_registration_and_back(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email()
    with Browser(server, json=False) as browser:
        flow = browser.init("registration")
        r = browser.submit(flow, {"method": "code", "traits.email": email})
        assert r.status_code == 303
        sent = browser.get(f"/self-service/registration/flows?id={flow['id']}").json()
        assert sent["state"] == "sent_email"
        # "Back" goes to the credential choice, the e-mail kept.
        r = browser.submit(
            sent, {"method": "code", "screen": "credential-selection", "traits.email": email}
        )
        assert r.status_code == 303
        back = browser.get(f"/self-service/registration/flows?id={flow['id']}").json()
        assert back["state"] == "choose_method"
        assert node(back, "traits.email")["attributes"]["value"] == email
        assert ("code", "method", "submit") in _names(back)
        r = browser.submit(back, {"method": "code", "traits.email": email})
        assert r.status_code == 303
        code = code_of(mail.wait(email, 2)[1])
        sent = browser.get(f"/self-service/registration/flows?id={flow['id']}").json()
        r = browser.submit(sent, {"method": "code", "traits.email": email, "code": code})
        assert r.status_code == 303, r.text
        assert browser.whoami().status_code == 200
