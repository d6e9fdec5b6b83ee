"""``GET /.well-known/ory/webauthn.js`` (Kratos ``webauthnx.RegisterWebauthnRoute``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from phalanx.webauthnx import SCRIPT_PATH, script_bytes

__all__ = ["routes", "webauthn_js"]


async def webauthn_js(request: Request) -> Response:
    """The WebAuthn helper script; its bytes are what the script nodes' integrity hashes."""
    return Response(
        script_bytes(),
        headers={
            "Content-Type": "text/javascript; charset=UTF-8",
            "X-Content-Type-Options": "nosniff",
        },
    )


routes: list[BaseRoute] = [Route(SCRIPT_PATH, webauthn_js, methods=["GET"])]
