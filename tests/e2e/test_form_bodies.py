"""HTML forms that send a field more than once (issue 9, item 1).

kratos-selfservice-ui-node's re-authentication form posts ``identifier`` twice (the hidden
node of the refresh flow and the one it renders itself); Phalanx answered 4000026
"expected string, but got array" and the user was stuck. Kratos's form decoder keeps the
first value of a string field, the last of a boolean, all values of an array, per the
field's type in the flow's body schema. A JSON body still gets no such leniency."""

from __future__ import annotations

import json
from typing import Any

import pytest

from phalanx.testing import PASSWORD, Browser, flows_config, message_ids, node, node_messages
from tests.support.identities import unique_email
from tests.support.paths import DATA
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e


def _schema() -> dict[str, Any]:
    """The test e-mail schema plus an array, a number and a boolean trait."""
    schema: dict[str, Any] = json.loads((DATA / "identity.email.schema.json").read_text())
    props = schema["properties"]["traits"]["properties"]
    props["tags"] = {"type": "array", "items": {"type": "string"}}
    props["age"] = {"type": "integer"}
    props["newsletter"] = {"type": "boolean"}
    return schema


@pytest.fixture(scope="module")
def server(
    module_server_factory: ServerFactory, tmp_path_factory: pytest.TempPathFactory
) -> PhalanxServer:
    path = tmp_path_factory.mktemp("schema") / "form.schema.json"
    path.write_text(json.dumps(_schema()))
    schemas = [{"id": "form", "url": path.as_uri()}]
    config = flows_config({"identity": {"default_schema_id": "form", "schemas": schemas}})
    return module_server_factory.start(config=config)


def _form_login(browser: Browser, flow: dict[str, Any], identifiers: list[str]) -> Any:
    return browser.http.post(
        flow["ui"]["action"],
        data={
            "csrf_token": node(flow, "csrf_token")["attributes"]["value"],
            "identifier": identifiers,
            "password": PASSWORD,
            "method": "password",
        },
    )


def test_reauthentication_form_sends_identifier_twice(server: PhalanxServer) -> None:
    email = unique_email("reauth")
    with Browser(server, json=False) as browser:
        assert browser.register(email).status_code == 303
        flow = browser.init("login", refresh="true")
        assert node(flow, "identifier")["attributes"]["type"] == "hidden"
        r = _form_login(browser, flow, [email, email])
        assert r.status_code == 303, r.text
        whoami = browser.get("/sessions/whoami", headers={"Accept": "application/json"})
        assert whoami.status_code == 200
        methods = whoami.json()["authentication_methods"]
        assert [m["method"] for m in methods] == ["password", "password"]


def test_first_identifier_counts(server: PhalanxServer) -> None:
    email = unique_email("first")
    with Browser(server, json=False) as browser:
        assert browser.register(email).status_code == 303
    with Browser(server, json=False) as browser:
        flow = browser.init("login")
        assert _form_login(browser, flow, [email, "someone-else@example.org"]).status_code == 303
    with Browser(server, json=False) as browser:
        flow = browser.init("login")
        r = _form_login(browser, flow, ["someone-else@example.org", email])
        assert r.status_code == 303 and "/ui/login?flow=" in r.headers["location"]
        shown = browser.get(f"/self-service/login/flows?id={flow['id']}").json()
        assert message_ids(shown) == [4000006]  # wrong credentials, not 4000026


def test_registration_traits_follow_the_schema(server: PhalanxServer) -> None:
    email = unique_email("traits")
    with Browser(server, json=False) as browser:
        flow = browser.init("registration")
        r = browser.http.post(
            flow["ui"]["action"],
            data={
                "csrf_token": node(flow, "csrf_token")["attributes"]["value"],
                "traits.email": [email, "second@example.org"],
                "traits.tags": ["red", "green"],
                "traits.age": ["41", "42"],
                "traits.newsletter": ["false", "true"],
                "password": [PASSWORD, "ignored"],
                "method": ["password", "password"],
            },
        )
        assert r.status_code == 303, r.text
        traits = browser.get("/sessions/whoami", headers={"Accept": "application/json"}).json()[
            "identity"
        ]["traits"]
    assert traits["email"] == email
    assert traits["tags"] == ["red", "green"]
    assert traits["age"] == 41 and traits["newsletter"] is True


def test_settings_form_with_repeated_traits(server: PhalanxServer) -> None:
    email = unique_email("settings")
    with Browser(server, json=False) as browser:
        assert browser.register(email).status_code == 303
        flow = browser.init("settings")
        r = browser.http.post(
            flow["ui"]["action"],
            data={
                "csrf_token": node(flow, "csrf_token")["attributes"]["value"],
                "method": "profile",
                "traits.email": [email, "ignored@example.org"],
                "traits.tags": "solo",
                "traits.age": "7",
            },
        )
        assert r.status_code == 303, r.text
        identity = browser.get("/sessions/whoami", headers={"Accept": "application/json"}).json()[
            "identity"
        ]
    assert identity["traits"]["email"] == email
    assert identity["traits"]["tags"] == ["solo"] and identity["traits"]["age"] == 7


def test_json_arrays_are_still_refused(server: PhalanxServer) -> None:
    email = unique_email("json")
    with Browser(server) as browser:
        assert browser.register(email).status_code == 200
    with Browser(server) as browser:
        flow = browser.init("login")
        r = browser.submit(
            flow, {"method": "password", "identifier": [email], "password": PASSWORD}
        )
        assert r.status_code == 400
        assert node_messages(r.json(), "identifier") == [4000026]
