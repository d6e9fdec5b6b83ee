"""``GET /self-service/errors?id=``: errors stored for browser error pages (Kratos
``selfservice/errorx/handler.go``)."""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from phalanx.errors import InternalServerError, NotFoundError
from phalanx.http.responses import JSONResponse, error_response
from phalanx.http.state import registry_of

__all__ = ["routes"]

_ZERO_TIME = "0001-01-01T00:00:00Z"


async def get_error(request: Request) -> Response:
    """The stored error container; ``?error=`` wins over ``?id=``; ``stub:500`` is a stub."""
    raw = request.query_params.get("error") or request.query_params.get("id") or ""
    if raw == "stub:500":
        stub = InternalServerError("This is a stub error.")
        body = {
            "id": str(uuid.uuid4()),
            "error": stub.to_dict(),
            "created_at": _ZERO_TIME,
            "updated_at": _ZERO_TIME,
        }
        return JSONResponse(body)
    try:
        error_id = uuid.UUID(raw)
    except ValueError:
        error_id = uuid.UUID(int=0)
    stored = await registry_of(request).error_store.get(error_id)
    if stored is None:
        return error_response(NotFoundError(message="Unable to locate the resource"))
    return JSONResponse(stored)


routes = [Route("/self-service/errors", get_error, methods=["GET"])]
