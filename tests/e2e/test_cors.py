"""CORS on both ports, as Kratos serves ``serve.public.cors`` with rs/cors (issue 9, item 4):
real preflights and actual requests against ``phalanx serve``; the policy's corners
(wildcards, defaults, passthrough) in process. A real browser drives it in
``tests/web/test_browser_cors.py``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from phalanx.config.model_serve import CorsConfig
from phalanx.http.middleware.cors import CORS
from tests.support.api import SpecClient, error_of
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

SPA = "http://127.0.0.1:4455"
ADMIN_UI = "https://admin.example.com"
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(
        config={
            "log": {"level": "info"},  # cors.debug logs at INFO
            "serve": {
                "public": {
                    "cors": {
                        "enabled": True,
                        "allowed_origins": [SPA, "https://*.example.com"],
                        "debug": True,
                    }
                },
                "admin": {
                    "cors": {
                        "enabled": True,
                        "allowed_origins": [ADMIN_UI],
                        "allowed_methods": ["GET"],
                        "exposed_headers": ["link", "x-total-count"],
                        "allow_credentials": False,
                        "max_age": 600,
                    }
                },
            },
        }
    )


def _preflight(
    base: str, path: str, origin: str | None, method: str = "GET", headers: str | None = None
) -> httpx.Response:
    sent = {"Access-Control-Request-Method": method}
    if origin is not None:
        sent["Origin"] = origin
    if headers is not None:
        sent["Access-Control-Request-Headers"] = headers
    return httpx.options(f"{base}{path}", headers=sent, timeout=10)


def _cors(response: httpx.Response) -> dict[str, str]:
    return {k.lower(): v for k, v in response.headers.items() if k.lower().startswith("access-")}


def test_preflight_for_the_session_token_header(server: PhalanxServer) -> None:
    r = _preflight(server.public_url, "/sessions/whoami", SPA, headers="x-session-token")
    assert r.status_code == 204 and r.content == b""
    assert _cors(r) == {
        "access-control-allow-origin": SPA,
        "access-control-allow-methods": "GET",
        "access-control-allow-headers": "x-session-token",
        "access-control-allow-credentials": "true",
    }
    assert r.headers["vary"] == PREFLIGHT_VARY


@pytest.mark.parametrize(
    "path", ["/self-service/login?flow=x", "/no/such/route", "/self-service/settings"]
)
def test_preflight_of_any_path_with_the_default_headers(server: PhalanxServer, path: str) -> None:
    """Kratos's default allowed headers (schema defaults): the SDK's JSON bodies, the CSRF
    header and the session token."""
    asked = "content-type,x-csrf-token,x-session-token"
    r = _preflight(server.public_url, path, "https://app.example.com", "POST", asked)
    assert r.status_code == 204
    assert _cors(r)["access-control-allow-origin"] == "https://app.example.com"
    assert _cors(r)["access-control-allow-headers"] == asked


@pytest.mark.parametrize(
    ("origin", "method", "headers"),
    [
        ("https://evil.example.org", "GET", None),
        ("https://example.com", "GET", None),  # the wildcard needs a sub-domain
        ("http://127.0.0.1:4456", "GET", None),
        (SPA, "CONNECT", None),
        (SPA, "GET", "x-session-token, x-evil"),
        (None, "GET", None),
    ],
)
def test_refused_preflights_carry_no_allow_headers(
    server: PhalanxServer, origin: str | None, method: str, headers: str | None
) -> None:
    r = _preflight(server.public_url, "/sessions/whoami", origin, method, headers)
    assert r.status_code == 204
    assert _cors(r) == {}
    assert r.headers["vary"] == PREFLIGHT_VARY


def test_actual_requests_get_the_headers_even_on_errors(server: PhalanxServer) -> None:
    with SpecClient(server.public_url) as public:
        r = public.get("/sessions/whoami", headers={"Origin": SPA})
        assert r.status_code == 401 and error_of(r)["code"] == 401
        assert _cors(r) == {
            "access-control-allow-origin": SPA,
            "access-control-allow-credentials": "true",
            "access-control-expose-headers": "Content-Type",
        }
        assert "Origin" in r.headers.get_list("vary")
        flow = public.get("/self-service/login/api", headers={"Origin": "https://a.b.example.com"})
        assert flow.status_code == 200
        assert _cors(flow)["access-control-allow-origin"] == "https://a.b.example.com"
        other = public.get("/sessions/whoami", headers={"Origin": "https://evil.example.org"})
        assert _cors(other) == {} and "Origin" in other.headers.get_list("vary")
        plain = public.get("/health/alive")
        assert _cors(plain) == {} and plain.headers.get_list("vary") == ["Origin"]


def test_admin_cors_has_its_own_policy(server: PhalanxServer) -> None:
    r = _preflight(server.admin_url, "/admin/identities", ADMIN_UI)
    assert r.status_code == 204
    assert _cors(r) == {
        "access-control-allow-origin": ADMIN_UI,
        "access-control-allow-methods": "GET",
        "access-control-max-age": "600",
    }
    assert _cors(_preflight(server.admin_url, "/admin/identities", ADMIN_UI, "PATCH")) == {}
    assert _cors(_preflight(server.admin_url, "/admin/identities", SPA)) == {}
    with SpecClient(server.admin_url) as admin:
        listed = admin.get("/admin/identities", headers={"Origin": ADMIN_UI})
        assert listed.status_code == 200
        assert _cors(listed) == {
            "access-control-allow-origin": ADMIN_UI,
            "access-control-expose-headers": "Link, X-Total-Count",
        }


def test_debug_logs_each_decision(server: PhalanxServer) -> None:
    _preflight(server.public_url, "/sessions/whoami", "https://evil.example.org")
    assert "preflight aborted: origin 'https://evil.example.org' not allowed" in server.logs()


# -- the policy in process --------------------------------------------------------------------


async def _echo(request: Any) -> PlainTextResponse:
    return PlainTextResponse(f"{request.method} reached the app", headers={"Vary": "Cookie"})


def _client(**config: Any) -> httpx.AsyncClient:
    app = Starlette(routes=[Route("/x", _echo, methods=["GET", "OPTIONS", "PUT", "HEAD"])])
    cors = CORS(app, CorsConfig.model_validate({"enabled": True, **config}))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=cors), base_url="http://t")


@pytest.mark.anyio
async def test_star_and_empty_lists_use_rs_cors_defaults() -> None:
    async with _client(allowed_origins=["*"], allowed_methods=[], allowed_headers=[]) as c:
        r = await c.options(
            "/x",
            headers={
                "Origin": "https://anyone.example",
                "Access-Control-Request-Method": "HEAD",
                "Access-Control-Request-Headers": "accept,x-requested-with",
            },
        )
        assert r.status_code == 204
        assert r.headers["access-control-allow-origin"] == "*"
        put = await c.options(
            "/x", headers={"Origin": "https://a.example", "Access-Control-Request-Method": "PUT"}
        )
        assert "access-control-allow-origin" not in put.headers  # GET, POST, HEAD only
        actual = await c.get("/x", headers={"Origin": "https://a.example"})
        assert actual.text == "GET reached the app"
        assert actual.headers["access-control-allow-origin"] == "*"
        assert actual.headers.get_list("vary") == ["Origin", "Cookie"]


@pytest.mark.anyio
async def test_any_header_case_insensitive_origins_and_passthrough() -> None:
    async with _client(
        allowed_origins=["https://App.Example.com"],
        allowed_headers=["*"],
        options_passthrough=True,
        allow_credentials=False,
    ) as c:
        r = await c.options(
            "/x",
            headers={
                "Origin": "https://app.example.COM",
                "Access-Control-Request-Method": "PUT",
                "Access-Control-Request-Headers": "x-anything",
            },
        )
        assert r.status_code == 200 and r.text == "OPTIONS reached the app"
        assert r.headers["access-control-allow-origin"] == "https://app.example.COM"
        assert r.headers["access-control-allow-headers"] == "x-anything"
        assert "access-control-allow-credentials" not in r.headers
        plain_options = await c.options("/x", headers={"Origin": "https://app.example.com"})
        assert plain_options.text == "OPTIONS reached the app"  # no preflight: the app's
