"""``phalanx cleanup sql`` deletes in bounded batches: every DELETE names at most
``batch_size`` rows by primary key, and the rows to delete are picked by a plain read (no
statement scans and locks the table), on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select

from phalanx.persistence.sql import Database
from phalanx.persistence.sql import tables as t
from phalanx.persistence.sql.cleanup import cleanup_database

pytestmark = pytest.mark.anyio


async def test_expired_sessions_go_in_bounded_batches(database: Database) -> None:
    # Long ago: rows of other tests sharing this database are not due at this cutoff.
    now = datetime(2001, 1, 1, tzinfo=UTC)
    identity = uuid.uuid4()
    async with database.transaction() as conn:
        await conn.execute(
            insert(t.identities).values(
                id=identity, schema_id="default", traits={}, created_at=now, updated_at=now
            )
        )
        rows = [
            {
                "id": uuid.uuid4(),
                "identity_id": identity,
                "token": uuid.uuid4().hex * 2,
                "logout_token": uuid.uuid4().hex * 2,
                "issued_at": now,
                "expires_at": now - timedelta(hours=1) if n < 25 else now + timedelta(hours=1),
                "authenticated_at": now,
                "active": True,
                "authentication_methods": [],
                "created_at": now,
                "updated_at": now,
            }
            for n in range(30)
        ]
        await conn.execute(insert(t.sessions), rows)
    deletes: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE FROM SESSIONS"):
            deletes.append((statement, parameters))

    event.listen(database.engine.sync_engine, "before_cursor_execute", capture)
    try:
        result = await cleanup_database(database, batch_size=10, now=now)
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", capture)
    assert result.deleted["expired or revoked sessions"] == 25
    assert len(deletes) == 3  # 10 + 10 + 5
    for statement, _ in deletes:
        assert " IN (" in statement.upper() and "SELECT" not in statement.upper()
    async with database.transaction(readonly=True) as conn:
        left = await conn.scalar(
            select(func.count()).select_from(t.sessions).where(t.sessions.c.identity_id == identity)
        )
    assert left == 5
