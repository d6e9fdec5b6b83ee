"""Kratos's cross-port redirects (``x/redir/port_redirect.go``).

Kratos registers some routes on the "wrong" port only to send the client to the right
one with ``307 Temporary Redirect`` (method and body are kept):

* public port -> admin: the identity API with and without ``/admin``, ``GET
  /admin/courier/messages[/{id}]``, ``POST /recovery/code|link`` and ``DELETE
  /identities/{id}/sessions`` (``RedirectToAdminRoute``: the ``/admin`` prefix is trimmed,
  then the path is joined to the admin base URL's path and ``/admin``);
* admin port -> public: every self-service route, ``GET /admin/self-service/errors``,
  ``GET /admin/schemas[/{id}]``, ``DELETE /admin/sessions`` and ``GET
  /admin/sessions/whoami`` (``RedirectToPublicRoute``: ``/admin`` trimmed, joined to
  the public base URL's path).

The query string is kept; the path is cleaned like Go's ``path.Join`` (no trailing
slash). :data:`public_routes` and :data:`admin_routes` match only paths the real
handlers of their port do not serve; ``admin_routes`` must come before the admin
session routes so ``/admin/sessions/whoami`` is not taken for a session id.
"""

from __future__ import annotations

import posixpath
from collections.abc import Awaitable, Callable
from html import escape
from urllib.parse import quote, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from phalanx.http.prefix import route_path
from phalanx.http.state import registry_of

__all__ = ["ADMIN_PREFIX", "admin_routes", "public_routes", "redirect_target"]

ADMIN_PREFIX = "/admin"

Endpoint = Callable[[Request], Awaitable[Response]]


def redirect_target(base_url: str, path: str, query: str, *, admin: bool) -> str:
    """The ``Location`` Kratos builds for ``path`` on the port at ``base_url``."""
    base = urlsplit(base_url)
    trimmed = path.removeprefix(ADMIN_PREFIX)
    parts = [base.path or "/", ADMIN_PREFIX, trimmed] if admin else [base.path or "/", trimmed]
    # path.Join: join, then clean (collapse slashes and dot segments, drop a trailing slash).
    joined = posixpath.normpath("/".join(parts))
    if joined.startswith("//"):
        joined = "/" + joined.lstrip("/")
    return urlunsplit(
        (base.scheme, base.netloc, quote(joined, safe="/:@!$&'()*+,;=-._~"), query, "")
    )


def _redirect(location: str, method: str) -> Response:
    """``http.Redirect`` with 307: GET and HEAD also get Go's tiny HTML body."""
    if method in ("GET", "HEAD"):
        body = f'<a href="{escape(location)}">Temporary Redirect</a>.\n\n'
        return Response(
            body, status_code=307, headers={"Location": location}, media_type="text/html"
        )
    return Response(status_code=307, headers={"Location": location})


def _path_and_query(request: Request) -> tuple[str, str]:
    # The decoded path as routed (after the admin app's /admin rewrite) and the raw query.
    return route_path(request.scope), request.scope.get("query_string", b"").decode("latin-1")


async def to_admin(request: Request) -> Response:
    """``redir.RedirectToAdminRoute``: same path (under ``/admin``) on the admin base URL."""
    base = registry_of(request).config.admin_base_url
    target = redirect_target(base, *_path_and_query(request), admin=True)
    return _redirect(target, request.method)


async def to_public(request: Request) -> Response:
    """``redir.RedirectToPublicRoute``: same path (without ``/admin``) on the public base URL."""
    base = registry_of(request).config.public_base_url
    target = redirect_target(base, *_path_and_query(request), admin=False)
    return _redirect(target, request.method)


def _routes(endpoint: Endpoint, table: list[tuple[str, list[str]]]) -> list[BaseRoute]:
    return [Route(path, endpoint, methods=methods) for path, methods in table]


_IDENTITY_ROUTES: list[tuple[str, list[str]]] = [
    ("/identities", ["GET", "POST"]),
    ("/identities/by/external/{external_id}", ["GET"]),
    ("/identities/{id}", ["GET", "DELETE", "PUT", "PATCH"]),
    ("/identities/{id}/credentials/{type}", ["DELETE"]),
]

public_routes: list[BaseRoute] = _routes(
    to_admin,
    [
        *_IDENTITY_ROUTES,
        *[(ADMIN_PREFIX + path, methods) for path, methods in _IDENTITY_ROUTES],
        ("/admin/courier/messages", ["GET"]),
        ("/admin/courier/messages/{id}", ["GET"]),
        ("/recovery/code", ["POST"]),
        ("/recovery/link", ["POST"]),
        ("/identities/{id}/sessions", ["DELETE"]),
    ],
)
"""Public-port routes that only redirect to the admin port (append after real routes)."""


def _flow_routes(flow: str) -> list[tuple[str, list[str]]]:
    base = f"/admin/self-service/{flow}"
    return [
        (f"{base}/browser", ["GET"]),
        (f"{base}/api", ["GET"]),
        (f"{base}/flows", ["GET"]),
        (base, ["GET", "POST"]),
    ]


admin_routes: list[BaseRoute] = _routes(
    to_public,
    [
        *_flow_routes("login"),
        *_flow_routes("registration"),
        *_flow_routes("settings"),
        *_flow_routes("recovery"),
        *_flow_routes("verification"),
        ("/admin/self-service/logout/browser", ["GET"]),
        ("/admin/self-service/logout/api", ["DELETE"]),
        ("/admin/self-service/logout", ["GET"]),
        ("/admin/self-service/errors", ["GET"]),
        ("/admin/schemas", ["GET"]),
        ("/admin/schemas/{id}", ["GET"]),
        ("/admin/sessions", ["DELETE"]),
        ("/admin/sessions/whoami", ["GET"]),
    ],
)
"""Admin-port routes that only redirect to the public port (put before the session routes)."""
