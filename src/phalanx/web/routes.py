"""The built-in UI's routes, handed to the public app (``create_public_app(ui=routes)``).

``/ui/{login,registration,settings,recovery,verification}``, ``/ui/error``, ``/ui/welcome``,
``/ui/mailbox`` (``--dev`` only),
``POST /ui/sessions/revoke``, ``/ui/theme.css`` and the static files under ``/ui/static/``.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from phalanx.web import views
from phalanx.web.pages import FLOW_KINDS
from phalanx.web.security import static_headers
from phalanx.web.templates import STATIC_DIR

__all__ = ["StaticHeaders", "routes"]


class StaticHeaders:
    """Plain ASGI wrapper adding :func:`static_headers` to successful static responses."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and message.get("status") == 200:
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for key, value in static_headers().items():
                    if key.lower().encode() not in present:
                        headers.append((key.lower().encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


routes: list[BaseRoute] = [
    Route("/ui", views.index, methods=["GET"]),
    Route("/ui/", views.index, methods=["GET"]),
    Route("/ui/error", views.error_view, methods=["GET"]),
    Route("/ui/welcome", views.welcome, methods=["GET"]),
    Route("/ui/mailbox", views.mailbox, methods=["GET"]),
    Route("/ui/sessions/revoke", views.revoke_session, methods=["POST"]),
    Route("/ui/theme.css", views.theme, methods=["GET"]),
    *(
        Route(f"/ui/{kind}", views.flow_endpoint(kind), methods=["GET"], name=f"ui-{kind}")
        for kind in FLOW_KINDS
    ),
    Mount("/ui/static", app=StaticHeaders(StaticFiles(directory=STATIC_DIR)), name="ui-static"),
]
