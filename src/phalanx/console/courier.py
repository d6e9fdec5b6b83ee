"""Courier pages: messages by status and recipient (newest first, keyset pages), one
message with its body and delivery attempts, and "retry" for an abandoned message.

Lists and reads are ``GET /admin/courier/messages[/{id}]`` (``courier_store``). The body is
shown (the admin API redacts it outside ``--dev``; a console user may issue recovery
codes anyway). Retry puts the message back in the queue with its attempts reset
(:meth:`CourierStore.retry_abandoned`, audit event ``courier.message_retried``); the
courier worker sends it on its next run.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from starlette.responses import Response

from phalanx.audit import EventType
from phalanx.courier.message import MessageStatus
from phalanx.courier.store import InvalidPageTokenError

if TYPE_CHECKING:
    from phalanx.console.endpoint import Console

__all__ = ["list_messages", "retry_message", "show_message"]

PAGE_SIZE = 50
STATUSES = tuple(str(s) for s in MessageStatus)
NOTICES = {"retried": "The message is queued again."}


async def list_messages(console: Console) -> Response:
    """``GET /admin/ui/courier?status=&recipient=&after=``."""
    params = console.request.query_params
    status = params.get("status", "")
    status = status if status in STATUSES else ""
    recipient = params.get("recipient", "").strip()
    token = params.get("after") or None
    store = console.registry.courier_store
    try:
        page = await store.list_messages(
            status=MessageStatus(status) if status else None,
            recipient=recipient or None,
            page_size=PAGE_SIZE,
            page_token=token,
        )
    except InvalidPageTokenError:
        page = await store.list_messages(
            status=MessageStatus(status) if status else None,
            recipient=recipient or None,
            page_size=PAGE_SIZE,
        )
        token = None
    filters = {"status": status, "recipient": recipient}
    return console.page(
        "courier.html",
        "Courier",
        messages=page.messages,
        filters=filters,
        statuses=STATUSES,
        next_url=console.url("courier", **filters, after=page.next_token)
        if page.next_token
        else None,
        first_url=console.url("courier", **filters) if token else None,
    )


def _message_id(console: Console) -> uuid.UUID | None:
    try:
        return uuid.UUID(console.request.path_params["id"])
    except ValueError:
        return None


async def show_message(console: Console) -> Response:
    """``GET /admin/ui/courier/{id}``."""
    message_id = _message_id(console)
    message = (
        await console.registry.courier_store.get(message_id) if message_id is not None else None
    )
    if message is None:
        return console.page("missing.html", "Not found", status=404)
    return console.page(
        "message.html",
        message.subject or "Message",
        message=message,
        retryable=message.status == MessageStatus.ABANDONED,
        notice=NOTICES.get(console.request.query_params.get("done", "")),
    )


async def retry_message(console: Console) -> Response:
    """``POST /admin/ui/courier/{id}/retry``."""
    message_id = _message_id(console)
    if message_id is None or not await console.registry.courier_store.retry_abandoned(message_id):
        return console.page("missing.html", "Not found", status=404)
    await console.registry.audit.record(
        EventType.COURIER_MESSAGE_RETRIED, details={"message_id": str(message_id)}
    )
    return console.redirect(f"courier/{message_id}", done="retried")
