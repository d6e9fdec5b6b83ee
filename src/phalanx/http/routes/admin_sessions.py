"""Admin session management: list, get, extend, disable, per-identity list/delete."""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from phalanx.errors import BadRequestError, KratosError, NotFoundError
from phalanx.http.pagination import keyset_link_header, page_params
from phalanx.http.responses import JSONResponse, error_response
from phalanx.http.state import registry_of

__all__ = ["routes"]


def _uuid(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise BadRequestError(f"could not parse UUID {raw!r}") from None


def _active(request: Request) -> bool | None:
    raw = request.query_params.get("active")
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise BadRequestError("could not parse parameter active")


def _expand(request: Request) -> set[str]:
    out: set[str] = set()
    for value in request.query_params.getlist("expand"):
        option = value.lower()
        if option not in ("identity", "devices"):
            raise BadRequestError(f"Could not parse expand option: {value}")
        out.add(option)
    return out


async def list_sessions(request: Request) -> Response:
    registry = registry_of(request)
    try:
        active = _active(request)
        expand = _expand(request)
        page_size, page_token = page_params(request, default=250, maximum=1000)
    except KratosError as error:
        return error_response(error)
    page = await registry.session_store.list_all(
        active=active,
        page_size=page_size,
        page_token=page_token,
        with_identity="identity" in expand,
    )
    body = [
        registry.session_renderer.session(
            s,
            include_identity="identity" in expand,
            include_devices="devices" in expand,
            admin=True,
        )
        for s in page.sessions
    ]
    return JSONResponse(
        body, headers={"Link": keyset_link_header(request, page_size, page.next_token)}
    )


async def get_session(request: Request) -> Response:
    registry = registry_of(request)
    try:
        session_id = _uuid(request.path_params["id"])
        expand = _expand(request)
    except KratosError as error:
        return error_response(error)
    session = await registry.session_store.get(session_id, with_identity=True)
    if session is None:
        return error_response(NotFoundError("Unable to locate the resource"))
    body = registry.session_renderer.session(
        session, include_identity="identity" in expand or True, admin=True
    )
    return JSONResponse(body)


async def extend_session(request: Request) -> Response:
    registry = registry_of(request)
    try:
        session_id = _uuid(request.path_params["id"])
    except KratosError as error:
        return error_response(error)
    session = await registry.session_store.get(session_id, with_identity=True)
    if session is None:
        return error_response(NotFoundError("Unable to locate the resource"))
    session = await registry.sessions.extend(session)
    return JSONResponse(registry.session_renderer.session(session, admin=True))


async def disable_session(request: Request) -> Response:
    registry = registry_of(request)
    try:
        session_id = _uuid(request.path_params["id"])
    except KratosError as error:
        return error_response(error)
    if not await registry.sessions.revoke(session_id):
        return error_response(NotFoundError("Unable to locate the resource"))
    return Response(status_code=204)


async def _identity_exists(request: Request) -> uuid.UUID | None:
    try:
        identity_id = uuid.UUID(request.path_params["id"])
    except ValueError:
        return None
    found = await registry_of(request).identity_pool.get(identity_id)
    return identity_id if found is not None else None


async def list_identity_sessions(request: Request) -> Response:
    registry = registry_of(request)
    identity_id = await _identity_exists(request)
    if identity_id is None:
        return error_response(NotFoundError("Unable to locate the resource"))
    try:
        active = _active(request)
        page_size, page_token = page_params(request, default=250, maximum=1000)
    except KratosError as error:
        return error_response(error)
    page = await registry.session_store.list_for_identity(
        identity_id, active=active, page_size=page_size, page_token=page_token
    )
    body = [registry.session_renderer.session(s, include_identity=False) for s in page.sessions]
    return JSONResponse(
        body, headers={"Link": keyset_link_header(request, page_size, page.next_token)}
    )


async def delete_identity_sessions(request: Request) -> Response:
    registry = registry_of(request)
    identity_id = await _identity_exists(request)
    if identity_id is None:
        return error_response(NotFoundError("Unable to locate the resource"))
    await registry.session_store.delete_for_identity(identity_id)
    return Response(status_code=204)


routes = [
    Route("/admin/sessions", list_sessions, methods=["GET"]),
    Route("/admin/sessions/{id}", get_session, methods=["GET"]),
    Route("/admin/sessions/{id}", disable_session, methods=["DELETE"]),
    Route("/admin/sessions/{id}/extend", extend_session, methods=["PATCH"]),
    Route("/admin/identities/{id}/sessions", list_identity_sessions, methods=["GET"]),
    Route("/admin/identities/{id}/sessions", delete_identity_sessions, methods=["DELETE"]),
]
