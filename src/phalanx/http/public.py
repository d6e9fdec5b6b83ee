"""The public ASGI app (port 4433): self-service flows, sessions, schemas, health.

``http/`` never imports the UI packages built on it (``web/``, the import direction is
checked by ``tests/test_import_direction.py``): the built-in UI's routes come in as ``ui``
from whoever assembles the app (``phalanx serve``, ``Phalanx``:
:data:`phalanx.web.routes.routes`).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from phalanx.http import health
from phalanx.http.errors import exception_handlers
from phalanx.http.guard import InputGuard
from phalanx.http.middleware.audit_origin import AuditOrigin
from phalanx.http.middleware.cors import CORS
from phalanx.http.middleware.observe import ObserveRequests
from phalanx.registry import Registry

__all__ = ["create_public_app"]


def public_routes(ui: Sequence[BaseRoute] = ()) -> list[BaseRoute]:
    """Every public route; ``ui``: the built-in UI's (``/ui/...``), before the redirects."""
    from phalanx.http.routes import (
        errors,
        login,
        logout,
        oidc,
        recovery,
        redirects,
        registration,
        schemas,
        sessions,
        settings,
        verification,
        webauthn,
    )

    return [
        # First: /sessions/whoami is the hottest route, and Starlette tries routes in
        # order (no other route's path overlaps /sessions).
        *sessions.routes,
        Route("/health/alive", health.alive),
        Route("/health/ready", health.ready),
        Route("/version", health.version),
        *schemas.routes,
        *login.routes,
        *registration.routes,
        *settings.routes,
        *recovery.routes,
        *verification.routes,
        *logout.routes,
        *oidc.routes,
        *errors.routes,
        *webauthn.routes,
        *ui,
        *redirects.public_routes,  # last: only paths no real public route serves
    ]


def create_public_app(registry: Registry, *, ui: Sequence[BaseRoute] = ()) -> ASGIApp:
    app = Starlette(
        routes=public_routes(ui),
        exception_handlers=exception_handlers,
        middleware=[
            Middleware(ObserveRequests),
            Middleware(AuditOrigin, actor="self"),
            Middleware(InputGuard),
        ],
    )
    app.state.registry = registry
    cors = registry.config.serve.public.cors
    # Outside Starlette, so that every answer (500s included) carries the CORS headers.
    return CORS(app, cors) if cors.enabled else app
