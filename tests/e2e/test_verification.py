"""Address verification with the ``code`` method, end to end (real server, real SMTP sink):
the verification flow for native, SPA and form clients, and the flows other flows start --
registration, an e-mail change in settings, and login's ``require_verified_address``."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from phalanx.testing import (
    PASSWORD,
    MailSink,
    code_of,
    create_identity,
    csrf_token,
    link_of,
    mail_config,
    message_ids,
    node,
)
from tests.support.api import SpecClient, error_of
from tests.support.identities import unique_email
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(mail: MailSink, module_server_factory: ServerFactory) -> PhalanxServer:
    config = mail_config(
        mail,
        selfservice={
            "flows": {
                "login": {"after": {"password": {"hooks": [{"hook": "require_verified_address"}]}}},
                "settings": {"after": {"profile": {"hooks": [{"hook": "show_verification_ui"}]}}},
            }
        },
    )
    return module_server_factory.start(config=config, args=("--watch-courier",))


def _identity(server: PhalanxServer, identity_id: str) -> dict[str, Any]:
    r = httpx.get(f"{server.admin_url}/admin/identities/{identity_id}", timeout=10)
    assert r.status_code == 200
    body: dict[str, Any] = r.json()
    return body


def _address(server: PhalanxServer, identity_id: str) -> dict[str, Any]:
    address: dict[str, Any] = _identity(server, identity_id)["verifiable_addresses"][0]
    return address


def test_native_verification_marks_the_address_verified(
    server: PhalanxServer, mail: MailSink
) -> None:
    email = unique_email("verify")
    identity = create_identity(server.admin_url, email)
    assert _address(server, identity["id"])["verified"] is False
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/verification/api").json()
        assert flow["state"] == "choose_method" and flow["active"] == "code"
        assert [n["attributes"]["name"] for n in flow["ui"]["nodes"]] == ["email", "method"]
        r = api.post(
            f"/self-service/verification?flow={flow['id']}", json={"method": "code", "email": email}
        )
        assert r.status_code == 200, r.text
        sent = r.json()
        assert sent["state"] == "sent_email"
        assert message_ids(sent) == [1080003]
        assert node(sent, "code")["meta"]["label"]["id"] == 1070011
        assert node(sent, "email", type="submit")["attributes"]["value"] == email
        assert _address(server, identity["id"])["status"] == "sent"

        message = mail.last(email)
        code = code_of(message)
        assert f"/self-service/verification?flow={flow['id']}&code={code}" in link_of(message)

        r = api.post(
            f"/self-service/verification?flow={flow['id']}",
            json={"method": "code", "code": "000000"},
        )
        assert r.status_code == 200 and message_ids(r.json()) == [4070006]
        r = api.post(
            f"/self-service/verification?flow={flow['id']}", json={"method": "code", "code": code}
        )
        assert r.status_code == 200, r.text
        done = r.json()
        assert done["state"] == "passed_challenge"
        assert message_ids(done) == [1080002]
        assert node(done, "continue")["attributes"]["href"] == f"{server.public_url}/welcome"
    address = _address(server, identity["id"])
    assert address["verified"] is True
    assert address["status"] == "completed"
    assert address["verified_at"]


def test_unknown_address_gets_the_same_answer_and_no_mail(
    server: PhalanxServer, mail: MailSink
) -> None:
    email = unique_email("nobody")
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/verification/api").json()
        r = api.post(
            f"/self-service/verification?flow={flow['id']}", json={"method": "code", "email": email}
        )
        assert r.status_code == 200
        assert message_ids(r.json()) == [1080003]
    assert mail.to(email) == []


def test_spa_verification(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("spa-verify")
    identity = create_identity(server.admin_url, email)
    with SpecClient(server.public_url, headers={"Accept": "application/json"}) as browser:
        flow = browser.get("/self-service/verification/browser?return_to=/welcome/back").json()
        assert flow["type"] == "browser"
        assert flow["return_to"] == "/welcome/back"
        r = browser.post(
            f"/self-service/verification?flow={flow['id']}",
            json={"method": "code", "email": email, "csrf_token": csrf_token(flow)},
        )
        assert r.status_code == 200, r.text
        code = code_of(mail.last(email))
        r = browser.post(
            f"/self-service/verification?flow={flow['id']}",
            json={"method": "code", "code": code, "csrf_token": csrf_token(r.json())},
        )
        assert r.status_code == 200, r.text
        done = r.json()
        assert done["state"] == "passed_challenge"
        assert done["ui"]["action"] == f"{server.public_url}/welcome/back"
        assert done["ui"]["method"] == "GET"
    assert _address(server, identity["id"])["verified"] is True


def test_form_verification_and_the_mailed_link(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("form-verify")
    identity = create_identity(server.admin_url, email)
    with SpecClient(server.public_url, follow_redirects=False) as browser:
        r = browser.get("/self-service/verification/browser", validate=False)
        assert r.status_code == 303
        flow_id = parse_qs(urlsplit(r.headers["location"]).query)["flow"][0]
        flow = browser.get(f"/self-service/verification/flows?id={flow_id}").json()
        r = browser.post(
            f"/self-service/verification?flow={flow_id}",
            data={"method": "code", "email": email, "csrf_token": csrf_token(flow)},
            validate=False,
        )
        assert r.status_code == 303
    # The mailed link is opened in another browser (and before that by a mail scanner): as
    # in Kratos, the GET uses nothing; it fills the code into the flow and sends the
    # browser to the UI with a fresh CSRF cookie.
    link = link_of(mail.last(email))
    code = code_of(mail.last(email))
    assert httpx.get(link, timeout=10, follow_redirects=False).status_code == 303
    assert _address(server, identity["id"])["verified"] is False
    with SpecClient(server.public_url, follow_redirects=False) as other:
        opened = other.get(link, validate=False)
        assert opened.status_code == 303
        assert opened.headers["location"] == f"{server.public_url}/ui/verification?flow={flow_id}"
        shown = other.get(f"/self-service/verification/flows?id={flow_id}").json()
        assert shown["state"] == "sent_email"
        assert node(shown, "code")["attributes"]["value"] == code
        r = other.post(
            f"/self-service/verification?flow={flow_id}",
            data={"method": "code", "code": code, "csrf_token": csrf_token(shown)},
            validate=False,
        )
        assert r.status_code == 303
        assert r.headers["location"] == f"{server.public_url}/ui/verification?flow={flow_id}"
        # The code proved the flow: it is now bound to the browser that used it.
        done = other.get(f"/self-service/verification/flows?id={flow_id}").json()
        assert done["state"] == "passed_challenge"
    assert _address(server, identity["id"])["verified"] is True


def test_used_flow_cannot_be_replayed(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("replay")
    create_identity(server.admin_url, email)
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/verification/api").json()
        api.post(
            f"/self-service/verification?flow={flow['id']}", json={"method": "code", "email": email}
        )
        code = code_of(mail.last(email))
        api.post(
            f"/self-service/verification?flow={flow['id']}", json={"method": "code", "code": code}
        )
        r = api.post(
            f"/self-service/verification?flow={flow['id']}",
            json={"method": "code", "code": code},
            validate=False,
        )
        assert r.status_code == 410
        body = r.json()
        assert error_of(r)["id"] == "self_service_flow_replaced"
        fresh = api.get(f"/self-service/verification/flows?id={body['use_flow_id']}").json()
        assert message_ids(fresh) == [4070002]


# -- flows started by other flows ---------------------------------------------------------------


def _register_native(server: PhalanxServer, email: str) -> dict[str, Any]:
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/registration/api").json()
        r = api.post(
            f"/self-service/registration?flow={flow['id']}",
            json={"method": "password", "password": PASSWORD, "traits": {"email": email}},
        )
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


def test_native_registration_sends_the_verification_code(
    server: PhalanxServer, mail: MailSink
) -> None:
    email = unique_email("register")
    registered = _register_native(server, email)
    items = {item["action"]: item for item in registered["continue_with"]}
    assert set(items) == {"set_ory_session_token", "show_verification_ui"}
    show = items["show_verification_ui"]["flow"]
    assert show["verifiable_address"] == email
    assert "url" not in show  # API flows get no UI URL
    code = code_of(mail.last(email))
    with SpecClient(server.public_url) as api:
        flow = api.get(f"/self-service/verification/flows?id={show['id']}").json()
        assert flow["state"] == "sent_email" and message_ids(flow) == [1080003]
        r = api.post(
            f"/self-service/verification?flow={show['id']}", json={"method": "code", "code": code}
        )
        assert r.json()["state"] == "passed_challenge"
    assert _address(server, registered["identity"]["id"])["verified"] is True


def test_browser_registration_redirects_to_verification(
    server: PhalanxServer, mail: MailSink
) -> None:
    email = unique_email("register-form")
    with SpecClient(server.public_url, follow_redirects=False) as browser:
        r = browser.get("/self-service/registration/browser", validate=False)
        flow_id = parse_qs(urlsplit(r.headers["location"]).query)["flow"][0]
        flow = browser.get(f"/self-service/registration/flows?id={flow_id}").json()
        r = browser.post(
            f"/self-service/registration?flow={flow_id}",
            data={
                "method": "password",
                "password": PASSWORD,
                "traits.email": email,
                "csrf_token": csrf_token(flow),
            },
            validate=False,
        )
        assert r.status_code == 303, r.text
        target = r.headers["location"]
        assert target.startswith(f"{server.public_url}/ui/verification?flow=")
        verification_id = parse_qs(urlsplit(target).query)["flow"][0]
        # The registration issued a session (and so a new CSRF cookie): the verification flow
        # still opens in this browser.
        shown = browser.get(f"/self-service/verification/flows?id={verification_id}").json()
        code = code_of(mail.last(email))
        r = browser.post(
            f"/self-service/verification?flow={verification_id}",
            data={"method": "code", "code": code, "csrf_token": csrf_token(shown)},
            validate=False,
        )
        assert r.status_code == 303
        done = browser.get(f"/self-service/verification/flows?id={verification_id}").json()
        assert done["state"] == "passed_challenge"


def test_settings_email_change_verifies_the_new_address(
    server: PhalanxServer, mail: MailSink
) -> None:
    email = unique_email("old")
    registered = _register_native(server, email)
    token = registered["session_token"]
    new_email = unique_email("new")
    with SpecClient(server.public_url, headers={"X-Session-Token": token}) as api:
        flow = api.get("/self-service/settings/api").json()
        r = api.post(
            f"/self-service/settings?flow={flow['id']}",
            json={"method": "profile", "traits": {"email": new_email}},
        )
        assert r.status_code == 200, r.text
        items = [
            i for i in r.json().get("continue_with", []) if i["action"] == "show_verification_ui"
        ]
        assert len(items) == 1 and items[0]["flow"]["verifiable_address"] == new_email
        code = code_of(mail.last(new_email))
        assert _address(server, registered["identity"]["id"])["status"] == "sent"
        # Saving the profile again does not start another verification for that address.
        flow = api.get("/self-service/settings/api").json()
        r = api.post(
            f"/self-service/settings?flow={flow['id']}",
            json={"method": "profile", "traits": {"email": new_email, "name": {"first": "A"}}},
        )
        assert r.status_code == 200, r.text
        assert "continue_with" not in r.json()
        r = api.post(
            f"/self-service/verification?flow={items[0]['flow']['id']}",
            json={"method": "code", "code": code},
        )
        assert r.json()["state"] == "passed_challenge"
    addresses = _identity(server, registered["identity"]["id"])["verifiable_addresses"]
    assert [(a["value"], a["verified"]) for a in addresses] == [(new_email, True)]
    assert len(mail.to(new_email)) == 1


def test_login_requires_a_verified_address(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("must-verify")
    create_identity(server.admin_url, email)
    with SpecClient(server.public_url, headers={"Accept": "application/json"}) as api:
        flow = api.get("/self-service/login/api").json()
        r = api.post(
            f"/self-service/login?flow={flow['id']}",
            json={"method": "password", "identifier": email, "password": PASSWORD},
            validate=False,
        )
        assert r.status_code == 403, r.text
        error = r.json()["error"]  # Kratos writes this 400 error with status 403
        assert error["id"] == "session_verified_address_required"
        item = error["details"]["continue_with"][0]
        assert item["action"] == "show_verification_ui"
        code = code_of(mail.last(email))
        r = api.post(
            f"/self-service/verification?flow={item['flow']['id']}",
            json={"method": "code", "code": code},
        )
        assert r.json()["state"] == "passed_challenge"
        flow = api.get("/self-service/login/api").json()
        r = api.post(
            f"/self-service/login?flow={flow['id']}",
            json={"method": "password", "identifier": email, "password": PASSWORD},
            validate=False,
        )
        assert r.status_code == 200, r.text
        assert r.json()["session_token"]
