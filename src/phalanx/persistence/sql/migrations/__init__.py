"""Alembic migrations of the Phalanx schema, run programmatically (no ``alembic.ini``).

The counterpart of ``kratos migrate sql``: :func:`migrate_up` applies every pending
revision and is idempotent; :func:`migration_status` and :func:`needs_migration` back
``migrate sql status`` and the start-up check. Revisions live in ``versions/``
and are bookkept in the ``phalanx_alembic_version`` table (not ``alembic_version``, so an
application embedding Phalanx can keep its own Alembic history in the same database).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = [
    "VERSION_TABLE",
    "alembic_config",
    "head_revision",
    "migrate_up",
    "migration_status",
    "needs_migration",
]

VERSION_TABLE = "phalanx_alembic_version"
_SCRIPT_LOCATION = Path(__file__).parent


def alembic_config(url: str | None = None) -> Config:
    """The Alembic ``Config`` for Phalanx's migrations, built in code."""
    config = Config()
    config.set_main_option("script_location", str(_SCRIPT_LOCATION))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision shipped with this version of Phalanx."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships revisions
        raise RuntimeError("no migrations found")
    return head


def _current(connection: Connection) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def migrate_up(engine: AsyncEngine) -> None:
    """Apply all pending migrations (a no-op when the schema is current)."""
    async with engine.connect() as connection:
        await connection.run_sync(_upgrade)
        await connection.commit()


async def migration_status(engine: AsyncEngine) -> tuple[str | None, str]:
    """``(current revision or None for an empty database, head revision)``."""
    async with engine.connect() as connection:
        current = await connection.run_sync(_current)
    return current, head_revision()


async def needs_migration(engine: AsyncEngine) -> bool:
    """Whether :func:`migrate_up` has anything to do."""
    current, head = await migration_status(engine)
    return current != head
