"""SQL persistence (SQLite, PostgreSQL, MySQL/MariaDB), Kratos's ``persistence/sql``.

Public API::

    engine = create_engine("sqlite+aiosqlite:///kratos.db")
    await migrate_up(engine)
    db = Database(engine)
    pool = SQLIdentityPool(db)
"""

from __future__ import annotations

from phalanx.persistence.sql.engine import Database, DatabaseUnavailableError, create_engine
from phalanx.persistence.sql.identity_pool import SQLIdentityPool
from phalanx.persistence.sql.migrations import migrate_up, migration_status, needs_migration
from phalanx.persistence.sql.tables import metadata

__all__ = [
    "Database",
    "DatabaseUnavailableError",
    "SQLIdentityPool",
    "create_engine",
    "metadata",
    "migrate_up",
    "migration_status",
    "needs_migration",
]
