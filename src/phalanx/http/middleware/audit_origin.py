"""Sets the audit origin of each request (:mod:`phalanx.audit.context`).

``self`` on the public port, ``admin`` on the admin port; the client address and user
agent are read from the request only if an event is recorded.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from phalanx.audit.context import ORIGIN, Origin
from phalanx.audit.events import Actor

__all__ = ["AuditOrigin"]


class AuditOrigin:
    """Plain ASGI middleware: one context variable per HTTP request."""

    def __init__(self, app: ASGIApp, actor: Actor) -> None:
        self.app = app
        self.actor: Actor = actor

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        def where() -> tuple[str | None, str | None]:
            from phalanx.http.adapter import client_ip

            request = Request(scope)
            return client_ip(request), request.headers.get("user-agent")

        token = ORIGIN.set(Origin(self.actor, where))
        try:
            await self.app(scope, receive, send)
        finally:
            ORIGIN.reset(token)
