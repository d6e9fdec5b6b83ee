"""OIDC edge cases against the REAL test provider (SQLite): SPA clients, PKCE forced, off
and refused, every callback error, sandboxed mappers that fail, native id_token sign-in."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.support.api import SpecClient, error_of
from tests.support.oidc import (
    OidcProvider,
    fetch_id_token,
    provider_config,
    sign_in_at_provider,
)
from tests.support.openapi import assert_response_matches_spec
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

IMPORTING = "local secret = import '/etc/passwd'; { identity: { traits: { email: secret } } }"
LOOPING = (
    "local loop(n) = if n < 0 then 0 else loop(n + 1) tailstrict;"
    " { identity: { traits: { email: loop(0) } } }"
)
NO_EMAIL = "{ identity: { traits: { email: 'not-an-email' } } }"
USERINFO_MAPPER = (
    "local c = std.extVar('claims');"
    " { identity: { traits: { email: c.email },"
    " metadata_admin: { iss: c.iss, raw: c.raw_claims } } }"
)
PREFIX = "Unable to complete OpenID Connect flow"


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory, oidc_provider: OidcProvider) -> PhalanxServer:
    providers = [
        provider_config(oidc_provider, "dot", label="Test Provider"),
        provider_config(oidc_provider, "dotpkce", client_id="pkce-phalanx", pkce="force"),
        provider_config(oidc_provider, "dotnever", pkce="never"),
        provider_config(oidc_provider, "dotpkcenever", client_id="pkce-phalanx", pkce="never"),
        provider_config(oidc_provider, "dotimport", mapper=IMPORTING),
        provider_config(oidc_provider, "dotloop", mapper=LOOPING),
        provider_config(oidc_provider, "dotbad", mapper=NO_EMAIL),
        provider_config(
            oidc_provider,
            "dotuserinfo",
            claims_source="userinfo",
            mapper=USERINFO_MAPPER,
        ),
    ]
    return module_server_factory.start(
        config={
            "selfservice": {
                "flows": {
                    "settings": {"privileged_session_max_age": "4s"},
                    "registration": {
                        "lifespan": "4s",
                        "after": {"oidc": {"hooks": [{"hook": "session"}]}},
                    },
                },
                "methods": {
                    "password": {"enabled": True},
                    "oidc": {"enabled": True, "config": {"providers": providers}},
                },
            },
            "ciphers": {"algorithm": "aes"},
            "phalanx": {"oidc": {"generic_id_token": True}},
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


def start_flow(client: httpx.Client, kind: str) -> dict[str, Any]:
    r = client.get(f"/self-service/{kind}/browser", headers={"Accept": "application/json"})
    assert r.status_code == 200, r.text
    return r.json()


def to_provider(client: httpx.Client, flow: dict[str, Any], provider: str) -> str:
    r = client.post(flow["ui"]["action"], data={"csrf_token": csrf(flow), "provider": provider})
    assert r.status_code == 303, r.text
    return str(r.headers["location"])


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def identities_with(server: PhalanxServer, email: str) -> list[Any]:
    r = httpx.get(f"{server.admin_url}/admin/identities", params={"credentials_identifier": email})
    return list(r.json())


def test_spa_gets_422_then_the_browser_finishes(
    server: PhalanxServer, oidc_provider: OidcProvider
) -> None:
    user = oidc_provider.users["dave"]
    with httpx.Client(base_url=server.public_url, timeout=30) as spa:
        r = spa.get("/self-service/login/browser", headers={"Accept": "application/json"})
        assert_response_matches_spec(r)
        flow = r.json()
        # The v25.4 spec wraps this 422's error object once more than Kratos writes it
        # ({"error": {"error": ...}}); the body is checked field by field instead.
        r = spa.post(
            flow["ui"]["action"],
            json={"method": "oidc", "provider": "dot", "csrf_token": csrf(flow)},
            headers={"Accept": "application/json"},
        )
        assert r.status_code == 422
        assert error_of(r)["id"] == "browser_location_change_required"
        target = r.json()["redirect_browser_to"]
        assert target.startswith(oidc_provider.issuer + "/authorize/")
        assert query(target)["code_challenge_method"] == "S256"  # auto: discovery has S256
        assert "nonce" not in query(target)
        callback = sign_in_at_provider(spa, target, user)
        r = spa.get(callback)
        assert r.status_code == 303 and r.headers["location"] == f"{server.public_url}/welcome"
        r = spa.get("/sessions/whoami")
        assert_response_matches_spec(r)
        whoami = r.json()
        assert whoami["identity"]["traits"]["email"] == user.email


@pytest.mark.parametrize(
    ("provider", "challenge", "callback_path", "username"),
    [
        ("dotpkce", True, "/self-service/methods/oidc/callback", "erin"),
        ("dotnever", False, "/self-service/methods/oidc/callback/dotnever", "alice"),
    ],
)
def test_pkce_forced_and_off(
    server: PhalanxServer,
    browser: httpx.Client,
    oidc_provider: OidcProvider,
    provider: str,
    challenge: bool,
    callback_path: str,
    username: str,
) -> None:
    user = oidc_provider.users[username]
    target = to_provider(browser, start_flow(browser, "login"), provider)
    params = query(target)
    assert ("code_challenge" in params) is challenge
    assert urlsplit(params["redirect_uri"]).path == callback_path
    callback = sign_in_at_provider(browser, target, user)
    assert urlsplit(callback).path == callback_path
    r = browser.get(callback)
    assert r.status_code == 303, r.text
    assert browser.get("/sessions/whoami").json()["identity"]["traits"]["email"] == user.email


def test_provider_refusing_a_request_without_pkce_is_shown_on_the_flow(
    server: PhalanxServer, browser: httpx.Client, oidc_provider: OidcProvider
) -> None:
    flow = start_flow(browser, "login")
    target = to_provider(browser, flow, "dotpkcenever")
    assert "code_challenge" not in query(target)
    callback = sign_in_at_provider(browser, target, oidc_provider.users["bob"])
    assert query(callback)["error"] == "invalid_request"
    r = browser.get(callback, headers={"Accept": "application/json"})
    assert r.status_code == 400
    message = r.json()["ui"]["messages"][0]
    assert message["id"] == 4000001
    assert message["text"].startswith(
        f'{PREFIX} because the OpenID Provider returned error "invalid_request": '
    )
    # A plain browser goes back to the flow's UI.
    r = browser.get(callback)
    assert r.status_code == 303 and f"flow={flow['id']}" in r.headers["location"]


def callback_error(client: httpx.Client, path: str, params: dict[str, str]) -> dict[str, Any]:
    r = client.get(f"{path}?{urlencode(params)}", headers={"Accept": "application/json"})
    assert r.status_code == 400, r.text
    return dict(r.json()["error"])


def test_callback_errors_before_the_flow_is_known(
    server: PhalanxServer, browser: httpx.Client, oidc_provider: OidcProvider
) -> None:
    path = "/self-service/methods/oidc/callback/dot"
    assert callback_error(browser, path, {"code": "x"})["reason"] == (
        f"{PREFIX} because the OpenID Provider did not return the state query parameter."
    )
    assert callback_error(browser, path, {"state": "00ff", "code": "x"})["reason"] == (
        f"{PREFIX} because the state parameter is invalid."
    )
    target = to_provider(browser, start_flow(browser, "login"), "dot")
    state = query(target)["state"]
    other = "/self-service/methods/oidc/callback/dotnever"
    assert callback_error(browser, other, {"state": state, "code": "x"})["reason"] == (
        f"{PREFIX}: provider mismatch between internal state and URL."
    )
    with httpx.Client(base_url=server.public_url, timeout=30) as stranger:
        assert callback_error(stranger, path, {"state": state, "code": "x"})["reason"] == (
            "The browser does not contain the necessary cookie to resume the session. This is a"
            " security violation and was blocked. Please clear your browser's cookies and cache"
            " and try again!"
        )
    # The same flow started again: the cookie now belongs to the second state.
    flow = start_flow(browser, "login")
    first = query(to_provider(browser, flow, "dot"))["state"]
    flow = browser.get(
        f"/self-service/login/flows?id={flow['id']}", headers={"Accept": "application/json"}
    ).json()
    to_provider(browser, flow, "dot")
    assert callback_error(browser, path, {"state": first, "code": "x"})["reason"] == (
        f"{PREFIX} because the query state parameter does not match the state parameter from"
        " the session cookie."
    )
    # Browsers without Accept: JSON land on the error UI.
    r = browser.get(path)
    assert r.status_code == 303 and "/ui/error?id=" in r.headers["location"]


def test_callback_without_code_and_with_an_expired_flow(
    server: PhalanxServer, browser: httpx.Client
) -> None:
    path = "/self-service/methods/oidc/callback/dot"
    target = to_provider(browser, start_flow(browser, "login"), "dot")
    r = browser.get(
        f"{path}?{urlencode({'state': query(target)['state']})}",
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["ui"]["messages"][0]["text"] == (
        f"{PREFIX} because the OpenID Provider did not return the code query parameter."
    )
    target = to_provider(browser, start_flow(browser, "registration"), "dot")
    import time

    time.sleep(4.5)  # registration.lifespan is 4s in this module
    r = browser.get(
        f"{path}?{urlencode({'state': query(target)['state'], 'code': 'x'})}",
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 410
    assert r.json()["error"]["id"] == "self_service_flow_expired"


@pytest.mark.parametrize(
    ("provider", "reason"),
    [("dotimport", "import"), ("dotloop", "stopped")],
)
def test_a_mapper_that_reads_a_file_or_loops_forever_is_stopped(
    server: PhalanxServer,
    browser: httpx.Client,
    oidc_provider: OidcProvider,
    provider: str,
    reason: str,
) -> None:
    user = oidc_provider.users["bob"]
    before = identities_with(server, user.email)
    target = to_provider(browser, start_flow(browser, "registration"), provider)
    callback = sign_in_at_provider(browser, target, user)
    r = browser.get(callback, headers={"Accept": "application/json"})
    assert r.status_code == 500, r.text
    error = r.json()["error"]
    assert error["reason"].startswith("OpenID Connect Jsonnet mapper failed:")
    assert reason in error["reason"]
    assert identities_with(server, user.email) == before
    assert browser.get("/sessions/whoami").status_code == 401


def test_invalid_mapped_traits_fall_back_to_the_registration_form(
    server: PhalanxServer, browser: httpx.Client, oidc_provider: OidcProvider
) -> None:
    user = oidc_provider.users["carol"]
    target = to_provider(browser, start_flow(browser, "registration"), "dotbad")
    r = browser.get(
        sign_in_at_provider(browser, target, user), headers={"Accept": "application/json"}
    )
    assert r.status_code == 400, r.text
    nodes = {(n["group"], n["attributes"]["name"]): n for n in r.json()["ui"]["nodes"]}
    button = nodes[("oidc", "provider")]
    assert button["attributes"]["value"] == "dotbad"
    assert button["meta"]["label"]["id"] == 1040003
    email = nodes[("default", "traits.email")]
    assert email["attributes"]["value"] == "not-an-email"
    assert email["messages"][0]["id"] == 4000001
    assert identities_with(server, "not-an-email") == []
    # Fixing the trait and continuing goes through the provider again; the form wins.
    flow = r.json()
    r = browser.post(
        flow["ui"]["action"],
        data={
            "csrf_token": csrf(flow),
            "provider": "dotbad",
            "traits.email": "carol.fixed@example.test",
        },
    )
    assert r.status_code == 303, r.text
    r = browser.get(sign_in_at_provider(browser, r.headers["location"], user))
    assert r.status_code == 303 and r.headers["location"] == f"{server.public_url}/welcome"
    whoami = browser.get("/sessions/whoami").json()
    assert whoami["identity"]["traits"]["email"] == "carol.fixed@example.test"


def test_native_id_token_sign_up_and_in(server: PhalanxServer, oidc_provider: OidcProvider) -> None:
    user = oidc_provider.users["carol"]
    with SpecClient(server.public_url, timeout=30) as app:
        flow = app.get("/self-service/registration/api").json()
        token = fetch_id_token(oidc_provider, user, nonce="n-0S6_WzA2Mj")
        r = app.post(
            flow["ui"]["action"],
            json={"method": "oidc", "provider": "dot", "id_token": token, "id_token_nonce": "x"},
            validate=False,
        )
        assert r.status_code == 502
        assert error_of(r)["reason"] == (
            "The supplied nonce does not match the nonce from the id_token"
        )
        flow = app.get("/self-service/registration/api").json()
        r = app.post(
            flow["ui"]["action"],
            json={
                "method": "oidc",
                "provider": "dot",
                "id_token": token,
                "id_token_nonce": "n-0S6_WzA2Mj",
            },
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["identity"]["traits"]["email"] == user.email
        assert body["session_token"]
        tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        flow = app.get("/self-service/login/api").json()
        r = app.post(
            flow["ui"]["action"],
            json={"method": "oidc", "provider": "dot", "id_token": tampered},
            validate=False,
        )
        assert r.status_code == 403 and error_of(r)["reason"] == "Could not verify id_token"
        flow = app.get("/self-service/login/api").json()
        r = app.post(
            flow["ui"]["action"],
            json={
                "method": "oidc",
                "provider": "dot",
                "id_token": fetch_id_token(oidc_provider, user, nonce="second"),
                "id_token_nonce": "second",
            },
        )
        assert r.status_code == 200, r.text
        assert r.json()["session"]["identity"]["id"] == body["identity"]["id"]


def test_unknown_provider_and_no_id_token_support(server: PhalanxServer) -> None:
    with SpecClient(server.public_url, timeout=30) as app:
        flow = app.get("/self-service/login/api").json()
        r = app.post(
            flow["ui"]["action"], json={"method": "oidc", "provider": "nope"}, validate=False
        )
        assert r.status_code == 404
        assert error_of(r)["reason"] == (
            'OpenID Connect Provider "nope" is unknown or has not been configured'
        )


def test_apple_form_post_becomes_a_get(server: PhalanxServer) -> None:
    r = httpx.post(
        f"{server.public_url}/self-service/methods/oidc/callback/dot?x=1",
        data={"state": "abc", "code": "def", "user": '{"name":{"firstName":"A"}}'},
    )
    assert r.status_code == 302
    target = urlsplit(r.headers["location"])
    assert target.path == "/self-service/methods/oidc/callback/dot"
    assert query(r.headers["location"]) == {
        "x": "1",
        "state": "abc",
        "code": "def",
        "user": '{"name":{"firstName":"A"}}',
    }


def test_mapper_loaded_from_base64(oidc_provider: OidcProvider) -> None:
    entry = provider_config(oidc_provider, "dot")
    assert base64.b64decode(entry["mapper_url"].removeprefix("base64://")).startswith(b"local")


def test_claims_from_the_userinfo_endpoint_and_upstream_parameters(
    server: PhalanxServer, browser: httpx.Client, oidc_provider: OidcProvider
) -> None:
    """``claims_source: userinfo``: the userinfo answer (its ``sub`` checked against the ID
    token's) feeds the mapper; ``upstream_parameters`` reach the provider, filtered."""
    user = oidc_provider.users["bob"]
    flow = start_flow(browser, "registration")
    r = browser.post(
        flow["ui"]["action"],
        json={
            "method": "oidc",
            "provider": "dotuserinfo",
            "csrf_token": csrf(flow),
            "upstream_parameters": {"login_hint": "bob", "prompt": "login", "foo": "bar"},
        },
    )
    assert r.status_code == 422, r.text
    target = r.json()["redirect_browser_to"]
    params = query(target)
    assert params["login_hint"] == "bob" and params["prompt"] == "login"
    assert "foo" not in params
    r = browser.get(sign_in_at_provider(browser, target, user))
    assert r.status_code == 303, r.text
    identity = browser.get("/sessions/whoami").json()["identity"]
    with SpecClient(server.admin_url) as admin:
        full = admin.get(f"/admin/identities/{identity['id']}").json()
    assert full["metadata_admin"]["iss"] == oidc_provider.issuer
    assert full["metadata_admin"]["raw"]["email"] == user.email


def test_linking_needs_a_privileged_session(
    server: PhalanxServer, browser: httpx.Client, oidc_provider: OidcProvider
) -> None:
    """A stale session is sent to a refresh login first (which offers only the linked
    provider and asks it for ``prompt=login``); the paused link then goes on by itself."""
    import time

    user = oidc_provider.users["erin"]
    r = browser.get(
        sign_in_at_provider(
            browser, to_provider(browser, start_flow(browser, "login"), "dotpkce"), user
        )
    )
    assert r.status_code == 303, r.text
    time.sleep(4.5)  # settings.privileged_session_max_age is 4s in this module
    flow = browser.get(
        "/self-service/settings/browser", headers={"Accept": "application/json"}
    ).json()
    r = browser.post(flow["ui"]["action"], data={"csrf_token": csrf(flow), "link": "dotnever"})
    assert r.status_code == 303
    refresh = r.headers["location"]
    assert "/self-service/login/browser?refresh=true" in refresh
    r = browser.get(refresh, headers={"Accept": "application/json"})
    login = r.json()
    offered = [n["attributes"]["value"] for n in login["ui"]["nodes"] if n["group"] == "oidc"]
    assert offered == ["dotpkce"]
    target = to_provider(browser, login, "dotpkce")
    assert query(target)["prompt"] == "login"
    r = browser.get(sign_in_at_provider(browser, target, user))
    assert r.status_code == 303, r.text
    back = r.headers["location"]
    assert f"flow={flow['id']}" in back
    r = browser.get(back)  # the paused link resumes: off to the provider again
    assert r.status_code == 303 and r.headers["location"].startswith(oidc_provider.issuer)
    r = browser.get(sign_in_at_provider(browser, r.headers["location"], user))
    assert r.status_code == 303, r.text
    done = browser.get(
        f"/self-service/settings/flows?id={flow['id']}", headers={"Accept": "application/json"}
    ).json()
    assert done["state"] == "success"
    unlinkable = [
        n["attributes"]["value"]
        for n in done["ui"]["nodes"]
        if n["group"] == "oidc" and n["attributes"]["name"] == "unlink"
    ]
    assert sorted(unlinkable) == ["dotnever", "dotpkce"]
