"""The admin ASGI app (port 4434): identities, sessions, courier, recovery, health, and the
admin console under ``/admin/ui/`` when its routes are passed in (``phalanx.console``).

Kratos's admin router adds ``/admin`` to any path lacking it, so ``/identities`` and
``/admin/identities`` are the same resource; :class:`AdminPrefix` does that rewrite.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from phalanx.http import health
from phalanx.http.errors import exception_handlers
from phalanx.http.guard import InputGuard
from phalanx.http.middleware.audit_origin import AuditOrigin
from phalanx.http.middleware.cors import CORS
from phalanx.http.middleware.observe import ObserveRequests
from phalanx.http.prefix import route_path, with_route_path
from phalanx.registry import Registry

__all__ = ["AdminPrefix", "create_admin_app"]


class AdminPrefix:
    """Plain ASGI middleware: serve ``/x`` as ``/admin/x`` like Kratos's admin router."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = route_path(scope)
            if path != "/admin" and not path.startswith("/admin/"):
                scope = with_route_path(scope, "/admin" + path)
        await self.app(scope, receive, send)


def admin_routes(console: Sequence[BaseRoute] = ()) -> list[BaseRoute]:
    from phalanx.http.routes import (
        admin_audit,
        admin_courier,
        admin_identities,
        admin_lockout,
        admin_recovery,
        admin_sessions,
        metadata,
        redirects,
    )

    return [
        *console,
        Route("/admin/health/alive", health.alive),
        Route("/admin/health/ready", health.ready),
        Route("/admin/version", health.version),
        *metadata.routes,
        *redirects.admin_routes,  # before admin_sessions: /admin/sessions/whoami
        *admin_identities.routes,
        *admin_lockout.routes,
        *admin_sessions.routes,
        *admin_courier.routes,
        *admin_recovery.routes,
        *admin_audit.routes,
    ]


def create_admin_app(registry: Registry, *, console: Sequence[BaseRoute] = ()) -> ASGIApp:
    """The admin app; ``console`` are the admin console's routes (``phalanx.console``), given
    by whoever composes the apps, as the public app is given the built-in UI's."""
    app = Starlette(
        routes=admin_routes(console),
        exception_handlers=exception_handlers,
        middleware=[
            Middleware(ObserveRequests),
            Middleware(AuditOrigin, actor="admin"),
            Middleware(InputGuard),
        ],
    )
    app.state.registry = registry
    cors = registry.config.serve.admin.cors
    return CORS(AdminPrefix(app), cors) if cors.enabled else AdminPrefix(app)
