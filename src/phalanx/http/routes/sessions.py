"""``/sessions/whoami`` and the user's own sessions (``GET/DELETE /sessions[/{id}]``).

None of these is CSRF-checked (Kratos ignores ``/sessions`` and ``/sessions/*`` in nosurf).
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from phalanx.clock import utcnow
from phalanx.errors import (
    AAL2RequiredError,
    BadRequestError,
    KratosError,
    NotFoundError,
    UnauthorizedError,
)
from phalanx.http.adapter import flow_request, issue_session_cookie
from phalanx.http.pagination import migration_headers, migration_page_params
from phalanx.http.responses import NO_CACHE, JSONResponse, error_response
from phalanx.http.state import registry_of
from phalanx.selfservice.request import FlowRequest
from phalanx.session.manager import CurrentSessionError, TokenSource
from phalanx.session.model import Session
from phalanx.session.whoami import NO_SESSION

if TYPE_CHECKING:
    from phalanx.registry import Registry

__all__ = ["bad_uuid", "routes"]

_NO_COOKIE = "No valid session cookie found."


async def _current(request: Request, reason: str) -> tuple[Session, FlowRequest]:
    """The request's active session, or 401 (herodot ``ErrUnauthorized``, no error id)."""
    registry = registry_of(request)
    req = await flow_request(request)
    session = await registry.sessions.from_request(req)
    if session is None:
        raise UnauthorizedError(reason)
    return session, req


def _has_credentials(registry: Registry, request: Request) -> bool:
    """Whether the request names a session at all (``ErrNoActiveSessionFound.CredentialsMissing``
    is false)."""
    return bool(
        request.headers.get("x-session-token")
        or request.cookies.get(registry.session_cookie_name)
        or request.headers.get("authorization", "").lower().startswith("bearer ")
    )


def bad_uuid(raw: str) -> BadRequestError:
    """``herodot.ErrBadRequest.WithError(err.Error())`` of a gofrs/uuid parse failure."""
    quoted = json.dumps(raw)
    if len(raw) in (32, 36, 38, 41, 45):
        return BadRequestError(message=f"uuid: incorrect UUID format in string {quoted}")
    return BadRequestError(message=f"uuid: incorrect UUID length {len(raw)} in string {quoted}")


async def whoami(request: Request) -> Response:
    """The session (identity without credentials) and ``X-Kratos-Authenticated-Identity-Id``;
    a cookie issued for an older expiry is re-issued (``RefreshCookie``).

    The hot path: no :class:`FlowRequest`, the answer's JSON comes pre-rendered from
    :class:`~phalanx.session.whoami.Whoami` (and its per-process cache)."""
    registry = registry_of(request)
    flags = registry.config.feature_flags
    found = registry.sessions.presented_token(request.headers, request.cookies)
    answer = await registry.whoami.answer(found.token) if found and found.token else None
    if found is None or answer is None:
        headers = None
        if flags.cacheable_sessions and not _has_credentials(registry, request):
            headers = {"Ory-Session-Cache-For": "60"}
        return error_response(UnauthorizedError(NO_SESSION), headers=headers)
    if answer.forbidden:
        return Response(
            answer.body,
            status_code=403,
            media_type="application/json",
            headers={"Cache-Control": NO_CACHE, "Ory-Error-Id": AAL2RequiredError.error_id},
        )
    body = answer.body
    template = request.query_params.get("tokenize_as") if request.scope["query_string"] else None
    if template:
        try:
            body = await _tokenized(registry, template, body)
        except KratosError as error:
            return error_response(error)
    response = Response(
        body,
        media_type="application/json",
        headers={
            "Cache-Control": NO_CACHE,
            "X-Kratos-Authenticated-Identity-Id": answer.identity_header,
        },
    )
    if flags.cacheable_sessions and not template:
        seconds = (answer.expires_at - utcnow()).total_seconds()
        limit = flags.cacheable_sessions_max_age
        if limit is not None and limit.total_seconds() > 0:
            seconds = min(seconds, limit.total_seconds())
        response.headers["Ory-Session-Cache-For"] = f"{max(seconds, 0):.0f}"
    if found.source == TokenSource.COOKIE:
        issued_for = found.cookie_expiry
        if issued_for is None or issued_for < round(answer.expires_at.timestamp(), 6):
            issue_session_cookie(registry, response, found.token, answer.expires_at)
    return response


async def _tokenized(registry: Registry, template: str, body: bytes) -> bytes:
    """The whoami body with ``tokenized`` (``?tokenize_as=<template>``, Kratos's tokenizer)."""
    session = orjson.loads(body)
    session["tokenized"] = await registry.tokenizer.tokenize(template, session)
    return orjson.dumps(session)


async def list_sessions(request: Request) -> Response:
    """``GET /sessions``: the identity's other active sessions, newest first."""
    registry = registry_of(request)
    try:
        session, _ = await _current(request, _NO_COOKIE)
        shortfall = await registry.aal.check(session, registry.config.session.whoami.required_aal)
        if shortfall is not None:
            raise shortfall
    except KratosError as error:
        return error_response(error)
    page, per_page = migration_page_params(request)
    items, total = await registry.session_store.page_for_identity(
        session.identity_id, active=True, exclude=session.id, offset=page * per_page, limit=per_page
    )
    body = [registry.session_renderer.session(s, include_identity=False) for s in items]
    return JSONResponse(body, headers=migration_headers(request, total, page, per_page))


async def revoke_others(request: Request) -> Response:
    """``DELETE /sessions``: revoke every other session → ``{"count": n}``."""
    registry = registry_of(request)
    try:
        session, _ = await _current(request, _NO_COOKIE)
    except KratosError as error:
        return error_response(error)
    count = await registry.sessions.revoke_others(session.identity_id, session.id)
    return JSONResponse({"count": count})


async def revoke_one(request: Request) -> Response:
    """``DELETE /sessions/{id}``: revoke one of the identity's other sessions (204)."""
    registry = registry_of(request)
    raw_id = request.path_params["id"]
    if raw_id == "whoami":
        return await whoami(request)
    try:
        session, _ = await _current(request, _NO_COOKIE)
        try:
            target = uuid.UUID(raw_id)
        except ValueError:
            raise bad_uuid(raw_id) from None
        await registry.sessions.revoke_own(session, target)
    except CurrentSessionError as exc:
        return error_response(BadRequestError(message=str(exc)))
    except KratosError as error:
        return error_response(error)
    return Response(status_code=204)


async def token_exchange(request: Request) -> Response:
    """``GET /sessions/token-exchange?init_code=&return_to_code=`` (Kratos ``exchangeCode``).

    Exchange codes are handed out by native (API) flows that finish in a browser (social
    sign-in with ``return_session_token_exchange_code``); until a flow issues them no pair
    of codes matches, and the answer is Kratos's for an unknown pair.
    """
    init_code = request.query_params.get("init_code", "")
    return_to_code = request.query_params.get("return_to_code", "")
    if not init_code or not return_to_code:
        return error_response(
            BadRequestError('"init_code" and "return_to_code" query params must be set')
        )
    return error_response(NotFoundError('no session yet for this "code"'))


_WHOAMI_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "OPTIONS", "TRACE"]

routes = [
    Route("/sessions/whoami", whoami, methods=_WHOAMI_METHODS),
    Route("/sessions/token-exchange", token_exchange, methods=["GET"]),
    Route("/sessions", list_sessions, methods=["GET"]),
    Route("/sessions", revoke_others, methods=["DELETE"]),
    Route("/sessions/{id}", revoke_one, methods=["DELETE"]),
]
