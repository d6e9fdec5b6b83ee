"""``GET /schemas`` and ``GET /schemas/{id}`` (public; also under ``/admin/schemas``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from phalanx.http.pagination import migration_headers, migration_page_params
from phalanx.http.responses import JSONResponse
from phalanx.http.state import registry_of

__all__ = ["routes"]


async def list_schemas(request: Request) -> Response:
    """``listIdentitySchemas``: migration pagination (``page``/``per_page`` or
    ``page_size``/``page_token``) with ``X-Total-Count`` and ``Link``, as Kratos."""
    schemas = registry_of(request).schemas.list()
    page, per_page = migration_page_params(request)
    chunk = schemas[page * per_page : (page + 1) * per_page]
    body = [{"id": s.id, "schema": s.raw} for s in chunk]
    return JSONResponse(body, headers=migration_headers(request, len(schemas), page, per_page))


async def get_schema(request: Request) -> Response:
    schema = registry_of(request).schemas.get(request.path_params["id"])
    return JSONResponse(schema.raw)


routes = [
    Route("/schemas", list_schemas),
    Route("/schemas/{id}", get_schema),
    Route("/admin/schemas", list_schemas),
    Route("/admin/schemas/{id}", get_schema),
]
