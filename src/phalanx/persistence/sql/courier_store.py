"""SQL :class:`~phalanx.courier.store.CourierStore` (Kratos ``persister_courier.go``).

Claiming is what makes several workers safe: ``claim_batch`` selects due ``queued`` rows
and flips them to ``processing`` in one transaction, locking them with
``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL and on MySQL >= 8.0.1 / MariaDB >= 10.6
(older MySQL/MariaDB get a plain ``FOR UPDATE``: workers queue instead of skipping, still
never double-claiming). On SQLite the write transaction starts with ``BEGIN IMMEDIATE``,
which serializes writers already. Kratos itself uses neither, so two Kratos workers can
send a message twice; Phalanx's cannot. Under ``SERIALIZABLE`` (CockroachDB) two claims
may still conflict: the claim runs in ``Database.run_in_transaction`` and is run again.

List pages are ordered ``created_at DESC, id ASC`` with an opaque keyset token (Kratos
encrypts its v2 tokens; Phalanx's are base64url JSON, only ever round-tripped).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from phalanx.clock import utcnow
from phalanx.courier.message import (
    Backoff,
    Dispatch,
    DispatchStatus,
    Message,
    MessageStatus,
    MessageType,
)
from phalanx.courier.store import InvalidPageTokenError, MessagePage
from phalanx.persistence.sql.engine import Database
from phalanx.persistence.sql.tables import courier_message_dispatches, courier_messages

__all__ = ["SQLCourierStore"]

_M = courier_messages.c
_D = courier_message_dispatches.c


def _message(row: RowMapping) -> Message:
    return Message(
        id=row["id"],
        type=MessageType(row["type"]),
        status=MessageStatus(row["status"]),
        channel=row["channel"],
        recipient=row["recipient"],
        subject=row["subject"],
        body=row["body"],
        template_type=row["template_type"],
        template_data=row["template_data"] or {},
        request_headers=row["request_headers"],
        send_count=row["send_count"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _dispatch(row: RowMapping) -> Dispatch:
    return Dispatch(
        id=row["id"],
        message_id=row["message_id"],
        status=DispatchStatus(row["status"]),
        error=row["error"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _encode_token(message: Message) -> str:
    raw = json.dumps([message.created_at.isoformat(), str(message.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        created, ident = json.loads(raw)
        return datetime.fromisoformat(created), uuid.UUID(ident)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidPageTokenError("could not parse page_token") from exc


class SQLCourierStore:
    """Courier messages and dispatches in ``courier_messages`` / ``courier_message_dispatches``."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._skip_locked: bool | None = None
        self._asked_row_locks = False

    async def _row_locks(self, conn: AsyncConnection) -> bool | None:
        """How this database claims rows (asked once, see ``Backend.row_locks``)."""
        if not self._asked_row_locks:
            self._skip_locked = await self.db.backend.row_locks(conn)
            self._asked_row_locks = True
        return self._skip_locked

    async def add(self, message: Message) -> None:
        now = utcnow()
        message.status = MessageStatus.QUEUED
        message.created_at = message.updated_at = now
        async with self.db.transaction() as conn:
            await conn.execute(
                insert(courier_messages).values(
                    id=message.id,
                    type=str(message.type),
                    status=str(message.status),
                    channel=message.channel,
                    recipient=message.recipient,
                    subject=message.subject,
                    body=message.body,
                    template_type=str(message.template_type),
                    template_data=message.template_data,
                    request_headers=message.request_headers,
                    send_count=message.send_count,
                    created_at=now,
                    updated_at=now,
                )
            )

    async def get(self, message_id: uuid.UUID) -> Message | None:
        async with self.db.transaction(readonly=True) as conn:
            row = (
                (await conn.execute(select(courier_messages).where(_M.id == message_id)))
                .mappings()
                .first()
            )
            if row is None:
                return None
            message = _message(row)
            dispatches = await conn.execute(
                select(courier_message_dispatches)
                .where(_D.message_id == message_id)
                .order_by(_D.created_at.desc(), _D.id)
            )
            message.dispatches = [_dispatch(d) for d in dispatches.mappings()]
        return message

    async def list_messages(
        self,
        *,
        status: MessageStatus | None = None,
        recipient: str | None = None,
        page_size: int = 10,
        page_token: str | None = None,
    ) -> MessagePage:
        query = select(courier_messages)
        if status is not None:
            query = query.where(_M.status == str(status))
        if recipient:
            query = query.where(_M.recipient == recipient)
        if page_token:
            created, ident = _decode_token(page_token)
            query = query.where(
                or_(_M.created_at < created, and_(_M.created_at == created, _M.id < ident))
            )
        # One direction for both keys, so the (created_at, id) index serves the order on
        # every database (MariaDB reads a mixed ORDER BY through a full scan and a sort).
        query = query.order_by(_M.created_at.desc(), _M.id.desc()).limit(page_size + 1)
        async with self.db.transaction(readonly=True) as conn:
            messages = [_message(r) for r in (await conn.execute(query)).mappings()]
        if len(messages) > page_size:
            messages = messages[:page_size]
            return MessagePage(messages, _encode_token(messages[-1]))
        return MessagePage(messages, None)

    def _due(
        self, now: datetime, backoff: Backoff | None, max_attempts: int
    ) -> ColumnElement[bool]:
        if backoff is None:
            return _M.send_count >= 0
        levels = max(1, max_attempts)
        clauses: list[ColumnElement[bool]] = [_M.send_count <= 0]
        for attempts in range(1, levels):
            clauses.append(
                and_(_M.send_count == attempts, _M.updated_at <= now - backoff.delay(attempts))
            )
        clauses.append(_M.send_count >= levels)  # out of attempts: due at once, to abandon
        return or_(*clauses)

    async def claim_batch(
        self, limit: int, *, backoff: Backoff | None = None, max_attempts: int = 6
    ) -> list[Message]:
        now = utcnow()
        query = (
            select(courier_messages)
            .where(_M.status == str(MessageStatus.QUEUED), self._due(now, backoff, max_attempts))
            .order_by(_M.created_at, _M.id)
            .limit(limit)
        )

        async def claim(conn: AsyncConnection) -> list[Message]:
            skip_locked = await self._row_locks(conn)
            locking = (
                query if skip_locked is None else query.with_for_update(skip_locked=skip_locked)
            )
            claimed = [_message(r) for r in (await conn.execute(locking)).mappings()]
            if claimed:
                await conn.execute(
                    update(courier_messages)
                    .where(_M.id.in_([m.id for m in claimed]))
                    .values(status=str(MessageStatus.PROCESSING), updated_at=now)
                )
            return claimed

        messages = await self.db.run_in_transaction(claim, operation="courier_claim")
        for message in messages:
            message.status = MessageStatus.PROCESSING
            message.updated_at = now
        return messages

    async def increment_send_count(self, message_id: uuid.UUID) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                update(courier_messages)
                .where(_M.id == message_id)
                .values(send_count=_M.send_count + 1, updated_at=utcnow())
            )

    async def _finish(
        self,
        message_id: uuid.UUID,
        status: MessageStatus,
        dispatch: DispatchStatus | None,
        error: dict[str, Any] | None,
    ) -> None:
        now = utcnow()
        async with self.db.transaction() as conn:
            await conn.execute(
                update(courier_messages)
                .where(_M.id == message_id)
                .values(status=str(status), updated_at=now)
            )
            if dispatch is not None:
                await conn.execute(
                    insert(courier_message_dispatches).values(
                        id=uuid.uuid4(),
                        message_id=message_id,
                        status=str(dispatch),
                        error=error,
                        created_at=now,
                        updated_at=now,
                    )
                )

    async def mark_sent(self, message_id: uuid.UUID) -> None:
        await self._finish(message_id, MessageStatus.SENT, DispatchStatus.SUCCESS, None)

    async def mark_failed(self, message_id: uuid.UUID, error: dict[str, Any]) -> None:
        await self._finish(message_id, MessageStatus.QUEUED, DispatchStatus.FAILED, error)

    async def mark_abandoned(
        self, message_id: uuid.UUID, error: dict[str, Any] | None = None
    ) -> None:
        dispatch = DispatchStatus.FAILED if error is not None else None
        await self._finish(message_id, MessageStatus.ABANDONED, dispatch, error)

    async def release(self, message_ids: Sequence[uuid.UUID]) -> None:
        if not message_ids:
            return
        async with self.db.transaction() as conn:
            await conn.execute(
                update(courier_messages)
                .where(
                    _M.id.in_(list(message_ids)),
                    _M.status == str(MessageStatus.PROCESSING),
                )
                .values(status=str(MessageStatus.QUEUED))
            )

    async def retry_abandoned(self, message_id: uuid.UUID) -> bool:
        async with self.db.transaction() as conn:
            result = await conn.execute(
                update(courier_messages)
                .where(_M.id == message_id, _M.status == str(MessageStatus.ABANDONED))
                .values(status=str(MessageStatus.QUEUED), send_count=0, updated_at=utcnow())
            )
        return bool(result.rowcount)

    async def requeue_stale(self, older_than: timedelta) -> int:
        now = utcnow()
        async with self.db.transaction() as conn:
            result = await conn.execute(
                update(courier_messages)
                .where(
                    _M.status == str(MessageStatus.PROCESSING),
                    _M.updated_at < now - older_than,
                )
                .values(status=str(MessageStatus.QUEUED), updated_at=now)
            )
        return int(result.rowcount or 0)
