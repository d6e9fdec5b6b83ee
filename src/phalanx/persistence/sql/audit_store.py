"""The audit log in SQL: hash-chained rows appended under the chain's lock row.

Every append runs in one transaction that first locks the single ``audit_chain`` row
(``SELECT ... FOR UPDATE`` on PostgreSQL and MySQL/MariaDB; SQLite write transactions
begin ``IMMEDIATE`` and hold the database's write lock), reads the head ``(seq, hash)``,
inserts the new rows with consecutive ``seq`` and chained hashes and moves the head. So
writers in several processes or on several hosts queue behind each other and can never
fork the chain: two rows with the same ``seq`` are refused by its unique index anyway.
An append the database aborts for a conflict (a deadlock, a serialization failure under
``SERIALIZABLE``) runs again from the lock (``Database.run_in_transaction``): the rows are
chained from the head read in the attempt that commits.

Pruning (``phalanx cleanup sql``) deletes the oldest rows in chain order and moves the
chain's anchor to the newest deleted row, so :func:`phalanx.audit.chain.verify` still
verifies what is kept. It first checks the rows it is about to delete and refuses to
delete a part of the chain that does not verify (evidence is never pruned away).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from phalanx.audit.chain import GENESIS, Anchor, chain_hash, verify
from phalanx.audit.events import AuditEvent, StoredEvent
from phalanx.audit.port import AuditPage, AuditQuery
from phalanx.persistence.sql import tables as t
from phalanx.persistence.sql.engine import Database

__all__ = ["AuditChainBrokenError", "SQLAuditStore"]

_CHAIN_ID = 1


class AuditChainBrokenError(Exception):
    """The rows retention would delete do not verify; nothing was deleted."""


def _stored(row: Row[Any]) -> StoredEvent:
    m = row._mapping
    return StoredEvent(
        seq=int(m["seq"]),
        event=AuditEvent(
            id=m["id"],
            type=m["type"],
            occurred_at=m["occurred_at"],
            actor=m["actor"],
            outcome=m["outcome"],
            identity_id=m["identity_id"],
            session_id=m["session_id"],
            flow_id=m["flow_id"],
            client_address=m["client_address"],
            user_agent=m["user_agent"],
            details=m["details"] if isinstance(m["details"], dict) else {},
        ),
        prev_hash=m["prev_hash"],
        hash=m["hash"],
    )


def _values(stored: StoredEvent) -> dict[str, Any]:
    e = stored.event
    return {
        "id": e.id,
        "seq": stored.seq,
        "occurred_at": e.occurred_at,
        "type": e.type,
        "actor": e.actor,
        "outcome": e.outcome,
        "identity_id": e.identity_id,
        "session_id": e.session_id,
        "flow_id": e.flow_id,
        "client_address": e.client_address,
        "user_agent": e.user_agent,
        "details": dict(e.details),
        "prev_hash": stored.prev_hash,
        "hash": stored.hash,
    }


class SQLAuditStore:
    """:class:`phalanx.audit.port.AuditStore` on SQLite, PostgreSQL and MySQL/MariaDB."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def _lock_chain(self, conn: AsyncConnection) -> Anchor:
        c = t.audit_chain
        query = select(c).where(c.c.id == _CHAIN_ID).with_for_update()
        row = (await conn.execute(query)).one_or_none()
        if row is None:  # a schema created without the migration's seed row
            await conn.execute(
                insert(c).values(
                    id=_CHAIN_ID,
                    head_seq=0,
                    head_hash=GENESIS,
                    anchor_seq=0,
                    anchor_hash=GENESIS,
                )
            )
            return Anchor(0, GENESIS, 0, GENESIS)
        m = row._mapping
        return Anchor(int(m["anchor_seq"]), m["anchor_hash"], int(m["head_seq"]), m["head_hash"])

    async def append(self, events: Sequence[AuditEvent]) -> list[StoredEvent]:
        if not events:
            return []

        async def chain(conn: AsyncConnection) -> list[StoredEvent]:
            head = await self._lock_chain(conn)
            seq, prev = head.head_seq, head.head_hash
            stored: list[StoredEvent] = []
            for event in events:
                seq += 1
                digest = chain_hash(prev, seq, event)
                stored.append(StoredEvent(seq=seq, event=event, prev_hash=prev, hash=digest))
                prev = digest
            await conn.execute(insert(t.audit_events), [_values(s) for s in stored])
            c = t.audit_chain
            await conn.execute(
                update(c).where(c.c.id == _CHAIN_ID).values(head_seq=seq, head_hash=prev)
            )
            return stored

        return await self.db.run_in_transaction(chain, operation="audit_append")

    async def page(self, query: AuditQuery) -> AuditPage:
        e = t.audit_events
        statement = select(e).order_by(e.c.seq.desc()).limit(query.page_size + 1)
        if query.identity_id is not None:
            statement = statement.where(e.c.identity_id == query.identity_id)
        if query.types:
            statement = statement.where(e.c.type.in_(query.types))
        if query.since is not None:
            statement = statement.where(e.c.occurred_at >= query.since)
        if query.until is not None:
            statement = statement.where(e.c.occurred_at < query.until)
        if query.before_seq is not None:
            statement = statement.where(e.c.seq < query.before_seq)
        async with self.db.transaction(readonly=True) as conn:
            rows = (await conn.execute(statement)).all()
        events = [_stored(r) for r in rows[: query.page_size]]
        more = len(rows) > query.page_size
        return AuditPage(events=events, next_seq=events[-1].seq if more and events else None)

    async def anchor(self) -> Anchor:
        c = t.audit_chain
        async with self.db.transaction(readonly=True) as conn:
            row = (await conn.execute(select(c).where(c.c.id == _CHAIN_ID))).one_or_none()
        if row is None:
            return Anchor(0, GENESIS, 0, GENESIS)
        m = row._mapping
        return Anchor(int(m["anchor_seq"]), m["anchor_hash"], int(m["head_seq"]), m["head_hash"])

    async def scan(self, batch_size: int = 1000) -> AsyncIterator[StoredEvent]:
        e = t.audit_events
        after: int | None = None
        while True:
            statement = select(e).order_by(e.c.seq).limit(batch_size)
            if after is not None:
                statement = statement.where(e.c.seq > after)
            async with self.db.transaction(readonly=True) as conn:
                rows = (await conn.execute(statement)).all()
            for row in rows:
                yield _stored(row)
            if len(rows) < batch_size:
                return
            after = int(rows[-1]._mapping["seq"])

    async def prune(self, cutoff: datetime, batch_size: int) -> int:
        """Delete the oldest rows written before ``cutoff``, ``batch_size`` per transaction;
        return how many. Raises :class:`AuditChainBrokenError` (nothing of that batch
        deleted) when those rows do not verify against the anchor."""
        total = 0
        while True:
            deleted = await self._prune_batch(cutoff, batch_size)
            total += deleted
            if deleted < batch_size:
                return total

    async def _prune_batch(self, cutoff: datetime, batch_size: int) -> int:
        e, c = t.audit_events, t.audit_chain
        async with self.db.transaction() as conn:
            anchor = await self._lock_chain(conn)
            rows = (await conn.execute(select(e).order_by(e.c.seq).limit(batch_size))).all()
            prefix: list[StoredEvent] = []
            for row in rows:
                stored = _stored(row)
                if stored.event.occurred_at > cutoff:
                    break
                prefix.append(stored)
            if not prefix:
                return 0
            last = prefix[-1]
            partial = Anchor(anchor.anchor_seq, anchor.anchor_hash, last.seq, last.hash)
            report = await verify(partial, prefix)
            if not report.ok:
                raise AuditChainBrokenError("; ".join(report.problems))
            await conn.execute(delete(e).where(e.c.seq <= last.seq))
            await conn.execute(
                update(c)
                .where(c.c.id == _CHAIN_ID)
                .values(anchor_seq=last.seq, anchor_hash=last.hash)
            )
        return len(prefix)
