"""Engine and ``Database``: ping, in-memory SQLite, foreign keys, timestamps."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest
from sqlalchemy import text

from phalanx.identity.model import Identity
from phalanx.persistence.sql import (
    Database,
    DatabaseUnavailableError,
    SQLIdentityPool,
    create_engine,
    migrate_up,
)
from phalanx.persistence.sql.tables import identities

pytestmark = pytest.mark.anyio


async def test_ping_succeeds(database: Database) -> None:
    await database.ping()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://postgres@127.0.0.1:1/nope",
        "mysql+aiomysql://root@127.0.0.1:1/nope",
        "sqlite+aiosqlite:////nonexistent-dir/phalanx.db",
    ],
    ids=["postgres", "mysql", "sqlite"],
)
async def test_ping_fails_on_unreachable_database(url: str) -> None:
    db = Database(create_engine(url))
    try:
        with pytest.raises(DatabaseUnavailableError):
            await db.ping()
    finally:
        await db.dispose()


async def test_ping_times_out() -> None:
    # 192.0.2.0/24 is TEST-NET-1: packets go nowhere, so connecting hangs.
    db = Database(create_engine("postgresql+asyncpg://postgres@192.0.2.1:5432/nope"))
    db.ping_timeout = 0.2
    try:
        with pytest.raises(DatabaseUnavailableError):
            await db.ping()
    finally:
        await db.dispose()


async def test_memory_database_is_shared_and_serialized() -> None:
    db = Database(create_engine("sqlite+aiosqlite://", memory=True))
    try:
        await migrate_up(db.engine)
        pool = SQLIdentityPool(db)
        items = [Identity(schema_id="default", traits={"n": n}) for n in range(20)]
        async with anyio.create_task_group() as tg:
            for item in items:
                tg.start_soon(pool.create, item)
        assert await pool.count() == 20
        got = await pool.get(items[3].id)
        assert got is not None
        assert got.traits == {"n": 3}
    finally:
        await db.dispose()


async def test_sqlite_file_concurrent_writers_queue(tmp_path: Path) -> None:
    db = Database(create_engine(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}", pool_size=4))
    try:
        await migrate_up(db.engine)
        pool = SQLIdentityPool(db)
        items = [Identity(schema_id="default", traits={"n": n}) for n in range(40)]
        async with anyio.create_task_group() as tg:
            for item in items:
                tg.start_soon(pool.create, item)
                tg.start_soon(pool.count)
        assert await pool.count() == 40
    finally:
        await db.dispose()


async def test_sqlite_file_pragmas(tmp_path: Path) -> None:
    db = Database(create_engine(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"))
    try:
        async with db.transaction() as conn:
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar_one() == 1
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar_one() == "wal"
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar_one() == 5000
    finally:
        await db.dispose()


async def test_transaction_rolls_back_on_error(database: Database) -> None:
    identity_id = uuid.uuid4()

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with database.transaction() as conn:
            now = datetime.now(UTC)
            await conn.execute(
                identities.insert().values(
                    id=identity_id,
                    schema_id="default",
                    traits={},
                    state="active",
                    available_aal="aal1",
                    created_at=now,
                    updated_at=now,
                )
            )
            raise Boom
    assert await SQLIdentityPool(database).get(identity_id) is None
