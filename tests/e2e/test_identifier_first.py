"""Identifier-first login (``selfservice.flows.login.style: identifier_first``), end to
end for native, SPA and form clients: step 1 asks for the identifier only, step 2 shows
the methods that identity can use; unknown identifiers answer 4000037."""

from __future__ import annotations

from typing import Any

import pytest

from phalanx.testing import PASSWORD, Browser, MailSink, code_of, create_identity, message_ids, node
from tests.e2e.test_code_login import code_config
from tests.support.api import SpecClient
from tests.support.identities import unique_email
from tests.support.openapi import assert_matches_spec
from tests.support.server import PhalanxServer, ServerFactory, deep_merge

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(mail: MailSink, module_server_factory: ServerFactory) -> PhalanxServer:
    config = deep_merge(
        code_config(mail), {"selfservice": {"flows": {"login": {"style": "identifier_first"}}}}
    )
    return module_server_factory.start(config=config, args=("--watch-courier",))


def _names(flow: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (n["group"], n["attributes"].get("name", ""), n["attributes"].get("type", ""))
        for n in flow["ui"]["nodes"]
    ]


def _identify(api: SpecClient, flow: dict[str, Any], identifier: str) -> Any:
    """Step 1. Not validated against the spec: Kratos v25.4 answers ``"active":
    "identifier_first"``, which its own OpenAPI enum for ``active`` lacks."""
    r = api.post(
        f"/self-service/login?flow={flow['id']}",
        json={"method": "identifier_first", "identifier": identifier},
        validate=False,
    )
    body = r.json()
    assert body.get("active") in (None, "identifier_first")
    if "ui" in body:
        checked_copy = {**body}
        checked_copy.pop("active", None)
        assert_matches_spec("post", "/self-service/login", r.status_code, checked_copy)
    return r


def test_step_one_asks_for_the_identifier_only(server: PhalanxServer) -> None:
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/login/api").json()
    # Kratos v25.4's login sort order does not list the identifier_first group, and
    # groups it does not list come first.
    assert _names(flow) == [
        ("identifier_first", "identifier", "text"),
        ("identifier_first", "method", "submit"),
        ("default", "csrf_token", "hidden"),
    ]
    identifier = node(flow, "identifier")["attributes"]
    assert identifier["autocomplete"] == "username webauthn" and identifier["required"] is True
    assert node(flow, "method")["meta"]["label"]["id"] == 1070009


def test_known_identifier_then_password(server: PhalanxServer) -> None:
    email = unique_email()
    identity = create_identity(server.admin_url, email)
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/login/api").json()
        r = _identify(api, flow, email)
        assert r.status_code == 400, r.text
        step = r.json()
        assert step["active"] == "identifier_first" and step["state"] == "choose_method"
        assert message_ids(step) == []
        names = _names(step)
        assert ("identifier_first", "identifier", "hidden") in names
        assert ("identifier_first", "method", "submit") not in names
        assert ("password", "password", "password") in names
        methods = {
            n["group"]: n["meta"]["label"]["id"]
            for n in step["ui"]["nodes"]
            if n["attributes"].get("name") == "method"
        }
        assert methods == {"password": 1010022, "code": 1010015}
        assert node(step, "identifier")["attributes"]["value"] == email
        r = api.post(
            f"/self-service/login?flow={flow['id']}",
            json={"method": "password", "identifier": email, "password": PASSWORD},
        )
        assert r.status_code == 200, r.text
        assert r.json()["session"]["identity"]["id"] == identity["id"]


def test_identity_without_password_gets_the_code_only(
    server: PhalanxServer, mail: MailSink
) -> None:
    email = unique_email()
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/registration/api").json()
        url = f"/self-service/registration?flow={flow['id']}"
        api.post(url, json={"method": "code", "traits": {"email": email}})
        code = code_of(mail.wait(email)[0])
        assert api.post(url, json={"method": "code", "traits": {"email": email}, "code": code})
        flow = api.get("/self-service/login/api").json()
        step = _identify(api, flow, email).json()
        assert [g for g, name, _ in _names(step) if name == "method"] == ["code"]
        r = api.post(
            f"/self-service/login?flow={flow['id']}", json={"method": "code", "identifier": email}
        )
        assert r.status_code == 400 and r.json()["state"] == "sent_email"


def test_unknown_identifier_is_4000037(server: PhalanxServer) -> None:
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/login/api").json()
        r = _identify(api, flow, unique_email())
        assert r.status_code == 400
        failed = r.json()
        [message] = node(failed, "identifier")["messages"]
        assert message["id"] == 4000037
        assert node(failed, "identifier")["attributes"]["type"] == "text"
        r = _identify(api, flow, "")
        assert r.status_code == 400
        assert [m["id"] for m in node(r.json(), "identifier")["messages"]] == [4000003]


@pytest.mark.parametrize("json", [True, False], ids=["spa", "form"])
def test_browser_identifier_first(server: PhalanxServer, json: bool) -> None:
    email = unique_email()
    create_identity(server.admin_url, email)
    with Browser(server, json=json) as browser:
        flow = browser.init("login")
        data = {"method": "identifier_first", "identifier": email}
        data["csrf_token"] = node(flow, "csrf_token")["attributes"]["value"]
        action = flow["ui"]["action"]
        # Raw posts: "active": "identifier_first" is missing from v25.4's OpenAPI enum.
        if json:
            r = browser.http.post(action, json=data)
            assert r.status_code == 400
            step = r.json()
        else:
            r = browser.http.post(action, data=data)
            assert r.status_code == 303
            step = browser.http.get(f"/self-service/login/flows?id={flow['id']}").json()
        assert ("identifier_first", "identifier", "hidden") in _names(step)
        r = browser.submit(step, {"method": "password", "identifier": email, "password": PASSWORD})
        assert r.status_code == (200 if json else 303), r.text
        assert browser.whoami().status_code == 200


def test_refresh_ignores_the_style(server: PhalanxServer) -> None:
    email = unique_email()
    create_identity(server.admin_url, email)
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/login/api").json()
        _identify(api, flow, email)
        token = api.post(
            f"/self-service/login?flow={flow['id']}",
            json={"method": "password", "identifier": email, "password": PASSWORD},
        ).json()["session_token"]
        refresh = api.get(
            "/self-service/login/api",
            params={"refresh": "true"},
            headers={"X-Session-Token": token},
        ).json()
    assert ("identifier_first", "method", "submit") not in _names(refresh)
    assert ("password", "method", "submit") in _names(refresh)
