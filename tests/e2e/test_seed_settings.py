"""THE SEED REPLAY: every curl exchange of the two seed documents, against a real server.

* ``seeds/003`` -- "User settings and profile updates" (Ory docs, 2021): registration via
  the API flow, the browser login, the settings flow for plain browsers, AJAX clients and
  API clients, its node payloads, validation errors and successful updates;
* ``seeds/000`` -- a 2024 Q&A about ``POST /self-service/settings``: API answers 200 / 401 /
  403 / 400, browser answers 303 / 200 + Set-Cookie / 401 / 403 / 400.

Same methods, headers and bodies as the curl commands. The server is configured like the
seed's snippets (``privileged_session_max_age: 1m``, ``ui_url:
http://127.0.0.1:4455/auth/settings``, methods password, oidc and profile) with the Ory
quickstart identity schema the seed's payloads come from.

Where the 2021 documents and Kratos v25.4 differ, the v25.4 form is asserted and a
``SEED:`` comment quotes the document's form. The differences, in short:

1. format errors read ``"notanemail" is not valid "email"`` with ``context.reason``
   (SEED: ``"notanemail" isn't valid "email"``, no context);
2. message 1050001 has type ``success`` (SEED: ``info``);
3. node ``messages`` are ``[]``, never ``null``; attributes carry ``node_type``; the
   e-mail input is ``required`` with ``autocomplete: email``; generated labels carry
   ``context: {name, title}``; empty values are left out (SEED: ``"value": ""``);
4. a missing password is 4000002 "Property password is missing."; an empty one is
   4000003 "length must be >= 1, but got 0" (SEED: 4000001 with that text for both);
5. a breached password is 4000034 "The password has been found in data breaches and must
   no longer be used." with ``context.breaches`` (SEED: 4000005 "The password can't be
   used because ..." with ``context.reason``);
6. the SEED shows verifiable addresses with status ``sent`` -- that needs the verification
   flow; with verification disabled (here) the status stays ``pending``;
7. the API success example shows ``"type": "browser"`` and a fetch example shows a
   registration flow -- copy-paste slips in the document; the API flow is ``api``;
8. browser JSON clients also get ``continue_with: [{action: redirect_browser_to}]``;
9. the SEED's AJAX init sets the CSRF cookie because its cookie jar did not send one (the
   playground's cookie path was ``/api/kratos/public``); Kratos and Phalanx only set it
   when it is missing, so the replay drops it from the jar first; its name is
   ``csrf_token_<sha256(public URL)>`` (SEED: the playground's base64 prefix);
10. seed 000 POSTs to ``/self-service/settings/api`` -- the submit URL is the flow's
    ``ui.action`` (``/self-service/settings?flow=``); the API success answer is the
    settings flow, not a session token; an expired flow answers 410 with
    ``use_flow_id`` (SEED 000: a 303 to a fresh flow);
11. no OIDC provider is configured, so the ``oidc`` group is empty (linking is not part
    of this issue); JSON answers are ``application/json`` (SEED: ``; charset=utf-8``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from phalanx.testing import client
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

UI_URL = "http://127.0.0.1:4455/auth/settings"

#: The Ory quickstart schema the seed's payloads ("E-Mail", "First Name", "Last Name").
QUICKSTART_SCHEMA = {
    "$id": "https://schemas.ory.sh/presets/kratos/quickstart/email-password/identity.schema.json",
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Person",
    "type": "object",
    "properties": {
        "traits": {
            "type": "object",
            "properties": {
                "email": {
                    "type": "string",
                    "format": "email",
                    "title": "E-Mail",
                    "minLength": 3,
                    "ory.sh/kratos": {
                        "credentials": {"password": {"identifier": True}},
                        "verification": {"via": "email"},
                        "recovery": {"via": "email"},
                    },
                },
                "name": {
                    "type": "object",
                    "properties": {
                        "first": {"title": "First Name", "type": "string"},
                        "last": {"title": "Last Name", "type": "string"},
                    },
                },
            },
            "required": ["email"],
            "additionalProperties": False,
        }
    },
}


def seed_config(schema_url: str) -> dict[str, Any]:
    """The seed's config snippets, plus what a test server needs."""
    return {
        "identity": {
            "default_schema_id": "default",
            "schemas": [{"id": "default", "url": schema_url}],
        },
        "selfservice": {
            "methods": {
                "password": {"enabled": True, "config": {"haveibeenpwned_enabled": False}},
                "oidc": {"enabled": True, "config": {"providers": []}},
                "profile": {"enabled": True},
            },
            "flows": {
                "settings": {
                    # "Sessions older than a minute requires the user to sign in again before
                    # the password is changed."
                    "privileged_session_max_age": "1m",
                    # "becomes http://127.0.0.1:4455/auth/settings?flow=df607aa1-..."
                    "ui_url": UI_URL,
                },
                "registration": {"after": {"password": {"hooks": [{"hook": "session"}]}}},
            },
        },
    }


@pytest.fixture(scope="module")
def schema_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("seed") / "identity.schema.json"
    path.write_text(json.dumps(QUICKSTART_SCHEMA), encoding="utf-8")
    return path.as_uri()


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory, schema_url: str) -> PhalanxServer:
    return module_server_factory.start(config=seed_config(schema_url))


@pytest.fixture(scope="module")
def stale_server(module_server_factory: ServerFactory, schema_url: str) -> PhalanxServer:
    """Seed 000's 403: ``privileged_session_max_age`` exceeded (1s via the environment)."""
    return module_server_factory.start(
        config=seed_config(schema_url),
        env={"SELFSERVICE_FLOWS_SETTINGS_PRIVILEGED_SESSION_MAX_AGE": "1s"},
    )


@dataclass
class User:
    username: str
    password: str
    session_token: str
    identity: dict[str, Any]


def seed_password() -> str:
    """``password=$(openssl rand -base64 12)``."""
    return base64.b64encode(os.urandom(12)).decode()


def register(server: PhalanxServer) -> User:
    """The seed's registration snippet, verbatim."""
    username = f"dev+docs.{time.time_ns()}@ory.sh"  # dev+docs.$(date +%s)@ory.sh
    password = seed_password()
    with client(server.public_url) as curl:
        # actionUrl=$(curl -s -H "Accept: application/json" '.../self-service/registration/api'
        #   | jq -r '.ui.action')
        r = curl.get("/self-service/registration/api", headers={"Accept": "application/json"})
        action_url = r.json()["ui"]["action"]
        # session=$(curl -s -X POST -H "Accept: application/json" -H "Content-Type:
        #   application/json" --data '{ "traits.email": ..., "password": ..., "method":
        #   "password" }' "$actionUrl")
        session = curl.post(
            action_url,
            headers={"Accept": "application/json", "Content-Type": "application/json"},
            content=json.dumps(
                {"traits.email": username, "password": password, "method": "password"}
            ),
        )
    assert session.status_code == 200, session.text
    body = session.json()
    # sessionToken=$(echo $session | jq -r '.session_token')
    assert body["session_token"].startswith("ory_st_")
    return User(username, password, body["session_token"], body["identity"])


def browser_login(server: PhalanxServer, user: User) -> httpx.Client:
    """The seed's browser login with a cookie jar (``cookieJar=$(mktemp)``)."""
    cookie_jar = client(server.public_url)
    # flow=$(curl -s -H "Accept: application/json" --cookie $cookieJar --cookie-jar $cookieJar
    #   '.../self-service/login/browser')
    flow = cookie_jar.get("/self-service/login/browser", headers={"Accept": "application/json"})
    assert flow.status_code == 200
    action_url = flow.json()["ui"]["action"]
    csrf_token = csrf_of(flow.json())
    # curl -s --cookie $cookieJar --cookie-jar $cookieJar -X POST -H "Accept: application/json"
    #   -H "Content-Type: application/json" --data '{ "identifier": ..., "password": ...,
    #   "method": "password", "csrf_token": ... }' "$actionUrl"
    session = cookie_jar.post(
        action_url,
        headers={"Accept": "application/json", "Content-Type": "application/json"},
        content=json.dumps(
            {
                "identifier": user.username,
                "password": user.password,
                "method": "password",
                "csrf_token": csrf_token,
            }
        ),
    )
    assert session.status_code == 200, session.text
    assert session.json()["session"]["identity"]["traits"]["email"] == user.username
    return cookie_jar


def csrf_of(flow: dict[str, Any]) -> str:
    """``jq -r '.ui.nodes[] | select(.attributes.name=="csrf_token") | .attributes.value'``."""
    [value] = [
        n["attributes"]["value"]
        for n in flow["ui"]["nodes"]
        if n["attributes"].get("name") == "csrf_token"
    ]
    assert isinstance(value, str)
    return value


def group(flow: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """``jq -r '.ui.nodes[] | select(.group=="<name>")'``."""
    return [n for n in flow["ui"]["nodes"] if n["group"] == name]


def bearer(token: str) -> dict[str, str]:
    return {"Accept": "application/json", "Authorization": f"bearer {token}"}


@pytest.fixture(scope="module")
def user(server: PhalanxServer) -> User:
    return register(server)


@pytest.fixture(scope="module")
def cookie_jar(server: PhalanxServer, user: User) -> Iterator[httpx.Client]:
    jar = browser_login(server, user)
    yield jar
    jar.close()


def email_node(value: str, messages: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The seed's ``traits.email`` node in its v25.4 form."""
    return {
        "type": "input",
        "group": "profile",
        "attributes": {
            "name": "traits.email",
            "type": "email",
            "value": value,
            "required": True,  # SEED: absent (v25.4 renders the schema's "required")
            "autocomplete": "email",  # SEED: absent (v25.4: format email -> autocomplete)
            "disabled": False,
            "node_type": "input",  # SEED: absent
        },
        "messages": messages or [],
        "meta": {
            "label": {
                "id": 1070002,
                "text": "E-Mail",
                "type": "info",
                "context": {"name": "traits.email", "title": "E-Mail"},  # SEED: absent
            }
        },
    }


def name_node(part: str, title: str) -> dict[str, Any]:
    return {
        "type": "input",
        "group": "profile",
        # SEED: "value": "" -- v25.4 leaves empty values out.
        "attributes": {
            "name": f"traits.name.{part}",
            "type": "text",
            "disabled": False,
            "node_type": "input",
        },
        "messages": [],  # SEED: null
        "meta": {
            "label": {
                "id": 1070002,
                "text": title,
                "type": "info",
                "context": {"name": f"traits.name.{part}", "title": title},
            }
        },
    }


def submit_node(group_name: str) -> dict[str, Any]:
    return {
        "type": "input",
        "group": group_name,
        "attributes": {
            "name": "method",
            "type": "submit",
            "value": group_name,
            "disabled": False,
            "node_type": "input",
        },
        "messages": [],  # SEED: [] in the first listing, null in the later ones
        "meta": {"label": {"id": 1070003, "text": "Save", "type": "info"}},
    }


def password_node(messages: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "type": "input",
        "group": "password",
        "attributes": {
            "name": "password",
            "type": "password",
            "required": True,
            "autocomplete": "new-password",  # SEED: absent
            "disabled": False,
            "node_type": "input",
        },
        "messages": messages or [],
        "meta": {"label": {"id": 1070001, "text": "Password", "type": "info"}},
    }


SAVED = {
    "id": 1050001,
    "text": "Your changes have been saved!",
    "type": "success",  # SEED: "info"
}


# == seed 003: initialize the settings flow ================================================


def test_seed_browser_init_redirects_to_the_settings_ui(
    server: PhalanxServer, cookie_jar: httpx.Client
) -> None:
    # curl -s -i -X GET --cookie $cookieJar --cookie-jar $cookieJar -H "Accept: text/html"
    #   https://playground.projects.oryapis.com/self-service/settings/browser
    r = cookie_jar.get("/self-service/settings/browser", headers={"Accept": "text/html"})
    # HTTP/2 303
    assert r.status_code == 303
    # content-type: text/html; charset=utf-8
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    # location: https://playground.projects.oryapis.com/hosted/settings?flow=95efce11-...
    location = r.headers["location"]
    flow_id = location.removeprefix(f"{UI_URL}?flow=")
    assert location == f"{UI_URL}?flow={flow_id}" and len(flow_id) == 36
    # cache-control: private, no-cache, no-store, must-revalidate
    assert r.headers["cache-control"] == "private, no-cache, no-store, must-revalidate"
    # <a href="https://playground.projects.oryapis.com/hosted/settings?flow=...">See Other</a>.
    assert r.text.strip() == f'<a href="{location}">See Other</a>.'


def test_seed_ajax_init_answers_the_flow_and_sets_the_csrf_cookie(
    server: PhalanxServer,
) -> None:
    user = register(server)
    cookie_jar = browser_login(server, user)
    # SEED: the jar did not send the CSRF cookie (see difference 9), so it is set here.
    csrf_cookie = "csrf_token_" + hashlib.sha256(f"{server.public_url}/".encode()).hexdigest()
    cookie_jar.cookies.delete(csrf_cookie)
    # curl -v -s -X GET --cookie $cookieJar --cookie-jar $cookieJar -H "Accept:
    #   application/json" https://playground.projects.oryapis.com/self-service/settings/browser
    r = cookie_jar.get("/self-service/settings/browser", headers={"Accept": "application/json"})
    # < HTTP/2 200
    assert r.status_code == 200
    # < content-type: application/json; charset=utf-8   (difference 11)
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["cache-control"] == "private, no-cache, no-store, must-revalidate"
    # < set-cookie: <...>_csrf_token=wSDo...=; Path=/api/kratos/public; Domain=...;
    #   Max-Age=31536000; HttpOnly; Secure; SameSite=None
    set_cookie = r.headers["set-cookie"]
    assert set_cookie.startswith(f"{csrf_cookie}=")
    assert "Max-Age=31536000" in set_cookie and "HttpOnly" in set_cookie
    assert "Path=/" in set_cookie
    assert "samesite=lax" in set_cookie.lower()  # dev mode: not Secure, so Lax
    flow = r.json()
    assert set(flow) >= {"id", "type", "expires_at", "issued_at", "request_url", "ui"}
    assert flow["type"] == "browser"
    assert flow["request_url"] == f"{server.public_url}/self-service/settings/browser"
    assert flow["ui"]["action"] == f"{server.public_url}/self-service/settings?flow={flow['id']}"
    assert flow["ui"]["method"] == "POST"
    # The form's token is bound to the cookie just set: a submission with it passes.
    traits = {"email": user.username, "name": {"first": "Ajax"}}
    r = cookie_jar.post(
        flow["ui"]["action"],
        headers={"Accept": "application/json"},
        json={"csrf_token": csrf_of(flow), "method": "profile", "traits": traits},
    )
    assert r.status_code == 200, r.text
    cookie_jar.close()


def test_seed_api_init(server: PhalanxServer, user: User) -> None:
    with client(server.public_url) as curl:
        # curl -s -X GET -H "Accept: application/json" -H "Authorization: bearer $sessionToken"
        #   https://playground.projects.oryapis.com/self-service/settings/api | jq
        r = curl.get("/self-service/settings/api", headers=bearer(user.session_token))
    assert r.status_code == 200
    flow = r.json()
    assert flow["type"] == "api" and flow["state"] == "show_form"
    assert flow["request_url"] == f"{server.public_url}/self-service/settings/api"
    assert flow["ui"]["action"] == f"{server.public_url}/self-service/settings?flow={flow['id']}"
    assert flow["ui"]["method"] == "POST"
    issued = httpx_time(flow["issued_at"])
    assert httpx_time(flow["expires_at"]) - issued == 3600  # flows live 1h
    identity = flow["identity"]
    assert identity["id"] == user.identity["id"]
    assert identity["schema_id"] == "default"
    assert identity["schema_url"] == f"{server.public_url}/schemas/ZGVmYXVsdA"
    assert identity["state"] == "active" and identity["state_changed_at"]
    assert identity["traits"] == {"email": user.username}
    [verifiable] = identity["verifiable_addresses"]
    assert verifiable["value"] == user.username and verifiable["via"] == "email"
    assert verifiable["verified"] is False and verifiable.get("verified_at") is None
    assert verifiable["status"] == "pending"  # SEED: "sent" (difference 6)
    assert verifiable["created_at"] and verifiable["updated_at"]
    [recovery] = identity["recovery_addresses"]
    assert recovery["value"] == user.username and recovery["via"] == "email"
    assert identity["created_at"] and identity["updated_at"]


def httpx_time(value: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def api_flow_id(curl: httpx.Client, token: str) -> str:
    # flowId=$(curl -s -X GET -H "Accept: application/json" -H "Authorization: bearer
    #   $sessionToken" https://playground.projects.oryapis.com/self-service/settings/api
    #   | jq -r '.id')
    flow_id: str = curl.get("/self-service/settings/api", headers=bearer(token)).json()["id"]
    return flow_id


def fetch_flow(curl: httpx.Client, token: str, flow_id: str) -> dict[str, Any]:
    # curl -s -X GET -H "Accept: application/json" -H "Authorization: bearer $sessionToken"
    #   "https://playground.projects.oryapis.com/self-service/settings/flows?id=$flowId" | jq
    r = curl.get(f"/self-service/settings/flows?id={flow_id}", headers=bearer(token))
    assert r.status_code == 200, r.text
    flow: dict[str, Any] = r.json()
    return flow


def test_seed_settings_flow_payloads(server: PhalanxServer, user: User) -> None:
    with client(server.public_url) as curl:
        flow_id = api_flow_id(curl, user.session_token)
        flow = fetch_flow(curl, user.session_token, flow_id)
    # SEED: the example answer is a registration flow (difference 7).
    assert flow["id"] == flow_id and flow["type"] == "api"
    assert flow["request_url"] == f"{server.public_url}/self-service/settings/api"
    assert flow["ui"]["action"] == f"{server.public_url}/self-service/settings?flow={flow_id}"


def test_seed_update_profile_nodes(server: PhalanxServer, user: User) -> None:
    with client(server.public_url) as curl:
        # curl -s -X GET -H "Authorization: Bearer $sessionToken" -H "Accept: application/json"
        #   .../self-service/settings/api | jq -r '.ui.nodes[] | select(.group=="profile")'
        r = curl.get(
            "/self-service/settings/api",
            headers={"Authorization": f"Bearer {user.session_token}", "Accept": "application/json"},
        )
    assert group(r.json(), "profile") == [
        email_node(user.username),
        name_node("first", "First Name"),
        name_node("last", "Last Name"),
        submit_node("profile"),
    ]


def test_seed_update_password_nodes(server: PhalanxServer, user: User) -> None:
    with client(server.public_url) as curl:
        # ... | jq -r '.ui.nodes[] | select(.group=="password")'
        r = curl.get(
            "/self-service/settings/api",
            headers={"Authorization": f"Bearer {user.session_token}", "Accept": "application/json"},
        )
    assert group(r.json(), "password") == [password_node(), submit_node("password")]


def test_seed_oidc_nodes(server: PhalanxServer, user: User) -> None:
    with client(server.public_url) as curl:
        flow = fetch_flow(curl, user.session_token, api_flow_id(curl, user.session_token))
    # ... | jq -r '.ui.nodes[] | select(.group=="oidc")'
    # SEED: "Link github" / "Unlink google" buttons -- no provider is configured here.
    assert group(flow, "oidc") == []


# == seed 003: settings form validation ==================================================


def test_seed_profile_not_an_email(server: PhalanxServer, user: User) -> None:
    with client(server.public_url) as curl:
        flow_id = api_flow_id(curl, user.session_token)
        r = curl.post(
            f"/self-service/settings?flow={flow_id}",
            headers={**bearer(user.session_token), "Content-Type": "application/json"},
            content=json.dumps({"method": "profile", "traits": {"email": "notanemail"}}),
        )
        assert r.status_code == 400
        flow = fetch_flow(curl, user.session_token, flow_id)
    reason = '"notanemail" is not valid "email"'  # SEED: "\"notanemail\" isn't valid \"email\""
    error = {"id": 4000001, "text": reason, "type": "error", "context": {"reason": reason}}
    assert group(flow, "profile") == [
        email_node("notanemail", [error]),
        name_node("first", "First Name"),
        name_node("last", "Last Name"),
        submit_node("profile"),
    ]
    assert group(r.json(), "profile") == group(flow, "profile")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(
            {"method": "password"},
            {
                "id": 4000002,
                "text": "Property password is missing.",
                "type": "error",
                "context": {"property": "password"},
            },
            id="missing",
        ),
        pytest.param(
            {"method": "password", "password": ""},
            {
                "id": 4000003,
                "text": "length must be >= 1, but got 0",
                "type": "error",
                "context": {"min_length": 1, "actual_length": 0},
            },
            id="empty",
        ),
    ],
)
def test_seed_missing_password(
    server: PhalanxServer, user: User, body: dict[str, Any], message: dict[str, Any]
) -> None:
    # SEED: {"id": 4000001, "text": "length must be >= 1, but got 0", "type": "error"}
    # (difference 4)
    with client(server.public_url) as curl:
        flow_id = api_flow_id(curl, user.session_token)
        r = curl.post(
            f"/self-service/settings?flow={flow_id}",
            headers={**bearer(user.session_token), "Content-Type": "application/json"},
            content=json.dumps(body),
        )
        assert r.status_code == 400
        flow = fetch_flow(curl, user.session_token, flow_id)
    assert group(flow, "password") == [password_node([message]), submit_node("password")]


def test_seed_password_policy_violation(server: PhalanxServer, user: User) -> None:
    with client(server.public_url) as curl:
        flow_id = api_flow_id(curl, user.session_token)
        r = curl.post(
            f"/self-service/settings?flow={flow_id}",
            headers={**bearer(user.session_token), "Content-Type": "application/json"},
            content=json.dumps({"method": "password", "password": "password123"}),
        )
        assert r.status_code == 400
        flow = fetch_flow(curl, user.session_token, flow_id)
    # SEED: 4000005 "The password can't be used because the password has been found in data
    # breaches and must no longer be used." with context.reason (difference 5)
    breached = {
        "id": 4000034,
        "text": "The password has been found in data breaches and must no longer be used.",
        "type": "error",
        "context": {"breaches": 1},
    }
    assert group(flow, "password") == [password_node([breached]), submit_node("password")]


# == seed 003: successful settings update =================================================


def test_seed_server_side_browser_success(server: PhalanxServer) -> None:
    user = register(server)
    with closing(browser_login(server, user)) as cookie_jar:
        r = cookie_jar.get("/self-service/settings/browser", headers={"Accept": "text/html"})
        flow_id = r.headers["location"].removeprefix(f"{UI_URL}?flow=")
        form = cookie_jar.get(
            f"/self-service/settings/flows?id={flow_id}", headers={"Accept": "application/json"}
        ).json()
        new_email = f"example.user.{time.time_ns()}@ory.sh"
        # The browser posts the rendered form (x-www-form-urlencoded).
        r = cookie_jar.post(
            form["ui"]["action"],
            data={"csrf_token": csrf_of(form), "method": "profile", "traits.email": new_email},
        )
        # "Ory Identities responds with a HTTP 303 Redirect to the Settings UI"
        assert r.status_code == 303
        assert r.headers["location"] == f"{UI_URL}?flow={flow_id}"
        # curl -s -X GET --cookie $cookieJar --cookie-jar $cookieJar -H "Accept:
        #   application/json" '.../self-service/settings/flows?id=f71743cd-...' | jq
        r = cookie_jar.get(
            f"/self-service/settings/flows?id={flow_id}", headers={"Accept": "application/json"}
        )
    flow = r.json()
    assert flow["id"] == flow_id and flow["type"] == "browser" and flow["state"] == "success"
    assert flow["request_url"] == f"{server.public_url}/self-service/settings/browser"
    assert flow["ui"]["action"] == f"{server.public_url}/self-service/settings?flow={flow_id}"
    assert flow["ui"]["method"] == "POST"
    [csrf, *rest] = flow["ui"]["nodes"]
    assert csrf == {
        "type": "input",
        "group": "default",
        "attributes": {
            "name": "csrf_token",
            "type": "hidden",
            "value": csrf["attributes"]["value"],
            "required": True,
            "disabled": False,
            "node_type": "input",
        },
        "messages": [],  # SEED: null
        "meta": {},
    }
    assert len(csrf["attributes"]["value"]) == 88
    assert rest == [
        email_node(new_email),
        name_node("first", "First Name"),
        name_node("last", "Last Name"),
        submit_node("profile"),
        password_node(),
        submit_node("password"),
    ]
    assert flow["ui"]["messages"] == [SAVED]
    identity = flow["identity"]
    assert identity["id"] == user.identity["id"] and identity["schema_id"] == "default"
    assert identity["traits"] == {"email": new_email}
    [verifiable] = identity["verifiable_addresses"]
    assert (verifiable["value"], verifiable["verified"], verifiable["via"]) == (
        new_email,
        False,
        "email",
    )
    assert verifiable["status"] == "pending" and verifiable.get("verified_at") is None
    [recovery] = identity["recovery_addresses"]
    assert (recovery["value"], recovery["via"]) == (new_email, "email")


def test_seed_client_side_browser_success(server: PhalanxServer) -> None:
    user = register(server)
    password = "ByS8NWuFSkDgMjbe"  # password=ByS8NWuFSkDgMjbe
    with closing(browser_login(server, user)) as cookie_jar:
        # flow=$(curl -s -H "Accept: application/json" --cookie $cookieJar --cookie-jar
        #   $cookieJar '.../self-service/settings/browser')
        flow = cookie_jar.get(
            "/self-service/settings/browser", headers={"Accept": "application/json"}
        ).json()
        action_url = flow["ui"]["action"]
        csrf_token = csrf_of(flow)
        # curl -s --cookie $cookieJar --cookie-jar $cookieJar -X POST -H "Accept:
        #   application/json" -H "Content-Type: application/json" --data '{"password": ...,
        #   "method": "password", "csrf_token": ... }' "$actionUrl"
        r = cookie_jar.post(
            action_url,
            headers={"Accept": "application/json", "Content-Type": "application/json"},
            content=json.dumps(
                {"password": password, "method": "password", "csrf_token": csrf_token}
            ),
        )
    # "Ory Identities response with a HTTP 200 OK message containing the updated identity"
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == flow["id"] and body["type"] == "browser" and body["state"] == "success"
    assert body["request_url"] == f"{server.public_url}/self-service/settings/browser"
    assert body["ui"]["action"] == action_url and body["ui"]["method"] == "POST"
    assert body["ui"]["messages"] == [SAVED]
    assert body["identity"]["id"] == user.identity["id"]
    assert body["identity"]["traits"] == {"email": user.username}
    # SEED: no continue_with (difference 8).
    assert body["continue_with"] == [
        {"action": "redirect_browser_to", "redirect_browser_to": f"{UI_URL}?flow={flow['id']}"}
    ]
    assert login_status(server, user.username, password) == 200


def login_status(server: PhalanxServer, identifier: str, password: str) -> int:
    with client(server.public_url) as curl:
        flow = curl.get("/self-service/login/api").json()
        r = curl.post(
            flow["ui"]["action"],
            json={"identifier": identifier, "password": password, "method": "password"},
        )
    return r.status_code


def test_seed_api_client_success(server: PhalanxServer) -> None:
    user = register(server)
    password = "ByS8NWuFSkDgMjbe"  # password=ByS8NWuFSkDgMjbe
    with client(server.public_url) as curl:
        # actionUrl=$(curl -s -H "Accept: application/json" -H "Authorization: bearer
        #   $sessionToken" '.../self-service/settings/api' | jq -r '.ui.action')
        action_url = curl.get(
            "/self-service/settings/api",
            headers={"Accept": "application/json", "Authorization": f"bearer {user.session_token}"},
        ).json()["ui"]["action"]
        # curl -s -X POST -H "Accept: application/json" -H "Content-Type: application/json"
        #   -H "Authorization: bearer $sessionToken" -d '{"password": ..., "method":
        #   "password"}' "$actionUrl" | jq
        r = curl.post(
            action_url,
            headers={
                "Accept": "application/json",
                "Content-Type": "application/json",
                "Authorization": f"bearer {user.session_token}",
            },
            content=json.dumps({"password": password, "method": "password"}),
        )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["type"] == "api"  # SEED: "browser" (difference 7)
    assert body["state"] == "success" and body["ui"]["messages"] == [SAVED]
    assert body["identity"]["traits"] == {"email": user.username}
    assert "continue_with" not in body
    assert login_status(server, user.username, password) == 200


# == seed 000: POST /self-service/settings answers =======================================


def test_seed_000_api_answers(server: PhalanxServer) -> None:
    user = register(server)
    headers = {
        "Authorization": f"Bearer {user.session_token}",
        "Accept": "application/json",
        "Content-Type": "application/json",
    }
    with client(server.public_url) as curl:
        action = curl.get("/self-service/settings/api", headers=headers).json()["ui"]["action"]
        # SEED 000 posts to .../self-service/settings/api; the submit URL is ui.action
        # (difference 10). The init endpoint itself only answers GET.
        wrong = httpx.post(
            f"{server.public_url}/self-service/settings/api",
            headers=headers,
            content=b'{ "password": "new_password", "method": "password" }',
        )
        assert wrong.status_code == 405
        # "If the endpoint is called without a valid session token, you will get an HTTP 401"
        r = curl.post(
            action,
            headers={"Accept": "application/json", "Content-Type": "application/json"},
            content=b'{ "password": "new_password", "method": "password" }',
        )
        assert r.status_code == 401
        # "If there are form validation errors, you will get an HTTP 400 response."
        r = curl.post(action, headers=headers, content=b'{ "password": "", "method": "password" }')
        assert r.status_code == 400 and r.json()["id"] in action
        # curl -s -X POST -H "Authorization: Bearer $sessionToken" -H "Accept: application/json"
        #   -H "Content-Type: application/json" -d '{ "password": "new_password", "method":
        #   "password" }' ...  -> "HTTP 200 and an application/json body"
        r = curl.post(
            action, headers=headers, content=b'{ "password": "new_password", "method": "password" }'
        )
        assert r.status_code == 200, r.text
        # SEED 000: "with the session token" -- Kratos v25.4 answers the settings flow.
        assert r.json()["state"] == "success" and "session_token" not in r.json()
        # curl '.../sessions/whoami' -H 'Accept: application/json' -H 'Authorization: Bearer
        #   {session_token}'
        r = curl.get(
            "/sessions/whoami",
            headers={"Accept": "application/json", "Authorization": f"Bearer {user.session_token}"},
        )
        assert r.status_code == 200
        assert r.json()["identity"]["traits"]["email"] == user.username
    assert login_status(server, user.username, "new_password") == 200


def test_seed_000_privileged_session_max_age_exceeded(stale_server: PhalanxServer) -> None:
    user = register(stale_server)
    headers = {
        "Authorization": f"Bearer {user.session_token}",
        "Accept": "application/json",
        "Content-Type": "application/json",
    }
    with client(stale_server.public_url) as curl:
        action = curl.get("/self-service/settings/api", headers=headers).json()["ui"]["action"]
        time.sleep(1.1)  # past privileged_session_max_age: 1s
        # "If selfservice.flows.settings.privileged_session_max_age was reached ... you will
        # get an HTTP 403 response, which implies that the user needs to re-authenticate."
        r = curl.post(
            action, headers=headers, content=b'{ "password": "new_password", "method": "password" }'
        )
    assert r.status_code == 403
    assert r.json()["error"]["id"] == "session_refresh_required"
    assert r.json()["redirect_browser_to"].startswith(
        f"{stale_server.public_url}/self-service/login/browser?refresh=true&return_to="
    )


def test_seed_000_browser_answers(server: PhalanxServer, stale_server: PhalanxServer) -> None:
    # Fresh session, JSON browser: 200 + Set-Cookie; 400 on validation errors.
    user = register(server)
    with closing(browser_login(server, user)) as jar:
        flow = jar.get("/self-service/settings/browser", headers={"Accept": "application/json"})
        form = flow.json()
        json_headers = {"Accept": "application/json", "Content-Type": "application/json"}
        r = jar.post(
            form["ui"]["action"],
            headers=json_headers,
            json={"password": "", "method": "password", "csrf_token": csrf_of(form)},
        )
        assert r.status_code == 400
        r = jar.post(
            form["ui"]["action"],
            headers=json_headers,
            json={"password": "new_password", "method": "password", "csrf_token": csrf_of(form)},
        )
        # "HTTP 200 and a application/json body with the signed in identity and a Set-Cookie"
        assert r.status_code == 200 and "ory_kratos_session=" in r.headers["set-cookie"]
        assert r.json()["identity"]["id"] == user.identity["id"]
        # Plain form post: "a HTTP 303 redirect to the post/after settings URL or the
        # return_to value ..." -- here the settings UI, no after URL being configured.
        r = jar.post(
            form["ui"]["action"],
            data={"csrf_token": csrf_of(form), "method": "profile", "traits.email": user.username},
        )
        assert r.status_code == 303 and r.headers["location"] == f"{UI_URL}?flow={form['id']}"
        # "If there are validation errors, you will get a HTTP 303 redirect to the Settings UI
        # URL with the flow ID containing the validation errors."
        r = jar.post(
            form["ui"]["action"],
            data={"csrf_token": csrf_of(form), "method": "profile", "traits.email": "nope"},
        )
        assert r.status_code == 303 and r.headers["location"] == f"{UI_URL}?flow={form['id']}"
    # "If the endpoint is called without a valid session cookie, you will get an HTTP 401."
    with client(server.public_url) as anonymous:
        r = anonymous.post(form["ui"]["action"], headers=json_headers, json={"method": "password"})
        assert r.status_code == 401
    # Stale session: 403 for JSON browsers, 303 to the login endpoint for plain ones.
    stale = register(stale_server)
    with closing(browser_login(stale_server, stale)) as jar:
        form = jar.get(
            "/self-service/settings/browser", headers={"Accept": "application/json"}
        ).json()
        time.sleep(1.1)  # past privileged_session_max_age: 1s
        body = {"password": "new_password", "method": "password", "csrf_token": csrf_of(form)}
        r = jar.post(form["ui"]["action"], headers=json_headers, json=body)
        assert r.status_code == 403 and r.json()["error"]["id"] == "session_refresh_required"
        r = jar.post(form["ui"]["action"], data=body)
        assert r.status_code == 303
        assert r.headers["location"].startswith(
            f"{stale_server.public_url}/self-service/login/browser?refresh=true"
        )
