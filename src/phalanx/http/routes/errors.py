"""``GET /self-service/errors?id=``: errors stored for browser error pages."""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from phalanx.clock import isoformat, utcnow
from phalanx.errors import InternalServerError, NotFoundError
from phalanx.http.responses import JSONResponse, error_response
from phalanx.http.state import registry_of

__all__ = ["routes"]


async def get_error(request: Request) -> Response:
    raw = request.query_params.get("id") or request.query_params.get("error") or ""
    if raw.startswith("stub:"):
        now = isoformat(utcnow())
        stub = InternalServerError("This is a stub error.")
        body = {"id": raw, "error": stub.to_dict(), "created_at": now, "updated_at": now}
        return JSONResponse(body)
    try:
        error_id = uuid.UUID(raw)
    except ValueError:
        return error_response(NotFoundError("Unable to locate the resource"))
    stored = await registry_of(request).error_store.get(error_id)
    if stored is None:
        return error_response(NotFoundError("Unable to locate the resource"))
    return JSONResponse(stored)


routes = [Route("/self-service/errors", get_error, methods=["GET"])]
