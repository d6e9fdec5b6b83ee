"""Self-service registration with the password method against a real server.

Native apps go through the official SDK; SPAs and plain HTML forms through an httpx
browser with a cookie jar. Every JSON answer is checked against the OpenAPI spec.
"""

from __future__ import annotations

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
from phalanx.testing.sdk import frontend, register_api
from tests.support.api import error_of
from tests.support.identities import unique_email
from tests.support.openapi import checked
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(config=flows_config())


@pytest.fixture(scope="module")
def no_hook_server(module_server_factory: ServerFactory) -> PhalanxServer:
    """Registration without the ``session`` hook."""
    config = flows_config()
    config["selfservice"]["flows"]["registration"]["after"] = {"password": {"hooks": []}}
    return module_server_factory.start(config=config)


def _names(flow: dict[str, object]) -> list[tuple[str, str]]:
    nodes = flow["ui"]["nodes"]  # type: ignore[index]
    return [(n["attributes"]["name"], n["group"]) for n in nodes]  # type: ignore[union-attr]


# -- the form ---------------------------------------------------------------------------


def test_native_flow_nodes_order_groups_and_labels(server: PhalanxServer) -> None:
    """Kratos's default two-step registration (``style: profile_first``): the traits and a
    ``profile`` "Sign up" button first; the password comes on the credential screen."""
    with frontend(server) as api:
        flow = api.create_native_registration_flow()
    assert flow.type == "api" and flow.state == "choose_method"
    raw = httpx.get(f"{server.public_url}/self-service/registration/flows?id={flow.id}").json()
    assert _names(raw) == [
        ("csrf_token", "default"),
        ("traits.email", "default"),
        ("traits.name.first", "default"),
        ("traits.name.last", "default"),
        ("method", "profile"),
    ]
    email = node(raw, "traits.email")
    assert email["attributes"] == {
        "name": "traits.email",
        "type": "email",
        "required": True,
        "autocomplete": "email",
        "disabled": False,
        "node_type": "input",
    }
    assert email["meta"]["label"] == {
        "id": 1070002,
        "text": "E-Mail",
        "type": "info",
        "context": {"name": "traits.email", "title": "E-Mail"},
    }
    submit = node(raw, "method")
    assert submit["attributes"]["value"] == "profile"
    assert submit["meta"]["label"] == {"id": 1040001, "text": "Sign up", "type": "info"}
    # API flows carry the node too, empty (Kratos's CSRF middleware skips /api routes)
    assert node(raw, "csrf_token")["attributes"]["value"] == ""
    assert raw["ui"]["action"] == (f"{server.public_url}/self-service/registration?flow={flow.id}")
    assert raw["ui"]["method"] == "POST"
    assert raw["request_url"] == f"{server.public_url}/self-service/registration/api"

    # The credential screen: traits hidden, the password, its button, "Back".
    r = checked(
        httpx.post(raw["ui"]["action"], json={"method": "profile", "traits": {"email": "a@b.co"}})
    )
    assert r.status_code == 400
    step = r.json()
    assert message_ids(step) == [1040009]
    assert node(step, "traits.email")["attributes"]["type"] == "hidden"
    assert node(step, "traits.email")["attributes"]["value"] == "a@b.co"
    password = node(step, "password")
    assert password["group"] == "password"
    assert password["attributes"]["autocomplete"] == "new-password"
    assert password["meta"]["label"]["id"] == 1070001
    submit = node(step, "method")
    assert (submit["group"], submit["attributes"]["value"]) == ("password", "password")
    assert submit["meta"]["label"] == {"id": 1040001, "text": "Sign up", "type": "info"}
    back = node(step, "screen")
    assert (back["group"], back["attributes"]["value"]) == ("profile", "previous")
    assert back["meta"]["label"]["id"] == 1040008


def test_browser_flow_has_csrf_node_first_and_sets_the_cookie(server: PhalanxServer) -> None:
    with Browser(server) as browser:
        r = browser.get("/self-service/registration/browser")
        assert r.status_code == 200
        flow = r.json()
        assert _names(flow)[0] == ("csrf_token", "default")
        csrf = node(flow, "csrf_token")["attributes"]
        assert csrf["type"] == "hidden" and csrf["required"] is True
        assert len(csrf["value"]) == 88  # masked: base64(32-byte key + 32 bytes)
        assert csrf_cookie_name(server.config["serve"]["public"]["base_url"]) in set_cookies(r)
    with Browser(server, json=False) as html:
        r = html.get("/self-service/registration/browser")
        assert r.status_code == 303
        location = r.headers["location"]
        assert location.startswith(f"{server.public_url}/ui/registration?flow=")
        fetched = html.get(f"/self-service/registration/flows?id={query_of(location)['flow']}")
        assert fetched.status_code == 200


# -- native apps (SDK) -------------------------------------------------------------------


def test_native_registration_issues_a_session_token(server: PhalanxServer) -> None:
    email = unique_email("native")
    with frontend(server) as api:
        result = register_api(api, email)
        assert result.session_token and result.session_token.startswith("ory_st_")
        assert result.session is not None and result.session.active
        assert result.identity.traits == {"email": email}
        assert result.continue_with is not None
        first = result.continue_with[0].actual_instance
        assert isinstance(first, kratos.ContinueWithSetOrySessionToken)
        assert first.ory_session_token == result.session_token
        me = api.to_session(x_session_token=result.session_token)
        assert me.identity is not None and me.identity.id == result.identity.id
        assert me.authentication_methods is not None
        assert me.authentication_methods[0].method == "password"


def test_without_the_session_hook_only_the_identity_is_returned(
    no_hook_server: PhalanxServer,
) -> None:
    email = unique_email("nohook")
    with frontend(no_hook_server) as api:
        result = register_api(api, email)
    assert result.session is None and result.session_token is None
    assert result.identity.traits["email"] == email
    with Browser(no_hook_server) as browser:
        r = browser.register()
        assert r.status_code == 200
        body = r.json()
        assert set(body) == {"identity", "continue_with"}
        assert body["continue_with"][0]["action"] == "redirect_browser_to"
        assert "ory_kratos_session" not in set_cookies(r)
        assert browser.whoami().status_code == 401


def test_json_bodies_with_dotted_and_nested_keys(server: PhalanxServer) -> None:
    for body in (
        {"traits.email": unique_email(), "traits.name.first": "Ada", "traits.name.last": "L"},
        {"traits": {"email": unique_email(), "name": {"first": "Ada", "last": "L"}}},
    ):
        flow = httpx.get(f"{server.public_url}/self-service/registration/api").json()
        payload = {"method": "password", "password": PASSWORD, **body}
        r = checked(httpx.post(flow["ui"]["action"], json=payload))
        assert r.status_code == 200, r.text
        assert r.json()["identity"]["traits"]["name"] == {"first": "Ada", "last": "L"}


def test_duplicate_registration_is_4000007(server: PhalanxServer) -> None:
    email = unique_email("dup")
    with frontend(server) as api:
        register_api(api, email)
        flow = api.create_native_registration_flow()
        body = kratos.UpdateRegistrationFlowBody(
            kratos.UpdateRegistrationFlowWithPasswordMethod(
                method="password", password=PASSWORD, traits={"email": email.upper()}
            )
        )
        with pytest.raises(ApiException) as caught:
            api.update_registration_flow(flow=flow.id, update_registration_flow_body=body)
    assert caught.value.status == 400
    failed = kratos.RegistrationFlow.from_json(caught.value.body)
    assert failed.ui.messages is not None
    text = "An account with the same identifier (email, phone, username, ...) exists already."
    assert [(m.id, m.text) for m in failed.ui.messages] == [(4000007, text)]


def test_schema_violations_land_on_trait_nodes_and_values_are_kept(
    server: PhalanxServer,
) -> None:
    flow = httpx.get(f"{server.public_url}/self-service/registration/api").json()
    r = checked(
        httpx.post(
            flow["ui"]["action"],
            json={
                "method": "password",
                "password": PASSWORD,
                "traits": {"email": "not-an-email", "name": {"first": "Grace"}},
            },
        )
    )
    assert r.status_code == 400
    failed = r.json()
    assert node_messages(failed, "traits.email") == [4000001]
    assert node(failed, "traits.email")["attributes"]["value"] == "not-an-email"
    assert node(failed, "traits.name.first")["attributes"]["value"] == "Grace"
    # profile_first: the one-step POST works, but the form shown is the profile screen,
    # which has no password field (Kratos v25.4 alike)
    assert "password" not in [name for name, _ in _names(failed)]
    # the flow's stored state shows the same
    again = httpx.get(f"{server.public_url}/self-service/registration/flows?id={flow['id']}")
    assert node_messages(again.json(), "traits.email") == [4000001]

    r = checked(httpx.post(flow["ui"]["action"], json={"method": "password", "traits": {}}))
    assert r.status_code == 400
    assert node_messages(r.json(), "traits.email") == [4000002]
    assert node_messages(r.json(), "password") == [4000002]
    assert message_ids(r.json()) == []


def test_unknown_method_is_4010003(server: PhalanxServer) -> None:
    flow = httpx.get(f"{server.public_url}/self-service/registration/api").json()
    r = checked(httpx.post(flow["ui"]["action"], json={"method": "carrier-pigeon"}))
    assert r.status_code == 400 and message_ids(r.json()) == [4010003]


# -- password policy ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", 4000032),
        ("password123", 4000034),
        ("x" * 4097, 4000033),
        ("ü" * 40, 4000033),  # 80 bytes: bcrypt never truncates
    ],
)
def test_password_policy(server: PhalanxServer, password: str, message: int) -> None:
    flow = httpx.get(f"{server.public_url}/self-service/registration/api").json()
    r = checked(
        httpx.post(
            flow["ui"]["action"],
            json={"method": "password", "password": password, "traits": {"email": unique_email()}},
        )
    )
    assert r.status_code == 400, r.text
    failed = r.json()
    assert node_messages(failed, "password") == [message]
    assert "value" not in node(failed, "password")["attributes"]


def test_password_similar_to_the_identifier_is_4000031(server: PhalanxServer) -> None:
    email = unique_email("similarity")
    flow = httpx.get(f"{server.public_url}/self-service/registration/api").json()
    r = checked(
        httpx.post(
            flow["ui"]["action"],
            json={"method": "password", "password": email + "1", "traits": {"email": email}},
        )
    )
    assert r.status_code == 400
    assert node_messages(r.json(), "password") == [4000031]


def test_min_length_counts_bytes_and_context(server: PhalanxServer) -> None:
    flow = httpx.get(f"{server.public_url}/self-service/registration/api").json()
    r = httpx.post(
        flow["ui"]["action"],
        json={"method": "password", "password": "abc", "traits": {"email": unique_email()}},
    )
    message = node(r.json(), "password")["messages"][0]
    assert message["context"] == {"min_length": 8, "actual_length": 3}


# -- browsers ------------------------------------------------------------------------------


def test_spa_registration_sets_the_session_cookie(server: PhalanxServer) -> None:
    email = unique_email("spa")
    with Browser(server) as browser:
        r = browser.register(email)
        assert r.status_code == 200, r.text
        body = r.json()
        assert "session_token" not in body
        assert body["session"]["identity"]["traits"]["email"] == email
        assert body["continue_with"] == [
            {"action": "redirect_browser_to", "redirect_browser_to": f"{server.public_url}/welcome"}
        ]
        cookies = set_cookies(r)
        assert "ory_kratos_session" in cookies
        assert (
            csrf_cookie_name(server.config["serve"]["public"]["base_url"]) in cookies
        )  # principal changed: new anti-CSRF token
        me = browser.whoami()
        assert me.status_code == 200 and me.json()["identity"]["traits"]["email"] == email


def test_form_registration_redirects_and_keeps_values_on_error(server: PhalanxServer) -> None:
    with Browser(server, json=False) as browser:
        flow = browser.init("registration", return_to=f"{server.public_url}/self-service/x")
        r = browser.submit(
            flow, {"method": "password", "traits.email": "nope", "password": PASSWORD}
        )
        assert r.status_code == 303
        assert r.headers["location"] == f"{server.public_url}/ui/registration?flow={flow['id']}"
        stored = browser.get(f"/self-service/registration/flows?id={flow['id']}").json()
        assert node(stored, "traits.email")["attributes"]["value"] == "nope"
        assert "password" not in [name for name, _ in _names(stored)]  # the profile screen

        email = unique_email("form")
        r = browser.submit(
            stored, {"method": "password", "traits.email": email, "password": PASSWORD}
        )
        assert r.status_code == 303
        assert r.headers["location"] == f"{server.public_url}/self-service/x"
        assert browser.whoami().json()["identity"]["traits"]["email"] == email

        # signed in: the registration endpoints send the browser away
        r = browser.get("/self-service/registration/browser")
        assert r.status_code == 303 and r.headers["location"] == f"{server.public_url}/welcome"
        r = browser.submit(flow, {"method": "password", "traits.email": email})
        assert r.status_code == 302


def test_signed_in_clients_get_session_already_available(server: PhalanxServer) -> None:
    with Browser(server) as browser:
        browser.register()
        r = browser.get("/self-service/registration/browser")
        assert r.status_code == 400 and error_of(r)["id"] == "session_already_available"
        assert error_of(r)["reason"] == (
            "A valid session was detected and thus registration is not possible."
        )
    with frontend(server) as api:
        token = register_api(api).session_token
    r = checked(
        httpx.get(
            f"{server.public_url}/self-service/registration/api",
            headers={"X-Session-Token": token or ""},
        )
    )
    assert r.status_code == 400 and error_of(r)["id"] == "session_already_available"


def test_registration_disabled(module_server_factory: ServerFactory) -> None:
    disabled = module_server_factory.start(
        config=flows_config({"selfservice": {"flows": {"registration": {"enabled": False}}}})
    )
    r = checked(httpx.get(f"{disabled.public_url}/self-service/registration/api"))
    assert r.status_code == 400
    assert error_of(r)["id"] == "self_service_flow_disabled"
    assert error_of(r)["reason"] == "Registration is not allowed because it was disabled."
    disabled.stop()
