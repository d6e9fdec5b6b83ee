"""Admin session management (Kratos ``session/handler.go`` admin routes): list, get,
extend, disable, and the sessions of one identity."""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from phalanx.errors import BadRequestError, KratosError, NotFoundError
from phalanx.http.pagination import (
    keyset_link_header,
    migration_headers,
    migration_page_params,
    page_params,
)
from phalanx.http.responses import JSONResponse, error_response
from phalanx.http.routes.sessions import bad_uuid
from phalanx.http.state import registry_of
from phalanx.session.store import InvalidPageTokenError

__all__ = ["routes"]


def _not_found() -> NotFoundError:
    """``sqlcon.ErrNoRows``."""
    return NotFoundError(message="Unable to locate the resource")


def _uuid(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise bad_uuid(raw) from None


def _active(request: Request) -> bool | None:
    """``strconv.ParseBool`` of ``?active=`` (absent or empty: no filter)."""
    raw = request.query_params.get("active")
    if raw is None or raw == "":
        return None
    if raw in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    if raw in ("0", "f", "F", "false", "FALSE", "False"):
        return False
    raise BadRequestError(message="could not parse parameter active")


def _expand(request: Request) -> set[str]:
    out: set[str] = set()
    for value in request.query_params.getlist("expand"):
        option = value.lower()
        if option not in ("identity", "devices"):
            raise BadRequestError(f"Could not parse expand option: {value}")
        out.add(option)
    return out


async def list_sessions(request: Request) -> Response:
    """``GET /admin/sessions``: keyset pages, ``?active=``, ``?expand=identity|devices``."""
    registry = registry_of(request)
    try:
        active = _active(request)
        expand = _expand(request)
        page_size, page_token = page_params(request, default=250, maximum=1000)
        page = await registry.session_store.list_all(
            active=active,
            page_size=page_size,
            page_token=page_token,
            with_identity="identity" in expand,
        )
    except InvalidPageTokenError as exc:
        return error_response(BadRequestError(str(exc)))
    except KratosError as error:
        return error_response(error)
    body = [
        registry.session_renderer.session(
            s,
            include_identity="identity" in expand,
            include_devices="devices" in expand,
        )
        for s in page.sessions
    ]
    return JSONResponse(
        body, headers={"Link": keyset_link_header(request, page_size, page.next_token)}
    )


async def get_session(request: Request) -> Response:
    """``GET /admin/sessions/{id}``: identity and devices only when expanded."""
    registry = registry_of(request)
    try:
        session_id = _uuid(request.path_params["id"])
        expand = _expand(request)
    except KratosError as error:
        return error_response(error)
    session = await registry.session_store.get(session_id, with_identity="identity" in expand)
    if session is None:
        return error_response(_not_found())
    body = registry.session_renderer.session(
        session,
        include_identity="identity" in expand,
        include_devices="devices" in expand,
    )
    return JSONResponse(body)


async def extend_session(request: Request) -> Response:
    """``PATCH /admin/sessions/{id}/extend``: a new ``expires_at`` once the session is within
    ``earliest_possible_extend`` of its end; 204 with ``faster_session_extend``."""
    registry = registry_of(request)
    try:
        session_id = _uuid(request.path_params["id"])
    except KratosError as error:
        return error_response(error)
    session = await registry.session_store.get(session_id, with_identity=True)
    if session is None:
        return error_response(_not_found())
    session = await registry.sessions.extend(session)
    if registry.config.feature_flags.faster_session_extend:
        return Response(status_code=204)
    body = registry.session_renderer.session(session, include_devices=False)
    return JSONResponse(body)


async def disable_session(request: Request) -> Response:
    """``DELETE /admin/sessions/{id}``: deactivate (204), 404 if unknown."""
    registry = registry_of(request)
    try:
        session_id = _uuid(request.path_params["id"])
    except KratosError as error:
        return error_response(error)
    if not await registry.sessions.revoke(session_id):
        return error_response(_not_found())
    return Response(status_code=204)


async def list_identity_sessions(request: Request) -> Response:
    """``GET /admin/identities/{id}/sessions``: page pagination, ``?active=``; an identity
    without sessions (or unknown) has an empty list, as in Kratos."""
    registry = registry_of(request)
    try:
        identity_id = _uuid(request.path_params["id"])
        active = _active(request)
    except KratosError as error:
        return error_response(error)
    page, per_page = migration_page_params(request)
    items, total = await registry.session_store.page_for_identity(
        identity_id, active=active, offset=page * per_page, limit=per_page
    )
    body = [registry.session_renderer.session(s, include_identity=False) for s in items]
    return JSONResponse(body, headers=migration_headers(request, total, page, per_page))


async def delete_identity_sessions(request: Request) -> Response:
    """``DELETE /admin/identities/{id}/sessions``: delete them all (204); 404 when the
    identity has none (Kratos counts the deleted rows)."""
    registry = registry_of(request)
    try:
        identity_id = _uuid(request.path_params["id"])
    except KratosError as error:
        return error_response(error)
    if not await registry.sessions.delete_for_identity(identity_id):
        return error_response(_not_found())
    return Response(status_code=204)


routes = [
    Route("/admin/sessions", list_sessions, methods=["GET"]),
    Route("/admin/sessions/{id}", get_session, methods=["GET"]),
    Route("/admin/sessions/{id}", disable_session, methods=["DELETE"]),
    Route("/admin/sessions/{id}/extend", extend_session, methods=["PATCH"]),
    Route("/admin/identities/{id}/sessions", list_identity_sessions, methods=["GET"]),
    Route("/admin/identities/{id}/sessions", delete_identity_sessions, methods=["DELETE"]),
]
