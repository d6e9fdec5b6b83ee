"""``/sessions/whoami`` and the user's own sessions (``GET/DELETE /sessions[/{id}]``)."""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from phalanx.errors import BadRequestError, KratosError, UnauthorizedError
from phalanx.http.adapter import flow_request
from phalanx.http.pagination import keyset_link_header, page_params
from phalanx.http.responses import NO_CACHE, JSONResponse, error_response
from phalanx.http.state import registry_of
from phalanx.session.model import Session

__all__ = ["routes"]

_NO_SESSION = "No valid session credentials found in the request."


async def _current(request: Request, reason: str = _NO_SESSION) -> Session:
    registry = registry_of(request)
    req = await flow_request(request)
    session = await registry.sessions.from_request(req)
    if session is None:
        raise UnauthorizedError(reason)
    return session


async def whoami(request: Request) -> Response:
    registry = registry_of(request)
    try:
        session = await _current(request)
    except KratosError as error:
        return error_response(error)
    body = registry.session_renderer.session(session)
    response = JSONResponse(body)
    response.headers["Cache-Control"] = NO_CACHE
    response.headers["X-Kratos-Authenticated-Identity-Id"] = str(session.identity_id)
    return response


async def list_sessions(request: Request) -> Response:
    registry = registry_of(request)
    try:
        session = await _current(request, "No valid session cookie found.")
        page_size, page_token = page_params(request, default=250, maximum=1000)
    except KratosError as error:
        return error_response(error)
    page = await registry.session_store.list_for_identity(
        session.identity_id,
        active=True,
        exclude=session.id,
        page_size=page_size,
        page_token=page_token,
    )
    body = [registry.session_renderer.session(s, include_identity=False) for s in page.sessions]
    headers = {"Link": keyset_link_header(request, page_size, page.next_token)}
    return JSONResponse(body, headers=headers)


async def revoke_others(request: Request) -> Response:
    registry = registry_of(request)
    try:
        session = await _current(request)
    except KratosError as error:
        return error_response(error)
    count = await registry.sessions.revoke_others(session.identity_id, session.id)
    return JSONResponse({"count": count})


async def revoke_one(request: Request) -> Response:
    registry = registry_of(request)
    raw_id = request.path_params["id"]
    if raw_id == "whoami":
        return await whoami(request)
    try:
        session = await _current(request)
        try:
            target = uuid.UUID(raw_id)
        except ValueError:
            raise BadRequestError("could not parse UUID") from None
        if target == session.id:
            raise BadRequestError(
                "cannot revoke current session", details={"hint": "use the logout flow instead"}
            )
    except KratosError as error:
        return error_response(error)
    other = await registry.session_store.get(target, with_identity=False)
    if other is not None and other.identity_id == session.identity_id:
        await registry.sessions.revoke(target)
    return Response(status_code=204)


_WHOAMI_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "OPTIONS", "TRACE"]

routes = [
    Route("/sessions/whoami", whoami, methods=_WHOAMI_METHODS),
    Route("/sessions", list_sessions, methods=["GET"]),
    Route("/sessions", revoke_others, methods=["DELETE"]),
    Route("/sessions/{id}", revoke_one, methods=["DELETE"]),
]
