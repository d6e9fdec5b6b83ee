"""What a database backend is to Phalanx: every way SQL differs per database, in one class.

Each backend is one module of this package (``sqlite``, ``postgresql``, ``mysql``) with one
:class:`Backend` subclass; :func:`phalanx.persistence.sql.dialects.backend_for` picks it by
SQLAlchemy dialect name. The stores never compare dialect names: they ask their
:class:`~phalanx.persistence.sql.engine.Database`'s backend. Adding a database is adding a
module here (and its driver URL in :mod:`phalanx.config.dsn`).

The defaults below are the portable behaviour (standard SQL through SQLAlchemy).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from sqlalchemy import Column, DateTime, Dialect, Select, select
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.types import TypeEngine

if TYPE_CHECKING:
    from phalanx.persistence.sql.engine import Database
    from phalanx.session.model import Session

__all__ = ["Backend", "NotAvailableError", "SessionDecoder", "TokenLookup"]


class NotAvailableError(Exception):
    """The whoami fast path cannot answer right now; use the general one."""


class TokenLookup(Protocol):
    async def row_by_token(self, token_digest: str) -> Sequence[Any] | None:
        """The row of a token digest (what the decoder takes), or None. Hashable: equal
        rows are equal stored states (whoami keeps what it rendered from one)."""
        ...

    def session(self, row: Sequence[Any]) -> Session:
        """The session of a row :meth:`row_by_token` returned."""
        ...

    async def by_token(self, token_digest: str) -> Session | None:
        """The session (identity, addresses, devices loaded) of a token digest, or None."""
        ...

    def close(self) -> None: ...


SessionDecoder = Callable[[Sequence[Any]], "Session"]
"""Turns one row of a backend's whoami statement into a loaded session."""


class Backend:
    """One database. Subclasses override what their database does differently."""

    #: SQLAlchemy dialect names this backend serves.
    names: ClassVar[tuple[str, ...]] = ()
    #: One writer at a time (SQLite): the :class:`Database` queues write transactions on
    #: a process-wide lock instead of polling the database's busy timeout.
    serial_writes: ClassVar[bool] = False
    #: ``LIKE`` ignores ASCII case, so prefix matches need an extra exact comparison.
    like_ignores_case: ClassVar[bool] = False
    #: Alembic rewrites tables to alter them (``render_as_batch``).
    alter_in_batches: ClassVar[bool] = False
    #: The driver keeps timezone-aware timestamps (``timestamptz``); otherwise naive UTC.
    aware_timestamps: ClassVar[bool] = False

    # -- engine -------------------------------------------------------------------------
    def create_engine(
        self,
        url: URL,
        kwargs: dict[str, Any],
        *,
        memory: bool,
        pool: dict[str, Any],
        connect_args: dict[str, Any],
    ) -> AsyncEngine:
        """The async engine for ``url``: ``kwargs`` holds the JSON codecs every backend
        gets, ``pool`` the DSN's pool arguments, ``connect_args`` the driver's."""
        kwargs.update(pool)
        if connect_args:
            kwargs["connect_args"] = connect_args
        return create_async_engine(url, **kwargs)

    async def begin_write(self, conn: AsyncConnection) -> None:
        """Prepare ``conn`` before a write transaction begins."""

    # -- column types -------------------------------------------------------------------
    def timestamp_type(self, dialect: Dialect) -> TypeEngine[Any]:
        """The column type behind :class:`~phalanx.persistence.sql.types.UTCDateTime`."""
        return dialect.type_descriptor(DateTime())

    # -- statements ---------------------------------------------------------------------
    def token_lookup(self, db: Database, decode: SessionDecoder) -> TokenLookup | None:
        """The one-statement whoami lookup on the driver, or None for the general path
        (see :mod:`~phalanx.persistence.sql.session_lookup`)."""
        return None

    async def row_locks(self, conn: AsyncConnection) -> bool | None:
        """How a queue claims rows: None without row locks (the transaction serializes),
        else ``SELECT ... FOR UPDATE`` with ``SKIP LOCKED`` when this says True."""
        return None

    def existing_tuples(
        self, columns: Sequence[Column[Any]], rows: Sequence[tuple[Any, ...]]
    ) -> Select[Any]:
        """A query for the rows of ``columns`` (all of one table) that may equal one of
        ``rows``; the caller intersects. Default: one ``IN`` list per column."""
        return select(*columns).where(
            *(column.in_(list({row[i] for row in rows})) for i, column in enumerate(columns))
        )

    # -- driver errors ------------------------------------------------------------------
    def is_unique_violation(self, error: BaseException) -> bool | None:
        """Whether the driver's ``error`` is a unique or primary-key violation (None: not
        this backend's error)."""
        return None

    def is_retryable(self, error: BaseException) -> bool:
        """Whether the driver's ``error`` aborted the transaction for a conflict with
        another one (serialization failure, deadlock, lock wait timeout), so running the
        same transaction again may succeed
        (:meth:`~phalanx.persistence.sql.engine.Database.run_in_transaction`)."""
        return False

    def violated_constraint(self, error: BaseException) -> str | None:
        """Best-effort name of the violated constraint, for logs."""
        return None

    def data_error(self, error: BaseException) -> str | None:
        """The driver's message if ``error`` reports a value the column cannot hold (too
        long, out of range), else None."""
        return None
