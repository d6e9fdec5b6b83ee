"""The SQL audit store on every backend: chained appends from concurrent writers on
separate connections (as separate processes would), hand edits and deletions found by
``verify``, retention that keeps the chain verifiable, filtered keyset pages."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, update

from phalanx.audit import AuditEvent, AuditQuery, EventType, verify
from phalanx.persistence.sql import Database, create_engine, migrate_up
from phalanx.persistence.sql.audit_store import AuditChainBrokenError, SQLAuditStore
from phalanx.persistence.sql.tables import audit_events

pytestmark = pytest.mark.anyio

FreshDatabase = Callable[[], AbstractAsyncContextManager[str]]
T0 = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)


@asynccontextmanager
async def _stores(make: FreshDatabase, count: int = 1) -> AsyncIterator[list[SQLAuditStore]]:
    async with make() as url:
        databases = [Database(create_engine(url)) for _ in range(count)]
        try:
            await migrate_up(databases[0].engine)
            yield [SQLAuditStore(db) for db in databases]
        finally:
            for db in databases:
                await db.dispose()


def _event(
    n: int, identity: uuid.UUID | None = None, type: str = EventType.LOGIN_SUCCEEDED
) -> AuditEvent:
    return AuditEvent(
        type=type,
        occurred_at=T0 + timedelta(seconds=n),
        actor="self",
        identity_id=identity,
        client_address="192.0.2.1",
        user_agent="test/1",
        details={"method": "password", "aal": "aal1", "n": n},
    )


async def _verify(store: SQLAuditStore) -> list[str]:
    report = await verify(await store.anchor(), store.scan(batch_size=7))
    return report.problems


async def test_concurrent_writers_on_separate_connections_keep_one_chain(
    make_fresh_database: FreshDatabase,
) -> None:
    async with _stores(make_fresh_database, count=3) as stores:

        async def writer(store: SQLAuditStore, base: int) -> None:
            for i in range(10):
                await store.append([_event(base + i), _event(base + i + 1000)])

        await asyncio.gather(*(writer(s, k * 100) for k, s in enumerate(stores)))
        rows = [r async for r in stores[0].scan()]
        assert [r.seq for r in rows] == list(range(1, 61))
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
        anchor = await stores[0].anchor()
        assert (anchor.head_seq, anchor.head_hash) == (60, rows[-1].hash)
        assert await _verify(stores[0]) == []


async def test_verify_detects_edited_and_deleted_rows(make_fresh_database: FreshDatabase) -> None:
    async with _stores(make_fresh_database) as (store,):
        await store.append([_event(i) for i in range(6)])
        assert await _verify(store) == []
        db = store.db
        async with db.transaction() as conn:
            await conn.execute(
                update(audit_events)
                .where(audit_events.c.seq == 3)
                .values(details={"method": "code", "aal": "aal1", "n": 2})
            )
        assert await _verify(store) == [
            "row 3 (" + str((await _row(store, 3)).event.id) + ") was changed after it was written"
        ]
        async with db.transaction() as conn:
            await conn.execute(delete(audit_events).where(audit_events.c.seq == 3))
        problems = await _verify(store)
        assert problems == ["rows 3..3 are missing (deleted?)"]
        async with db.transaction() as conn:
            await conn.execute(delete(audit_events).where(audit_events.c.seq == 6))
        assert "rows 6..6 are missing (the newest rows were deleted)" in await _verify(store)
        async with db.transaction() as conn:
            await conn.execute(delete(audit_events).where(audit_events.c.seq == 1))
        assert "rows 1..1 are missing (deleted?)" in await _verify(store)


async def _row(store: SQLAuditStore, seq: int):  # type: ignore[no-untyped-def]
    return next(r for r in [x async for x in store.scan()] if r.seq == seq)


async def test_retention_prunes_oldest_rows_and_the_rest_still_verifies(
    make_fresh_database: FreshDatabase,
) -> None:
    async with _stores(make_fresh_database) as (store,):
        await store.append([_event(i) for i in range(10)])
        deleted = await store.prune(T0 + timedelta(seconds=6.5), batch_size=3)
        assert deleted == 7
        rows = [r async for r in store.scan()]
        assert [r.seq for r in rows] == [8, 9, 10]
        anchor = await store.anchor()
        assert anchor.anchor_seq == 7
        assert await _verify(store) == []
        await store.append([_event(20)])
        assert await _verify(store) == []
        # Deleting the oldest kept row by hand is still found after pruning.
        async with store.db.transaction() as conn:
            await conn.execute(delete(audit_events).where(audit_events.c.seq == 8))
        assert await _verify(store) == ["rows 8..8 are missing (deleted?)"]


async def test_retention_refuses_to_prune_a_chain_that_does_not_verify(
    make_fresh_database: FreshDatabase,
) -> None:
    async with _stores(make_fresh_database) as (store,):
        await store.append([_event(i) for i in range(5)])
        async with store.db.transaction() as conn:
            await conn.execute(
                update(audit_events).where(audit_events.c.seq == 2).values(actor="admin")
            )
        with pytest.raises(AuditChainBrokenError, match="row 2"):
            await store.prune(T0 + timedelta(days=1), batch_size=100)
        assert len([r async for r in store.scan()]) == 5


async def test_pages_filter_by_identity_type_and_time_newest_first(
    make_fresh_database: FreshDatabase,
) -> None:
    async with _stores(make_fresh_database) as (store,):
        alice, bob = uuid.uuid4(), uuid.uuid4()
        await store.append(
            [
                _event(
                    i,
                    alice if i % 2 else bob,
                    EventType.SESSION_ISSUED if i % 3 == 0 else EventType.LOGIN_SUCCEEDED,
                )
                for i in range(12)
            ]
        )
        first = await store.page(AuditQuery(identity_id=alice, page_size=4))
        assert [r.event.details["n"] for r in first.events] == [11, 9, 7, 5]
        assert first.next_seq == first.events[-1].seq
        second = await store.page(
            AuditQuery(identity_id=alice, page_size=4, before_seq=first.next_seq)
        )
        assert [r.event.details["n"] for r in second.events] == [3, 1]
        assert second.next_seq is None
        typed = await store.page(AuditQuery(types=(EventType.SESSION_ISSUED,)))
        assert [r.event.details["n"] for r in typed.events] == [9, 6, 3, 0]
        window = await store.page(
            AuditQuery(since=T0 + timedelta(seconds=2), until=T0 + timedelta(seconds=5))
        )
        assert [r.event.details["n"] for r in window.events] == [4, 3, 2]
        got = window.events[0].event
        assert (got.occurred_at, got.actor, got.client_address, got.user_agent) == (
            T0 + timedelta(seconds=4),
            "self",
            "192.0.2.1",
            "test/1",
        )
