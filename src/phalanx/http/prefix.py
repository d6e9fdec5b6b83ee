"""Serving under a path prefix (``app.mount("/auth", px.public_app)``).

A mount sets the ASGI ``root_path`` (``/auth``) and leaves ``path`` whole
(``/auth/self-service/login/browser``); Starlette routes on the path without the prefix.
Code that reasons about *which* route was asked for uses :func:`route_path`; URLs handed
to clients are built from ``serve.public.base_url`` / ``serve.admin.base_url``, whose path
must therefore be the mount prefix (as in Kratos behind a path-prefix proxy).
"""

from __future__ import annotations

from starlette.types import Scope

__all__ = ["route_path", "with_route_path"]


def route_path(scope: Scope) -> str:
    """``scope["path"]`` without the mount prefix (``root_path``)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("", "/"):
        return path[len(root) :] or "/"
    return path


def with_route_path(scope: Scope, route: str) -> Scope:
    """A copy of ``scope`` routed to ``route`` (the prefix kept in front of it)."""
    root: str = scope.get("root_path", "")
    path = scope["path"]
    prefixed = root + route if root and path.startswith(root) else route
    changed = dict(scope)
    changed["path"] = prefixed
    changed["raw_path"] = prefixed.encode()
    return changed
