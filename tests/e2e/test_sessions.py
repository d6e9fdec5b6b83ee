"""Sessions: cookies, tokens, whoami, lifespan and extension, the user's own sessions."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import httpx
import ory_kratos_client as kratos
import pytest
from ory_kratos_client.exceptions import ApiException

from phalanx.testing import PASSWORD, Browser, csrf_cookie_name, flows_config, node, set_cookies
from phalanx.testing.sdk import frontend, login_api, register_api
from tests.support.api import SpecClient, error_of
from tests.support.identities import unique_email
from tests.support.openapi import checked
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

TOKEN = re.compile(r"ory_st_[A-Za-z0-9]{32}")


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(config=flows_config())


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _whoami(server: PhalanxServer, **headers: str) -> httpx.Response:
    return checked(httpx.get(f"{server.public_url}/sessions/whoami", headers=headers))


def test_tokens_are_random_and_well_formed(server: PhalanxServer) -> None:
    with frontend(server) as api:
        email = unique_email("entropy")
        tokens = [register_api(api, email).session_token]
        tokens += [login_api(api, email).session_token for _ in range(5)]
    assert all(t and TOKEN.fullmatch(t) for t in tokens)
    assert len(set(tokens)) == len(tokens)
    alphabet = set("".join(t[7:] for t in tokens if t))
    assert len(alphabet) > 40  # letters of both cases and digits, not hex


def test_whoami_body_headers_and_devices(server: PhalanxServer) -> None:
    email = unique_email("whoami")
    with Browser(server, **{"User-Agent": "phalanx-tests/1.0", "Cf-Ipcity": "Berlin"}) as b:
        r = b.register(email)
        me = b.whoami()
    assert me.status_code == 200
    body = me.json()
    assert me.headers["X-Kratos-Authenticated-Identity-Id"] == body["identity"]["id"]
    assert body["active"] is True
    assert body["authenticator_assurance_level"] == "aal1"
    assert [m["method"] for m in body["authentication_methods"]] == ["password"]
    assert body["authentication_methods"][0]["aal"] == "aal1"
    assert body["identity"]["traits"]["email"] == email
    assert "credentials" not in body["identity"]
    assert _ts(body["authenticated_at"]) == _ts(body["issued_at"])
    lifespan = _ts(body["expires_at"]) - _ts(body["issued_at"])
    assert abs(lifespan.total_seconds() - 24 * 3600) < 5
    (device,) = body["devices"]
    assert device["ip_address"] == "127.0.0.1"
    assert device["user_agent"] == "phalanx-tests/1.0"
    assert device["location"] == "Berlin"
    assert r.json()["session"]["id"] == body["id"]


def test_whoami_without_a_session_is_401(server: PhalanxServer) -> None:
    for headers in ({}, {"X-Session-Token": "ory_st_nope"}, {"Authorization": "Bearer x"}):
        r = _whoami(server, **headers)
        assert r.status_code == 401
        assert error_of(r) == {
            "code": 401,
            "status": "Unauthorized",
            "reason": "No valid session credentials found in the request.",
            "message": "The request could not be authorized",
        }
    with frontend(server) as api, pytest.raises(ApiException) as caught:
        api.to_session()
    assert caught.value.status == 401


def test_token_sources_and_their_order(server: PhalanxServer) -> None:
    with frontend(server) as api:
        a = register_api(api, unique_email("a"))
        b = register_api(api, unique_email("b"))
    with Browser(server) as browser:
        browser.register()
        cookie_identity = browser.whoami().json()["identity"]["id"]
        jar = browser.cookies
        r = checked(
            httpx.get(
                f"{server.public_url}/sessions/whoami",
                headers={
                    "X-Session-Token": a.session_token or "",
                    "Authorization": f"Bearer {b.session_token}",
                },
                cookies=jar,
            )
        )
        assert r.json()["identity"]["id"] == a.identity.id  # header first
        r = checked(
            httpx.get(
                f"{server.public_url}/sessions/whoami",
                headers={"Authorization": f"Bearer {b.session_token}"},
                cookies=jar,
            )
        )
        assert r.json()["identity"]["id"] == cookie_identity  # then the cookie
    r = _whoami(server, Authorization=f"bearer {b.session_token}")
    assert r.json()["identity"]["id"] == b.identity.id  # then Bearer, any case


def test_session_cookie_attributes_in_dev_mode(server: PhalanxServer) -> None:
    with Browser(server) as browser:
        r = browser.register()
        morsel = set_cookies(r)["ory_kratos_session"]["ory_kratos_session"]
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Lax"
    assert morsel["path"] == "/"
    assert not morsel["secure"]
    assert abs(int(morsel["max-age"]) - 86400) <= 5
    assert "ory_st_" not in morsel.value  # the cookie is not the bare token


def test_configured_cookie_attributes(module_server_factory: ServerFactory) -> None:
    custom = module_server_factory.start(
        config=flows_config(
            {
                "session": {
                    "cookie": {
                        "name": "my_session",
                        "persistent": False,
                        "path": "/",
                        "same_site": "Strict",
                        "domain": "127.0.0.1",
                    }
                }
            }
        ),
    )
    with Browser(custom) as browser:
        r = browser.register()
        morsel = set_cookies(r)["my_session"]["my_session"]
        assert morsel["samesite"] == "Strict"
        assert morsel["max-age"] == ""  # a session cookie
        assert morsel["domain"] == "127.0.0.1"
        assert "ory_kratos_session" not in set_cookies(r)
        assert browser.whoami().status_code == 200
    custom.stop()


def test_secure_cookies_outside_dev_mode(module_server_factory: ServerFactory) -> None:
    production = module_server_factory.start(config=flows_config(), dev=False, database="memory")
    init = checked(
        httpx.get(
            f"{production.public_url}/self-service/registration/browser",
            headers={"Accept": "application/json"},
        )
    )
    name = csrf_cookie_name(production.config["serve"]["public"]["base_url"])
    csrf_cookie = set_cookies(init)[name][name]
    assert csrf_cookie["secure"] is True  # an httpx jar would not even send it over http
    flow = init.json()
    r = checked(
        httpx.post(
            flow["ui"]["action"],
            json={
                "method": "password",
                "traits.email": unique_email(),
                "password": PASSWORD,
                "csrf_token": node(flow, "csrf_token")["attributes"]["value"],
            },
            headers={"Cookie": f"{name}={csrf_cookie.value}"},
        )
    )
    assert r.status_code == 200, r.text
    assert set_cookies(r)["ory_kratos_session"]["ory_kratos_session"]["secure"] is True
    production.stop()


def test_lifespan_extension_and_cookie_refresh(module_server_factory: ServerFactory) -> None:
    short = module_server_factory.start(
        config=flows_config({"session": {"lifespan": "4s", "earliest_possible_extend": "3500ms"}})
    )
    with frontend(short) as api:
        plain_one = register_api(api)
    assert plain_one.session is not None
    plain_expires = plain_one.session.expires_at
    with Browser(short) as browser:
        session = browser.register().json()["session"]
        expires = _ts(session["expires_at"])
        assert (expires - _ts(session["issued_at"])).total_seconds() == pytest.approx(4, abs=0.5)
        with SpecClient(short.admin_url) as admin:
            # more than earliest_possible_extend left: extending changes nothing
            r = admin.patch(f"/admin/sessions/{session['id']}/extend")
            assert r.status_code == 200 and _ts(r.json()["expires_at"]) == expires
            assert "ory_kratos_session" not in set_cookies(browser.whoami())
            time.sleep(1.5)
            r = admin.patch(f"/admin/sessions/{session['id']}/extend")
            extended = _ts(r.json()["expires_at"])
            assert extended > expires
        # whoami re-issues a cookie that was issued for the old expiry
        refreshed = browser.whoami()
        assert refreshed.status_code == 200
        assert "ory_kratos_session" in set_cookies(refreshed)
        # Wait until the other session has run out (deadlines from the server's own
        # timestamps, so a slow machine cannot make the steps overlap).
        assert plain_expires is not None and extended > plain_expires
        time.sleep(max(0.0, (plain_expires - datetime.now(UTC)).total_seconds() + 0.2))
        r = _whoami(short, **{"X-Session-Token": plain_one.session_token or ""})
        assert r.status_code == 401
        with SpecClient(short.admin_url) as admin:
            assert admin.get(f"/admin/sessions/{session['id']}").json()["active"] is True
    short.stop()


def test_list_and_revoke_my_sessions(server: PhalanxServer) -> None:
    email = unique_email("mine")
    with frontend(server) as api:
        current = register_api(api, email)
        others = [login_api(api, email) for _ in range(3)]
        token = current.session_token
        listed = api.list_my_sessions(x_session_token=token)
        assert {s.id for s in listed} == {o.session.id for o in others}
        assert all(s.identity is None for s in listed)
        page = api.list_my_sessions(x_session_token=token, page_size=2)
        assert len(page) == 2
        api.disable_my_session(id=others[0].session.id, x_session_token=token)
        assert len(api.list_my_sessions(x_session_token=token)) == 2
        with pytest.raises(ApiException) as caught:
            api.disable_my_session(id=current.session.id, x_session_token=token)  # type: ignore[union-attr]
        assert caught.value.status == 400
        revoked = api.disable_my_other_sessions(x_session_token=token)
        assert isinstance(revoked, kratos.DeleteMySessionsCount) and revoked.count == 2
        assert api.list_my_sessions(x_session_token=token) == []
        assert api.to_session(x_session_token=token).id == current.session.id  # type: ignore[union-attr]
        with pytest.raises(ApiException) as caught:
            api.to_session(x_session_token=others[1].session_token)
        assert caught.value.status == 401


def test_my_sessions_pagination_headers(server: PhalanxServer) -> None:
    email = unique_email("pages")
    with frontend(server) as api:
        current = register_api(api, email)
        for _ in range(3):
            login_api(api, email)
    headers = {"X-Session-Token": current.session_token or ""}
    r = checked(httpx.get(f"{server.public_url}/sessions?page_size=2", headers=headers))
    assert r.headers["X-Total-Count"] == "3"
    assert 'rel="next"' in r.headers["Link"] and len(r.json()) == 2
    next_url = r.headers["Link"].split(";")[0].strip("<>")
    r2 = checked(httpx.get(next_url, headers=headers))
    assert len(r2.json()) == 1
    assert {s["id"] for s in r.json()}.isdisjoint({s["id"] for s in r2.json()})


def test_my_sessions_errors(server: PhalanxServer) -> None:
    r = checked(httpx.get(f"{server.public_url}/sessions"))
    assert r.status_code == 401 and error_of(r)["reason"] == "No valid session cookie found."
    r = checked(httpx.delete(f"{server.public_url}/sessions"))
    assert r.status_code == 401
    with frontend(server) as api:
        token = register_api(api).session_token or ""
    r = checked(
        httpx.delete(f"{server.public_url}/sessions/not-a-uuid", headers={"X-Session-Token": token})
    )
    assert r.status_code == 400
    # somebody else's session id: nothing happens
    with frontend(server) as api:
        other = register_api(api)
    r = httpx.delete(
        f"{server.public_url}/sessions/{other.session.id}",  # type: ignore[union-attr]
        headers={"X-Session-Token": token},
    )
    assert r.status_code == 204
    assert _whoami(server, **{"X-Session-Token": other.session_token or ""}).status_code == 200
