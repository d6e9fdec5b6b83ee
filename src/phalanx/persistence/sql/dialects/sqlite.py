"""SQLite (aiosqlite), the embedded default.

* Engine: foreign keys on for every connection (Kratos requires ``_fk=true``), WAL journal
  and a busy timeout for file databases, one shared connection (``StaticPool``) for
  ``memory``. SQLAlchemy is told to emit ``BEGIN`` itself because the ``sqlite3`` module's
  implicit transactions break SAVEPOINTs; write transactions start with ``BEGIN
  IMMEDIATE`` so two writers queue on the busy timeout instead of failing with "database
  is locked" when upgrading a read lock. One writer at a time (``serial_writes``).
* ``LIKE`` ignores ASCII case; timestamps are stored naive (UTC).
* whoami: a private read-only ``sqlite3`` connection of this process runs
  :data:`TOKEN_SQL` synchronously (file databases only).
* Unique violations: extended code ``SQLITE_CONSTRAINT_UNIQUE`` (2067) or
  ``..._PRIMARYKEY`` (1555), "UNIQUE constraint failed: <table>.<column>, ...".
* Nothing is retryable (the default ``is_retryable``): one writer at a time cannot
  deadlock or conflict, and a write transaction takes the write lock at ``BEGIN
  IMMEDIATE``, before its first statement. "database is locked" (``SQLITE_BUSY``) means
  another process held that lock for the whole busy timeout (5 s); running the work
  again would wait as long once more, so the error is raised at once.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from phalanx import tracing
from phalanx.persistence.sql.dialects.base import Backend, NotAvailableError, SessionDecoder

if TYPE_CHECKING:
    from phalanx.persistence.sql.engine import Database
    from phalanx.session.model import Session

__all__ = ["SQLITE", "SQLiteBackend", "SQLiteTokenLookup"]

BUSY_TIMEOUT_MS = 5000
_BEGIN_OPTION = "phalanx_sqlite_begin"
_UNIQUE_CODES = {1555, 2067}  # SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE
_COLUMNS = re.compile(r"UNIQUE constraint failed: (.+)$")


def is_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or url.query.get("mode") == "memory"


class SQLiteBackend(Backend):
    names = ("sqlite",)
    serial_writes = True
    like_ignores_case = True
    alter_in_batches = True

    def create_engine(
        self,
        url: URL,
        kwargs: dict[str, Any],
        *,
        memory: bool,
        pool: dict[str, Any],
        connect_args: dict[str, Any],
    ) -> AsyncEngine:
        memory = memory or is_memory(url)
        if memory:
            url = url.set(database=":memory:")
            kwargs["poolclass"] = StaticPool
        else:
            kwargs.update(pool)
        kwargs["connect_args"] = {"check_same_thread": False}
        engine = create_async_engine(url, **kwargs)
        _configure(engine, wal=not memory)
        return engine

    async def begin_write(self, conn: AsyncConnection) -> None:
        await conn.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})

    def token_lookup(self, db: Database, decode: SessionDecoder) -> SQLiteTokenLookup | None:
        engine = db.engine
        if isinstance(engine.pool, StaticPool):
            return None
        database = engine.url.database or ""
        if database.startswith("file:"):
            database = database[len("file:") :]
        if not database or database == ":memory:":
            return None
        return SQLiteTokenLookup(Path(database), decode)

    def is_unique_violation(self, error: BaseException) -> bool:
        code = getattr(error, "sqlite_errorcode", None)
        if code is not None:
            return code in _UNIQUE_CODES
        return "UNIQUE constraint failed" in str(error)

    def violated_constraint(self, error: BaseException) -> str | None:
        match = _COLUMNS.search(str(error))
        return match.group(1) if match else None


def _configure(engine: AsyncEngine, *, wal: bool) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy (below) decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "")
        connection.exec_driver_sql(f"BEGIN {mode}".rstrip())


# -- whoami ----------------------------------------------------------------------------

_VA = "a.id, a.via, a.value, a.verified, a.status, a.verified_at, a.created_at, a.updated_at"
_RA = "r.id, r.via, r.value, r.created_at, r.updated_at"
_DEV = "d.id, d.ip_address, d.user_agent, d.location"

# json_group_array keeps the order of an ordered sub-query (SQLite < 3.44 has no
# ``json_group_array(... ORDER BY ...)``). The session and identity columns come first,
# in the order of :data:`phalanx.persistence.sql.session_lookup.COLUMNS`.
TOKEN_SQL = """SELECT {columns},
 (SELECT json_group_array(json_array({va})) FROM (SELECT * FROM identity_verifiable_addresses
   WHERE identity_id = s.identity_id ORDER BY created_at, id) a),
 (SELECT json_group_array(json_array({ra})) FROM (SELECT * FROM identity_recovery_addresses
   WHERE identity_id = s.identity_id ORDER BY created_at, id) r),
 (SELECT json_group_array(json_array({dev})) FROM (SELECT * FROM session_devices
   WHERE session_id = s.id ORDER BY created_at, id) d)
FROM sessions s JOIN identities i ON i.id = s.identity_id
WHERE s.token = ?"""


class SQLiteTokenLookup:
    """The whoami statement on a private connection, opened lazily (after a fork).

    Read-only (``query_only``), autocommit, called synchronously on the event loop: a
    lookup by the unique token index takes ~20 µs, less than handing it to aiosqlite's
    thread. It never waits for a lock (``busy_timeout = 0``; readers do not wait for
    writers in WAL mode); if SQLite reports busy anyway, ``NotAvailableError`` sends the
    caller to the general path.
    """

    def __init__(self, path: Path, decode: SessionDecoder) -> None:
        from phalanx.persistence.sql.session_lookup import COLUMNS

        self.path = path
        self.decode = decode
        self.sql = TOKEN_SQL.format(columns=COLUMNS, va=_VA, ra=_RA, dev=_DEV)
        self._conn: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        # mode=rw: never create a missing database file.
        uri = f"file:{quote(str(self.path.resolve()))}?mode=rw"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA query_only = 1")
        conn.execute("PRAGMA busy_timeout = 0")
        return conn

    async def row_by_token(self, token_digest: str) -> Sequence[Any] | None:
        try:
            if self._conn is None:
                self._conn = self._connect()
            spans = tracing.statement_spans()
            if spans is None:
                row: tuple[Any, ...] | None = self._conn.execute(
                    self.sql, (token_digest,)
                ).fetchone()
            else:
                with spans.span("sqlite", self.sql):
                    row = self._conn.execute(self.sql, (token_digest,)).fetchone()
        except sqlite3.OperationalError as exc:  # busy, or no such table before migrating
            raise NotAvailableError(str(exc)) from exc
        return row

    def session(self, row: Sequence[Any]) -> Session:
        return self.decode(row)

    async def by_token(self, token_digest: str) -> Session | None:
        row = await self.row_by_token(token_digest)
        return None if row is None else self.decode(row)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


SQLITE = SQLiteBackend()
