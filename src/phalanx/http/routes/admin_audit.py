"""``GET /admin/audit/events``: the audit log, newest first (Phalanx only).

Filters: ``identity`` (an identity id), ``type`` (repeatable; an
:class:`~phalanx.audit.EventType` name), ``since`` / ``until`` (RFC 3339; ``since``
inclusive, ``until`` exclusive). Keyset pages as ``GET /admin/sessions``: ``page_size``
(default 250, at most 1000), ``page_token`` from the ``Link`` header's ``rel="next"``.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from phalanx.audit import AuditQuery
from phalanx.audit.wire import event_to_wire
from phalanx.errors import BadRequestError, KratosError
from phalanx.http.pagination import keyset_link_header, page_params, parse_int64
from phalanx.http.responses import NO_CACHE, JSONResponse, error_response
from phalanx.http.state import registry_of
from phalanx.identity.decoding import parse_rfc3339

__all__ = ["list_audit_events", "routes"]


def _time(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return parse_rfc3339(raw)
    except ValueError:
        raise BadRequestError(
            f"could not parse {name} {raw!r}: expected an RFC 3339 time"
        ) from None


def _query(request: Request) -> AuditQuery:
    params = request.query_params
    identity: uuid.UUID | None = None
    if raw := params.get("identity"):
        try:
            identity = uuid.UUID(raw)
        except ValueError:
            raise BadRequestError(f"could not parse identity {raw!r}: expected a UUID") from None
    page_size, token = page_params(request, default=250, maximum=1000)
    before: int | None = None
    if token is not None:
        before = parse_int64(token)
        if before is None or before < 1:
            raise BadRequestError("Unable to parse pagination token.")
    return AuditQuery(
        identity_id=identity,
        types=tuple(t for t in params.getlist("type") if t),
        since=_time(request, "since"),
        until=_time(request, "until"),
        page_size=page_size,
        before_seq=before,
    )


async def list_audit_events(request: Request) -> Response:
    registry = registry_of(request)
    try:
        query = _query(request)
    except KratosError as error:
        return error_response(error)
    page = await registry.audit.store.page(query)
    next_token = str(page.next_seq) if page.next_seq is not None else None
    return JSONResponse(
        [event_to_wire(e) for e in page.events],
        headers={
            "Link": keyset_link_header(request, query.page_size, next_token),
            "Cache-Control": NO_CACHE,
        },
    )


routes = [Route("/admin/audit/events", list_audit_events, methods=["GET"])]
