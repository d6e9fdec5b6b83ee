"""Alembic environment for Phalanx.

Normally run in-process by :func:`phalanx.persistence.sql.migrations.migrate_up`, which hands
over a synchronous connection through ``config.attributes["connection"]``. For
development (``alembic revision --autogenerate``) it also works standalone with
``sqlalchemy.url`` set to an async URL.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from phalanx.persistence.sql.dialects import backend_for
from phalanx.persistence.sql.engine import create_engine
from phalanx.persistence.sql.migrations import VERSION_TABLE
from phalanx.persistence.sql.tables import metadata

__all__: list[str] = []


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=backend_for(connection.dialect.name).alter_in_batches,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_standalone(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("Phalanx migrations run online only (use `phalanx migrate sql`).")

_connection = context.config.attributes.get("connection")
if _connection is not None:
    _run(_connection)
else:
    asyncio.run(_run_standalone(context.config.get_main_option("sqlalchemy.url") or ""))
