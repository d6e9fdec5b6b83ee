"""Migrations: idempotent, status reporting, and the migrated schema equals ``tables.metadata``."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from phalanx.persistence.sql import create_engine, migrate_up, migration_status, needs_migration
from phalanx.persistence.sql.migrations import VERSION_TABLE, head_revision
from phalanx.persistence.sql.tables import metadata

pytestmark = pytest.mark.anyio

FreshDatabase = Callable[[], AbstractAsyncContextManager[str]]


def _schema_diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"version_table": VERSION_TABLE, "compare_type": True}
    )
    return list(compare_metadata(context, metadata))


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_migrate_up_is_idempotent_and_reports_status(
    make_fresh_database: FreshDatabase,
) -> None:
    async with make_fresh_database() as url:
        engine = create_engine(url)
        try:
            head = head_revision()
            assert await migration_status(engine) == (None, head)
            assert await needs_migration(engine)

            await migrate_up(engine)
            assert await migration_status(engine) == (head, head)
            assert not await needs_migration(engine)

            await migrate_up(engine)  # second run is a no-op
            assert await migration_status(engine) == (head, head)

            async with engine.connect() as conn:
                tables = await conn.run_sync(_table_names)
                diff = await conn.run_sync(_schema_diff)
            assert tables == set(metadata.tables) | {VERSION_TABLE}
            assert diff == []
        finally:
            await engine.dispose()
