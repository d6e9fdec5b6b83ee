"""Logout: the browser logout URL, its token, and native session-token revocation."""

from __future__ import annotations

import re

import httpx
import ory_kratos_client as kratos
import pytest
from ory_kratos_client.exceptions import ApiException

from phalanx.testing import Browser, csrf_cookie_name, flows_config, query_of, set_cookies
from phalanx.testing.sdk import frontend, register_api
from tests.support.api import error_of
from tests.support.openapi import checked
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

AFTER = "https://app.example.com/bye"


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(
        config=flows_config(
            {
                "selfservice": {
                    "allowed_return_urls": ["https://app.example.com/"],
                    "flows": {"logout": {"after": {"default_browser_return_url": AFTER}}},
                }
            }
        )
    )


def test_browser_logout_url_and_token(server: PhalanxServer) -> None:
    with Browser(server) as browser:
        browser.register()
        r = browser.get("/self-service/logout/browser")
        assert r.status_code == 200
        body = r.json()
        assert re.fullmatch(r"ory_lo_[A-Za-z0-9]{32}", body["logout_token"])
        assert body["logout_url"] == (
            f"{server.public_url}/self-service/logout?token={body['logout_token']}"
        )
        with_return = browser.get(
            "/self-service/logout/browser", params={"return_to": "https://app.example.com/x"}
        ).json()
        assert query_of(with_return["logout_url"])["return_to"] == "https://app.example.com/x"
        r = browser.get("/self-service/logout/browser", params={"return_to": "https://evil.test/"})
        assert r.status_code == 400
        assert error_of(r)["id"] == "self_service_flow_return_to_forbidden"


def test_plain_browser_logout_redirects_and_clears_the_cookie(server: PhalanxServer) -> None:
    with Browser(server) as spa:
        spa.register()
        url = spa.get("/self-service/logout/browser").json()["logout_url"]
        cookies = dict(spa.cookies)
    with Browser(server, json=False) as html:
        html.cookies.update(cookies)
        r = html.get(url)
        assert r.status_code == 303 and r.headers["location"] == AFTER
        cleared = set_cookies(r)
        session = cleared["ory_kratos_session"]["ory_kratos_session"]
        assert session.value == "" and session["max-age"] == "-1"
        assert (
            csrf_cookie_name(server.config["serve"]["public"]["base_url"]) in cleared
        )  # regenerated
    r = checked(httpx.get(f"{server.public_url}/sessions/whoami", cookies=cookies))
    assert r.status_code == 401


def test_spa_logout_is_204_and_honours_return_to(server: PhalanxServer) -> None:
    with Browser(server) as spa:
        spa.register()
        url = spa.get(
            "/self-service/logout/browser", params={"return_to": "https://app.example.com/x"}
        ).json()["logout_url"]
        r = spa.get(url)
        assert r.status_code == 204
        assert spa.whoami().status_code == 401


def test_wrong_or_missing_logout_tokens(server: PhalanxServer) -> None:
    with Browser(server) as spa:
        r = spa.get("/self-service/logout/browser")
        assert r.status_code == 401 and error_of(r)["id"] == "session_inactive"
        assert r.json()["CredentialsMissing"] is True
        spa.register()
        r = spa.get("/self-service/logout")
        assert r.status_code == 400
        assert error_of(r)["reason"] == "Please include a token in the URL query."
        r = spa.get("/self-service/logout?token=ory_lo_wrong")
        assert r.status_code == 403
        assert error_of(r)["reason"] == (
            "Unable to log out because the logout token in the URL query does not match the "
            "session cookie."
        )
        assert spa.whoami().status_code == 200
    # another user's logout token does not log this one out
    with Browser(server) as alice, Browser(server) as bob:
        alice.register()
        bob.register()
        token = alice.get("/self-service/logout/browser").json()["logout_token"]
        r = bob.get(f"/self-service/logout?token={token}")
        assert r.status_code == 403
    with Browser(server, json=False) as html:
        r = html.get("/self-service/logout?token=x")
        assert r.status_code == 303
        assert r.headers["location"].startswith(f"{server.public_url}/ui/error?id=")


def test_native_logout(server: PhalanxServer) -> None:
    with frontend(server) as api:
        token = register_api(api).session_token or ""
        api.perform_native_logout(
            perform_native_logout_body=kratos.PerformNativeLogoutBody(session_token=token)
        )
        with pytest.raises(ApiException) as caught:
            api.to_session(x_session_token=token)
        assert caught.value.status == 401
    for body in ({"session_token": "ory_st_unknown"}, {}):
        url = f"{server.public_url}/self-service/logout/api"
        r = checked(httpx.request("DELETE", url, json=body))
        assert r.status_code == 403
        assert error_of(r)["reason"] == (
            "The provided Ory Session Token could not be found, is invalid, or otherwise malformed."
        )
    r = checked(
        httpx.request(
            "DELETE", f"{server.public_url}/self-service/logout/api", content=b"{not json"
        )
    )
    assert r.status_code == 400
