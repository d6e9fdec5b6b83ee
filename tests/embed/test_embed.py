"""Phalanx embedded in a FastAPI app, in this process: mounting under prefixes, the
lifespan, ``current_session`` (whoami's answers, cache and AAL guard), config sources."""

# No ``from __future__ import annotations``: FastAPI must see the dependency aliases that
# host_app() defines locally as objects, not as names to look up in the module.

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
import yaml
from fastapi import Depends, FastAPI, Request

import phalanx
from phalanx.embed import SessionError
from phalanx.testing import PASSWORD, FrozenClock, csrf_token, query_of, unique_email
from tests.support.paths import DATA

pytestmark = pytest.mark.anyio

BASE = "https://host.test"
JSON = {"Accept": "application/json"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def embedded_config(**extra: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "dsn": "memory",
        "serve": {
            "public": {"base_url": f"{BASE}/auth/"},
            "admin": {"base_url": f"{BASE}/internal/kratos/"},
        },
        "identity": {
            "schemas": [{"id": "default", "url": (DATA / "identity.email.schema.json").as_uri()}]
        },
        "selfservice": {
            "default_browser_return_url": f"{BASE}/",
            "methods": {
                "password": {"config": {"haveibeenpwned_enabled": False}},
                "lookup_secret": {"enabled": True},
            },
            "flows": {"registration": {"after": {"password": {"hooks": [{"hook": "session"}]}}}},
        },
        "hashers": {"algorithm": "bcrypt", "bcrypt": {"cost": 4}},
        "secrets": {"cookie": ["a-cookie-secret-of-some-length-0"]},
    }
    config.update(extra)
    return config


def host_app(px: phalanx.Phalanx) -> FastAPI:
    app = FastAPI(lifespan=px.lifespan, exception_handlers=px.exception_handlers)
    app.mount("/auth", px.public_app)
    app.mount("/internal/kratos", px.admin_app)

    signed_in = Annotated[dict[str, Any], Depends(px.require_session())]
    any_level = Annotated[dict[str, Any], Depends(px.require_session("aal1"))]

    @app.get("/me")
    async def me(session: signed_in) -> dict[str, Any]:
        return session

    @app.get("/me/aal1")
    async def me_aal1(session: any_level) -> dict[str, Any]:
        return session

    @app.get("/plain")
    async def plain(request: Request) -> dict[str, Any]:
        try:
            session = await px.current_session(request)
        except SessionError as error:
            return {"status": error.status_code, "detail": error.detail}
        return {"id": session["id"]}

    return app


@pytest.fixture
async def host() -> AsyncIterator[tuple[phalanx.Phalanx, httpx.AsyncClient]]:
    px = phalanx.Phalanx.from_config(embedded_config(), env={}, courier=False)
    app = host_app(px)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
            yield px, http
    assert not px.started


async def register(http: httpx.AsyncClient, email: str | None = None) -> dict[str, Any]:
    """A browser registration through the mounted app; leaves the session cookie."""
    r = await http.get("/auth/self-service/registration/browser", headers=JSON)
    assert r.status_code == 200, r.text
    flow = r.json()
    body = {
        "method": "password",
        "traits.email": email or unique_email("embed"),
        "password": PASSWORD,
        "csrf_token": csrf_token(flow),
    }
    r = await http.post(flow["ui"]["action"], json=body, headers=JSON)
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


async def test_public_app_under_a_prefix(
    host: tuple[phalanx.Phalanx, httpx.AsyncClient],
) -> None:
    _, http = host
    r = await http.get("/auth/self-service/login/browser")
    assert r.status_code == 303
    assert r.headers["location"].startswith(f"{BASE}/auth/ui/login?flow=")
    flow_id = query_of(r.headers["location"])["flow"]
    flow = await http.get("/auth/self-service/login/flows", params={"id": flow_id})
    assert flow.status_code == 200, flow.text
    assert flow.json()["ui"]["action"].startswith(f"{BASE}/auth/self-service/login?flow=")
    # The CSRF cookie is for the whole site (Kratos's path "/"), named after the base URL.
    cookie = next(c for c in http.cookies.jar if c.name.startswith("csrf_token_"))
    assert cookie.path == "/" and cookie.secure
    # Kratos's admin-route redirect keeps the prefix of the admin base URL.
    r = await http.get("/auth/admin/identities")
    assert r.status_code == 307
    assert r.headers["location"] == f"{BASE}/internal/kratos/admin/identities"
    assert (await http.get("/auth/health/ready")).json() == {"status": "ok"}

    result = await register(http)
    session_cookie = next(c for c in http.cookies.jar if c.name == "ory_kratos_session")
    assert session_cookie.path == "/"  # the host's own routes see it
    assert (await http.get("/me")).json()["id"] == result["session"]["id"]


async def test_admin_app_under_a_prefix(host: tuple[phalanx.Phalanx, httpx.AsyncClient]) -> None:
    _, http = host
    email = unique_email("admin")
    body = {"schema_id": "default", "traits": {"email": email}}
    r = await http.post("/internal/kratos/admin/identities", json=body)
    assert r.status_code == 201, r.text
    # Kratos serves /x as /admin/x on the admin port; under a prefix too.
    r = await http.get("/internal/kratos/identities", params={"credentials_identifier": email})
    assert r.status_code == 200 and [i["traits"]["email"] for i in r.json()] == [email]
    r = await http.get("/internal/kratos/sessions/whoami")
    assert r.status_code == 307 and r.headers["location"] == f"{BASE}/auth/sessions/whoami"


async def test_current_session_answers_as_whoami(
    host: tuple[phalanx.Phalanx, httpx.AsyncClient],
) -> None:
    px, http = host
    anonymous = await http.get("/me")
    whoami = await http.get("/auth/sessions/whoami")
    assert anonymous.status_code == whoami.status_code == 401
    assert anonymous.json() == whoami.json()
    assert (await http.get("/plain")).json() == {
        "status": 401,
        "detail": "No valid session credentials found in the request.",
    }

    result = await register(http)
    cache = px.registry.whoami.cache
    assert cache is not None
    before = len(cache)
    me = await http.get("/me")
    assert me.status_code == 200
    assert len(cache) == before + 1  # whoami's cache, one entry for both
    assert me.json() == (await http.get("/auth/sessions/whoami")).json()
    assert len(cache) == before + 1

    # A session token (native apps) works as the cookie does.
    bare = httpx.AsyncClient(transport=http._transport, base_url=BASE)
    async with bare:
        token = await native_token(bare, result["identity"]["traits"]["email"])
        r = await bare.get("/me", headers={"X-Session-Token": token})
        assert r.status_code == 200 and r.json()["identity"]["id"] == result["identity"]["id"]
        r = await bare.get("/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200
        # Revocation is seen at once (the cache's revocation epoch).
        logout = {"session_token": token}
        r = await bare.request("DELETE", "/auth/self-service/logout/api", json=logout)
        assert r.status_code == 204
        assert (await bare.get("/me", headers={"X-Session-Token": token})).status_code == 401


async def native_token(http: httpx.AsyncClient, email: str) -> str:
    flow = (await http.get("/auth/self-service/login/api")).json()
    body = {"method": "password", "identifier": email, "password": PASSWORD}
    r = await http.post(flow["ui"]["action"], json=body, headers=JSON)
    assert r.status_code == 200, r.text
    token: str = r.json()["session_token"]
    return token


async def test_required_aal(host: tuple[phalanx.Phalanx, httpx.AsyncClient]) -> None:
    px, http = host
    result = await register(http)
    # Enrol backup codes: the identity now has a second factor (this session is aal2).
    r = await http.get("/auth/self-service/settings/browser", headers=JSON)
    flow = r.json()
    body = {"method": "lookup_secret", "lookup_secret_regenerate": True}
    r = await http.post(flow["ui"]["action"], json={**body, "csrf_token": csrf_token(flow)})
    assert r.status_code == 200, r.text
    body = {"method": "lookup_secret", "lookup_secret_confirm": True}
    r = await http.post(flow["ui"]["action"], json={**body, "csrf_token": csrf_token(flow)})
    assert r.status_code == 200, r.text

    assert (await http.get("/me")).json()["authenticator_assurance_level"] == "aal2"

    # A new password-only session is aal1: below highest_available.
    async with httpx.AsyncClient(transport=http._transport, base_url=BASE) as bare:
        token = await native_token(bare, result["identity"]["traits"]["email"])
        headers = {"X-Session-Token": token}
        whoami = await bare.get("/auth/sessions/whoami", headers=headers)
        me = await bare.get("/me", headers=headers)
        assert whoami.status_code == me.status_code == 403
        assert me.json() == whoami.json()
        assert me.json()["error"]["id"] == "session_aal2_required"
        assert me.headers["ory-error-id"] == whoami.headers["ory-error-id"]
        r = await bare.get("/me/aal1", headers=headers)
        assert r.status_code == 200 and r.json()["authenticator_assurance_level"] == "aal1"
        with pytest.raises(SessionError) as raised:
            raw = [(b"x-session-token", headers["X-Session-Token"].encode())]
            await px.current_session(Request({"type": "http", "headers": raw}))
        assert raised.value.status_code == 403
    with pytest.raises(ValueError, match="required_aal"):
        px.require_session("aal2")  # type: ignore[arg-type]


async def test_frozen_clock_expires_sessions(
    host: tuple[phalanx.Phalanx, httpx.AsyncClient],
) -> None:
    _, http = host
    with FrozenClock() as clock:
        await register(http)
        assert (await http.get("/me")).status_code == 200
        clock.advance(hours=23)
        assert (await http.get("/me")).status_code == 200
        clock.advance(hours=2)  # past session.lifespan (24h), though cached a moment ago
        assert (await http.get("/me")).status_code == 401


async def test_not_started_and_served_alone(tmp_path: Path) -> None:
    px = phalanx.Phalanx.from_config(embedded_config(), env={}, courier=False)
    transport = httpx.ASGITransport(app=px.public_app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
        r = await http.get("/health/alive")
        assert r.status_code == 503
        assert r.json()["error"]["code"] == 503
        with pytest.raises(RuntimeError, match="not started"):
            px.registry  # noqa: B018
        async with px.lifespan(), px.lifespan():  # nested starts are counted
            assert (await http.get("/health/alive")).status_code == 200
        assert not px.started
        assert (await http.get("/health/alive")).status_code == 503


async def test_unmigrated_database_stops_start(tmp_path: Path) -> None:
    dsn = f"sqlite:///{tmp_path / 'fresh.sqlite'}?_fk=true"
    px = phalanx.Phalanx.from_config(embedded_config(dsn=dsn), env={}, courier=False)
    with pytest.raises(RuntimeError, match="migrate"):
        await px.start()
    assert not px.started
    px = phalanx.Phalanx.from_config(embedded_config(dsn=dsn), env={}, migrate=True)
    async with px.lifespan():
        assert px.started


async def test_prefix_mismatch_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    px = phalanx.Phalanx.from_config(embedded_config(), env={}, courier=False)
    app = FastAPI(lifespan=px.lifespan)
    app.mount("/identity", px.public_app)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
            with caplog.at_level(logging.WARNING, logger="phalanx.embed"):
                assert (await http.get("/identity/health/alive")).status_code == 200
                await http.get("/identity/health/alive")
    warnings = [r.getMessage() for r in caplog.records if r.name == "phalanx.embed"]
    assert len(warnings) == 1 and "mounted at /identity" in warnings[0]


async def test_config_sources(tmp_path: Path) -> None:
    path = tmp_path / "kratos.yml"
    path.write_text(yaml.safe_dump(embedded_config()))
    from_file = phalanx.Phalanx.from_config(path, env={})
    from_dict = phalanx.Phalanx.from_config(embedded_config(), env={})
    assert from_file.config.public_base_url == from_dict.config.public_base_url
    assert from_file.config.config_files == (path,) and from_dict.config.config_files == ()
    assert phalanx.Phalanx.from_config(from_file.config).config is from_file.config
    builtin = phalanx.Phalanx.from_config(None, env={}, data_dir=tmp_path)
    assert builtin.config.public_base_url == "http://127.0.0.1:4433/"
    assert (tmp_path / "phalanx.secrets").exists()
    env = {"SERVE_PUBLIC_BASE_URL": "https://other.test/id/"}
    assert phalanx.Phalanx.from_config(path, env=env).config.public_base_url == (
        "https://other.test/id/"
    )
    with pytest.raises(phalanx.ConfigError):
        phalanx.Phalanx.from_config({"dsn": "memory"}, env={})
