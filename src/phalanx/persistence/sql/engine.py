"""Async engines for SQLite, PostgreSQL and MySQL/MariaDB, and the :class:`Database` handle.

Mirrors what Kratos's pop/sqlcon connection setup does for its dialects; what each
database needs (pragmas, charset, pool, how writes begin) is its backend's business
(:mod:`phalanx.persistence.sql.dialects`).
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import StaticPool

from phalanx import tracing
from phalanx.metrics import TRANSACTION_RETRIES
from phalanx.persistence.sql.dialects import Backend, backend_for
from phalanx.persistence.sql.types import json_dumps, json_loads
from phalanx.persistence.sql.value_guard import install_value_guard

if TYPE_CHECKING:
    from phalanx.config import DatabaseURL

__all__ = [
    "RETRY_BASE_DELAY",
    "Database",
    "DatabaseUnavailableError",
    "create_engine",
    "engine_for",
    "pool_options",
]

T = TypeVar("T")

log = logging.getLogger("phalanx.persistence")

RETRY_BASE_DELAY = 0.02
"""Seconds before the second attempt of :meth:`Database.run_in_transaction`; doubled for
each further one, each delay drawn uniformly between half and all of it (jitter)."""


class DatabaseUnavailableError(Exception):
    """The database cannot be reached (what ``/health/ready`` reports as not ready)."""


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
    kwargs: dict[str, Any] = {"json_serializer": json_dumps, "json_deserializer": json_loads}
    backend = backend_for(url.get_backend_name())
    engine = backend.create_engine(url, kwargs, memory=memory, pool=pool, connect_args=connect_args)
    install_value_guard(engine)
    return engine


class Database:
    """The engine plus the two things every store needs: a transaction and a ping.

    SQLite allows one writer at a time (``backend.serial_writes``), so write transactions
    of one process queue on a lock instead of polling the busy timeout; readers run
    concurrently (WAL). With an in-memory database all work shares one connection, so
    every transaction takes the lock. The lock is not re-entrant: never open a transaction
    inside another.

    Write paths that conflict between hosts run through :meth:`run_in_transaction`, which
    runs the work again when the database aborted it for a conflict.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect: str = engine.dialect.name
        #: What differs on this database (see :mod:`phalanx.persistence.sql.dialects`).
        self.backend: Backend = backend_for(self.dialect)
        self.ping_timeout = 5.0  # seconds
        self._shared_connection = isinstance(engine.pool, StaticPool)
        self._lock: anyio.Lock | None = anyio.Lock() if self.backend.serial_writes else None

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
            if not readonly:
                await self.backend.begin_write(conn)
            async with conn.begin():
                yield conn

    async def run_in_transaction(
        self,
        work: Callable[[AsyncConnection], Awaitable[T]],
        *,
        attempts: int = 3,
        operation: str = "transaction",
    ) -> T:
        """``work(conn)`` in a write transaction (:meth:`transaction`), run again in a new
        one when the backend says the transaction failed for a conflict with another
        (``Backend.is_retryable``: serialization failure, deadlock, lock wait timeout),
        at most ``attempts`` times in all; after a short jittered backoff each time, with
        a log line and ``phalanx_sql_transaction_retries_total{operation}``. Any other
        error, and the last attempt's, is raised as it is. The result is ``work``'s.

        The contract: ``work`` must be re-runnable. Everything it does goes through
        ``conn`` (rolled back with the failed attempt) or is recomputed from what it reads
        there; no side effects outside the transaction (no messages sent, no caches or
        objects of the caller changed) until this returns. Never call it inside another
        transaction.
        """
        attempt = 1
        while True:
            try:
                async with self.transaction() as conn:
                    return await work(conn)
            except DBAPIError as exc:
                orig = exc.orig
                if attempt >= attempts or orig is None or not self.backend.is_retryable(orig):
                    raise
                delay = RETRY_BASE_DELAY * 2 ** (attempt - 1)
                delay *= random.uniform(0.5, 1.0)  # noqa: S311 -- jitter, not a secret
                TRANSACTION_RETRIES.labels(operation).inc()
                log.warning(
                    "%s: transaction aborted by the database (%s), attempt %d of %d; "
                    "running it again in %.0f ms",
                    operation,
                    _first_line(orig),
                    attempt,
                    attempts,
                    delay * 1000,
                )
                await anyio.sleep(delay)
                attempt += 1

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


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
