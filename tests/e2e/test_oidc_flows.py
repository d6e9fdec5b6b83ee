"""Social sign-in against a REAL OpenID provider (django-oauth-toolkit, own process):
registration, login, SPA and native clients, PKCE modes, callback errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.api import SpecClient
from tests.support.oidc import OidcProvider, ProviderUser, provider_config, sign_in_at_provider
from tests.support.server import BACKENDS, PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest,
    module_server_factory: ServerFactory,
    oidc_provider: OidcProvider,
) -> PhalanxServer:
    providers = [
        provider_config(oidc_provider, "dot", label="Test Provider"),
        provider_config(oidc_provider, "dotpkce", client_id="pkce-phalanx", pkce="force"),
        provider_config(oidc_provider, "dotnever", pkce="never"),
    ]
    return module_server_factory.start(
        database=request.param,
        config={
            "selfservice": {
                "flows": {
                    "registration": {"after": {"oidc": {"hooks": [{"hook": "session"}]}}},
                },
                "methods": {
                    "password": {"enabled": True, "config": {"haveibeenpwned_enabled": False}},
                    "oidc": {"enabled": True, "config": {"providers": providers}},
                },
            },
            "ciphers": {"algorithm": "xchacha20-poly1305"},
        },
    )


@pytest.fixture
def browser(server: PhalanxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.public_url, follow_redirects=False, timeout=30) as client:
        yield client


def csrf(flow: dict[str, Any]) -> str:
    return next(
        n["attributes"]["value"]
        for n in flow["ui"]["nodes"]
        if n["attributes"].get("name") == "csrf_token"
    )


def start(client: httpx.Client, kind: str) -> dict[str, Any]:
    r = client.get(f"/self-service/{kind}/browser", headers={"Accept": "application/json"})
    assert r.status_code == 200, r.text
    return r.json()


def social(client: httpx.Client, kind: str, provider: str, user: ProviderUser) -> httpx.Response:
    flow = start(client, kind)
    r = client.post(flow["ui"]["action"], data={"csrf_token": csrf(flow), "provider": provider})
    assert r.status_code == 303, r.text
    callback = sign_in_at_provider(client, r.headers["location"], user)
    return client.get(callback)


def whoami(client: httpx.Client) -> dict[str, Any]:
    r = client.get("/sessions/whoami")
    assert r.status_code == 200, r.text
    return r.json()


def test_register_then_login_with_the_provider(
    server: PhalanxServer, browser: httpx.Client, oidc_provider: OidcProvider
) -> None:
    user = oidc_provider.users["alice"]
    r = social(browser, "registration", "dot", user)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"{server.public_url}/welcome"
    session = whoami(browser)
    identity = session["identity"]
    assert identity["traits"] == {"email": user.email}
    assert identity["metadata_public"] == {"provider_username": "alice"}
    assert identity["verifiable_addresses"][0]["verified"] is True
    assert session["authentication_methods"][0]["method"] == "oidc"
    assert session["authentication_methods"][0]["provider"] == "dot"
    # Sign out, sign in again with the provider: the same identity.
    browser.cookies.delete("ory_kratos_session")
    r = social(browser, "login", "dot", user)
    assert r.status_code == 303, r.text
    assert whoami(browser)["identity"]["id"] == identity["id"]
    # The admin API shows the oidc credential; include_credential=oidc decrypts the tokens.
    with SpecClient(server.admin_url) as admin:
        plain = admin.get(f"/admin/identities/{identity['id']}").json()
        assert plain["credentials"]["oidc"]["identifiers"][0].startswith("dot:")
        assert "config" not in plain["credentials"]["oidc"]
        full = admin.get(f"/admin/identities/{identity['id']}?include_credential=oidc").json()
        provider = full["credentials"]["oidc"]["config"]["providers"][0]
        assert provider["provider"] == "dot"
        assert provider["initial_id_token"].count(".") == 2  # a JWT, decrypted
        assert provider["initial_access_token"]


def settings_flow(client: httpx.Client) -> dict[str, Any]:
    r = client.get("/self-service/settings/browser", headers={"Accept": "application/json"})
    assert r.status_code == 200, r.text
    return r.json()


def oidc_nodes(flow: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in flow["ui"]["nodes"] if n["group"] == "oidc"]


def password_signup(client: httpx.Client, email: str, password: str) -> None:
    flow = start(client, "registration")
    r = client.post(
        flow["ui"]["action"],
        data={
            "csrf_token": csrf(flow),
            "method": "password",
            "traits.email": email,
            "password": password,
        },
    )
    assert r.status_code == 303, r.text


def test_settings_link_then_unlink(
    server: PhalanxServer, browser: httpx.Client, oidc_provider: OidcProvider
) -> None:
    user = oidc_provider.users["bob"]
    password_signup(browser, "bob.password@example.test", "a-long-password-4242")
    browser.cookies.delete("ory_kratos_session")
    flow = start(browser, "login")
    r = browser.post(
        flow["ui"]["action"],
        data={
            "csrf_token": csrf(flow),
            "method": "password",
            "identifier": "bob.password@example.test",
            "password": "a-long-password-4242",
        },
    )
    assert r.status_code == 303, r.text
    flow = settings_flow(browser)
    # The seed's link node, with v25.4's node_type and empty messages list.
    assert oidc_nodes(flow)[0] == {
        "type": "input",
        "group": "oidc",
        "attributes": {
            "name": "link",
            "type": "submit",
            "value": "dot",
            "disabled": False,
            "node_type": "input",
        },
        "messages": [],
        "meta": {
            "label": {
                "id": 1050002,
                "text": "Link Test Provider",
                "type": "info",
                "context": {"provider": "Test Provider"},
            }
        },
    }
    assert [n["attributes"]["name"] for n in oidc_nodes(flow)] == ["link"] * 3
    r = browser.post(flow["ui"]["action"], data={"csrf_token": csrf(flow), "link": "dot"})
    assert r.status_code == 303, r.text
    callback = sign_in_at_provider(browser, r.headers["location"], user)
    r = browser.get(callback)
    assert r.status_code == 303, r.text
    r = browser.get(
        f"/self-service/settings/flows?id={flow['id']}", headers={"Accept": "application/json"}
    )
    linked = r.json()
    assert linked["state"] == "success"
    assert linked["ui"]["messages"][0]["id"] == 1050001
    unlink = [n for n in oidc_nodes(linked) if n["attributes"]["name"] == "unlink"]
    assert [n["attributes"]["value"] for n in unlink] == ["dot"]
    assert unlink[0]["meta"]["label"] == {
        "id": 1050003,
        "text": "Unlink Test Provider",
        "type": "info",
        "context": {"provider": "Test Provider"},
    }
    amr = whoami(browser)["authentication_methods"]
    assert {"method": "oidc", "provider": "dot"}.items() <= amr[-1].items()
    # Signing in with the provider now reaches the same account.
    identity_id = whoami(browser)["identity"]["id"]
    r = browser.post(linked["ui"]["action"], data={"csrf_token": csrf(linked), "unlink": "dot"})
    assert r.status_code == 303, r.text
    with SpecClient(server.admin_url) as admin:
        after = admin.get(f"/admin/identities/{identity_id}?include_credential=oidc").json()
    assert after["credentials"]["oidc"]["identifiers"] == []


def test_unlinking_the_last_credential_is_refused(
    server: PhalanxServer, browser: httpx.Client, oidc_provider: OidcProvider
) -> None:
    user = oidc_provider.users["dave"]
    assert social(browser, "registration", "dot", user).status_code == 303
    flow = settings_flow(browser)
    assert [n["attributes"]["name"] for n in oidc_nodes(flow)] == ["link", "link"]
    r = browser.post(
        flow["ui"]["action"],
        data={"csrf_token": csrf(flow), "unlink": "dot"},
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["ui"]["messages"] == [
        {
            "id": 4000001,
            "text": "can not unlink OpenID Connect connection because it is the last remaining"
            " first factor credential",
            "type": "error",
            "context": {
                "reason": "can not unlink OpenID Connect connection because it is the last"
                " remaining first factor credential"
            },
        }
    ]
    r = browser.post(
        flow["ui"]["action"],
        data={"csrf_token": csrf(flow), "link": "dot"},
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["ui"]["messages"][0]["text"] == (
        "can not link unknown or already existing OpenID Connect connection"
    )


def test_existing_email_is_linked_only_after_signing_in(
    server: PhalanxServer, browser: httpx.Client, oidc_provider: OidcProvider
) -> None:
    user = oidc_provider.users["carol"]
    password_signup(browser, user.email, "carols-long-password-1")
    browser.cookies.delete("ory_kratos_session")
    r = social(browser, "registration", "dot", user)
    assert r.status_code == 303, r.text
    target = r.headers["location"]
    assert "no_org_ui=true" in target and "/ui/login?" in target
    flow_id = parse_qs(urlsplit(target).query)["flow"][0]
    r = browser.get(f"/self-service/login/flows?id={flow_id}")
    flow = r.json()
    message = flow["ui"]["messages"][0]
    assert message["id"] == 1010016
    assert message["context"]["duplicate_identifier"] == user.email
    assert message["context"]["provider"] == "Test Provider"
    providers = [n["attributes"]["value"] for n in oidc_nodes(flow)]
    assert "dot" not in providers
    identifier = next(n for n in flow["ui"]["nodes"] if n["attributes"]["name"] == "identifier")
    assert identifier["attributes"]["type"] == "hidden"
    assert identifier["attributes"]["value"] == user.email
    # Nothing was merged yet.
    with SpecClient(server.admin_url) as admin:
        found = admin.get("/admin/identities", params={"credentials_identifier": user.email})
        (existing,) = found.json()
        assert "oidc" not in admin.get(f"/admin/identities/{existing['id']}").json().get(
            "credentials", {}
        )
    r = browser.post(
        flow["ui"]["action"],
        data={
            "csrf_token": csrf(flow),
            "method": "password",
            "identifier": user.email,
            "password": "carols-long-password-1",
        },
    )
    assert r.status_code == 303, r.text
    session = whoami(browser)
    assert session["identity"]["id"] == existing["id"]
    assert [m["method"] for m in session["authentication_methods"]] == ["password", "oidc"]
    browser.cookies.delete("ory_kratos_session")
    assert social(browser, "login", "dot", user).status_code == 303
    assert whoami(browser)["identity"]["id"] == existing["id"]
