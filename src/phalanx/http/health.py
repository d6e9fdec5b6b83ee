"""Health and version endpoints, shared by the public and admin apps."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from phalanx import __version__
from phalanx.http.prefix import route_path
from phalanx.http.responses import JSONResponse
from phalanx.http.state import registry_of

__all__ = ["OBFUSCATED", "alive", "ready", "version"]


async def alive(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


#: What the public port says instead of the error (ory/x ``healthx``: only admin shares it).
OBFUSCATED = "error may contain sensitive information and was obfuscated"


async def ready(request: Request) -> Response:
    try:
        await registry_of(request).database.ping()
    except Exception as exc:  # any driver error means "not ready"
        admin = route_path(request.scope).startswith("/admin/")
        reason = f"the database is unreachable: {type(exc).__name__}" if admin else OBFUSCATED
        return JSONResponse({"errors": {"database": reason}}, status_code=503)
    return JSONResponse({"status": "ok"})


async def version(request: Request) -> Response:
    return JSONResponse({"version": f"v{__version__}"})
