"""Admin courier API (Kratos ``courier/handler.go``).

* ``GET /admin/courier/messages?status=&recipient=&page_size=&page_token=`` -> 200
  ``[message]`` newest first with a keyset ``Link`` header; ``status`` present but not a
  status -> 400 "Message status is not valid"; ``recipient`` is an exact match; page size
  10 by default (Kratos's code; the spec says 250), at most 1000. Dispatches are not
  included in the list.
* ``GET /admin/courier/messages/{id}`` -> 200 message with its dispatches, 400 for a
  malformed id (Go's uuid error text), 404 "Unable to locate the resource".

Outside ``--dev`` the ``body`` is replaced by ``<redacted-unless-dev-mode>``, as in Kratos.
The registry must provide ``courier_store``
(:class:`~phalanx.courier.store.CourierStore`) and ``config`` (``is_dev``).
"""

from __future__ import annotations

import json
import uuid

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from phalanx.courier.message import MessageStatus
from phalanx.courier.store import InvalidPageTokenError
from phalanx.errors import BadRequestError, KratosError, NotFoundError
from phalanx.http.pagination import keyset_link_header, page_params
from phalanx.http.responses import JSONResponse, error_response
from phalanx.http.state import registry_of

__all__ = ["routes"]

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000
_UUID_LENGTHS = (32, 36, 38, 41, 45)


def _parse_uuid(raw: str) -> uuid.UUID:
    """``uuid.FromString`` from gofrs/uuid, with its error texts."""
    quoted = json.dumps(raw, ensure_ascii=False)
    if len(raw.encode()) not in _UUID_LENGTHS:
        raise BadRequestError(
            message=f"uuid: incorrect UUID length {len(raw.encode())} in string {quoted}"
        )
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise BadRequestError(message=f"uuid: incorrect UUID format in string {quoted}") from None


def _status(request: Request) -> MessageStatus | None:
    if "status" not in request.query_params:
        return None
    try:
        return MessageStatus(request.query_params["status"])
    except ValueError:
        raise BadRequestError("Message status is not valid") from None


def _redact(request: Request) -> bool:
    return not registry_of(request).config.is_dev


async def _list_messages(request: Request) -> Response:
    store = registry_of(request).courier_store
    try:
        status = _status(request)
        page_size, page_token = page_params(
            request, default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE
        )
        page = await store.list_messages(
            status=status,
            recipient=request.query_params.get("recipient") or None,
            page_size=page_size,
            page_token=page_token,
        )
    except InvalidPageTokenError as exc:
        return error_response(BadRequestError(message=str(exc)))
    except KratosError as error:
        return error_response(error)
    redact = _redact(request)
    body = [m.to_dict(redact_body=redact) for m in page.messages]
    link = keyset_link_header(request, page_size, page.next_token)
    return JSONResponse(body, headers={"Link": link})


async def _get_message(request: Request) -> Response:
    try:
        message_id = _parse_uuid(request.path_params["id"])
    except KratosError as error:
        return error_response(error)
    message = await registry_of(request).courier_store.get(message_id)
    if message is None:
        return error_response(NotFoundError(message="Unable to locate the resource"))
    return JSONResponse(message.to_dict(redact_body=_redact(request)))


routes = [
    Route("/admin/courier/messages", _list_messages, methods=["GET"]),
    Route("/admin/courier/messages/{id}", _get_message, methods=["GET"]),
]
