"""Async engines for SQLite, PostgreSQL and MySQL/MariaDB, and the :class:`Database` handle.

Mirrors what Kratos's pop/sqlcon connection setup does for its dialects:

* SQLite (aiosqlite): foreign keys on for every connection (Kratos requires ``_fk=true``),
  WAL journal and a busy timeout for file databases, one shared connection
  (``StaticPool``) for ``memory``. SQLAlchemy is told to emit ``BEGIN`` itself because
  the ``sqlite3`` module's implicit transactions break SAVEPOINTs; write transactions
  start with ``BEGIN IMMEDIATE`` so two writers queue on the busy timeout instead of
  failing with "database is locked" when upgrading a read lock.
* PostgreSQL (asyncpg).
* MySQL/MariaDB (aiomysql) with ``utf8mb4``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
from sqlalchemy import event, make_url, text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from phalanx import tracing
from phalanx.persistence.sql.types import json_dumps, json_loads
from phalanx.persistence.sql.value_guard import install_value_guard

if TYPE_CHECKING:
    from phalanx.config import DatabaseURL

__all__ = ["Database", "DatabaseUnavailableError", "create_engine", "engine_for", "pool_options"]

SQLITE_BUSY_TIMEOUT_MS = 5000
_BEGIN_OPTION = "phalanx_sqlite_begin"


class DatabaseUnavailableError(Exception):
    """The database cannot be reached (what ``/health/ready`` reports as not ready)."""


def _is_memory_sqlite(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or url.query.get("mode") == "memory"


def engine_for(url: DatabaseURL) -> AsyncEngine:
    """The engine a parsed Kratos ``dsn`` describes: driver arguments (TLS, server
    settings, timeouts) and the pool sizes of its query (:func:`pool_options`)."""
    return create_engine(
        url.sqlalchemy_url,
        memory=url.is_memory,
        pool=pool_options(url),
        connect_args=url.connect_args(),
    )


def pool_options(url: DatabaseURL) -> dict[str, Any]:
    """SQLAlchemy pool arguments for the DSN's ``max_conns``, ``max_idle_conns`` and
    ``max_conn_lifetime`` (Kratos's names, Go ``database/sql`` semantics).

    ``max_conns`` caps the open connections (``pool_size + max_overflow``; 0: no cap);
    ``max_idle_conns`` is how many stay open when returned (``pool_size``; at least 1,
    at most ``max_conns``; Kratos's default is the CPU count); ``max_conn_lifetime``
    replaces connections older than that (``pool_recycle``). With none of them the pool
    keeps SQLAlchemy's defaults (5 kept + 10 more under load). ``max_conn_idle_time`` has
    no SQLAlchemy counterpart and is ignored."""
    out: dict[str, Any] = {}
    if url.max_conns is not None or url.max_idle_conns is not None:
        total = url.max_conns or 0
        idle = url.max_idle_conns if url.max_idle_conns is not None else (os.cpu_count() or 1)
        idle = max(idle, 1)
        if total > 0:
            idle = min(idle, total)
            out.update(pool_size=idle, max_overflow=total - idle)
        else:
            out.update(pool_size=idle, max_overflow=-1)
    if url.max_conn_lifetime is not None and url.max_conn_lifetime.total_seconds() > 0:
        out["pool_recycle"] = url.max_conn_lifetime.total_seconds()
    return out


def create_engine(
    async_url: str,
    *,
    memory: bool = False,
    pool_size: int | None = None,
    pool: Mapping[str, Any] | None = None,
    connect_args: Mapping[str, Any] | None = None,
) -> AsyncEngine:
    """An ``AsyncEngine`` for ``sqlite+aiosqlite``, ``postgresql+asyncpg`` or ``mysql+aiomysql``.

    ``memory=True`` (or an in-memory SQLite URL) keeps one private SQLite database for the
    engine's lifetime, like Kratos's ``memory`` DSN. ``pool`` holds ``create_async_engine``
    pool arguments (see :func:`pool_options`), ``connect_args`` the driver's.
    """
    options = dict(pool or {})
    if pool_size is not None:
        options["pool_size"] = pool_size
    engine = _create_engine(
        async_url, memory=memory, pool=options, connect_args=dict(connect_args or {})
    )
    spans = tracing.statement_spans()
    if spans is not None:
        spans.instrument(engine)
    return engine


def _create_engine(
    async_url: str, *, memory: bool, pool: dict[str, Any], connect_args: dict[str, Any]
) -> AsyncEngine:
    url = make_url(async_url)
    backend = url.get_backend_name()
    kwargs: dict[str, Any] = {"json_serializer": json_dumps, "json_deserializer": json_loads}
    if backend == "sqlite":
        memory = memory or _is_memory_sqlite(url)
        if memory:
            url = url.set(database=":memory:")
            kwargs["poolclass"] = StaticPool
        else:
            kwargs.update(pool)
        kwargs["connect_args"] = {"check_same_thread": False}
        engine = create_async_engine(url, **kwargs)
        _configure_sqlite(engine, wal=not memory)
        install_value_guard(engine)
        return engine
    if backend in ("mysql", "mariadb"):
        if "charset" not in url.query and "charset" not in connect_args:
            url = url.update_query_dict({"charset": "utf8mb4"})
        kwargs["pool_recycle"] = 3600  # below MySQL's default wait_timeout (8 h)
    kwargs.update(pool)
    if connect_args:
        kwargs["connect_args"] = connect_args
    engine = create_async_engine(url, **kwargs)
    install_value_guard(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine, *, wal: bool) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy (below) decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "")
        connection.exec_driver_sql(f"BEGIN {mode}".rstrip())


class Database:
    """The engine plus the two things every store needs: a transaction and a ping.

    SQLite allows one writer at a time, so write transactions of one process queue on a
    lock instead of polling the busy timeout; readers run concurrently (WAL). With an
    in-memory database all work shares one connection, so every transaction takes the
    lock. The lock is not re-entrant: never open a transaction inside another.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect: str = engine.dialect.name
        self.ping_timeout = 5.0  # seconds
        self._is_sqlite = self.dialect == "sqlite"
        self._shared_connection = isinstance(engine.pool, StaticPool)
        self._lock: anyio.Lock | None = anyio.Lock() if self._is_sqlite else None

    @classmethod
    def from_url(
        cls, async_url: str, *, memory: bool = False, pool_size: int | None = None
    ) -> Database:
        return cls(create_engine(async_url, memory=memory, pool_size=pool_size))

    @asynccontextmanager
    async def transaction(self, *, readonly: bool = False) -> AsyncIterator[AsyncConnection]:
        """An ``AsyncConnection`` inside a transaction, committed on success.

        ``readonly`` only changes how SQLite begins (deferred instead of immediate), so
        readers never wait for writers in WAL mode.
        """
        if self._lock is None or (readonly and not self._shared_connection):
            async with self._begin(readonly) as conn:
                yield conn
        else:
            async with self._lock, self._begin(readonly) as conn:
                yield conn

    @asynccontextmanager
    async def _begin(self, readonly: bool) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            if self._is_sqlite and not readonly:
                await conn.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
            async with conn.begin():
                yield conn

    async def ping(self) -> None:
        """Run ``SELECT 1``; raise :class:`DatabaseUnavailableError` if that fails."""
        try:
            with anyio.fail_after(self.ping_timeout):
                async with self.transaction(readonly=True) as conn:
                    await conn.execute(text("SELECT 1"))
        except Exception as exc:  # any driver error, refused connection or timeout
            raise DatabaseUnavailableError(f"database is not reachable: {exc}") from exc

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
