"""Social sign-in against a REAL OpenID provider (django-oauth-toolkit, own process):
registration, login, SPA and native clients, PKCE modes, callback errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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
                    "password": {"enabled": True},
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
