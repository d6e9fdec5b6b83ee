"""``GET /schemas`` and ``GET /schemas/{id}`` (public; also under ``/admin/schemas``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from phalanx.http.responses import JSONResponse
from phalanx.http.state import registry_of

__all__ = ["routes"]


async def list_schemas(request: Request) -> Response:
    schemas = registry_of(request).schemas.list()
    body = [{"id": s.id, "schema": s.raw} for s in schemas]
    return JSONResponse(body, headers={"X-Total-Count": str(len(body))})


async def get_schema(request: Request) -> Response:
    schema = registry_of(request).schemas.get(request.path_params["id"])
    return JSONResponse(schema.raw)


routes = [
    Route("/schemas", list_schemas),
    Route("/schemas/{id}", get_schema),
    Route("/admin/schemas", list_schemas),
    Route("/admin/schemas/{id}", get_schema),
]
