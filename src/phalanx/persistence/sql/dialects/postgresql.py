"""PostgreSQL (asyncpg).

* Timestamps are ``timestamptz`` and come back aware; ``JSONB`` for JSON (see
  :mod:`~phalanx.persistence.sql.types`).
* whoami: :data:`TOKEN_SQL` on the asyncpg connection under a pooled SQLAlchemy connection
  (:mod:`~phalanx.persistence.sql.dialects.pooled_lookup`), outside any transaction, for
  every lookup waiting at that moment (``token = ANY($1)``); asyncpg keeps it prepared.
* Queues claim rows with ``FOR UPDATE SKIP LOCKED``.
* Bulk existence checks join ``unnest`` of one array per column: an ``IN`` list compiled
  into a cached generic plan degrades to a linear filter over every row when statistics
  are stale, which is exactly the state during a bulk import.
* Errors: SQLSTATE ``23505`` is a unique violation (``constraint_name`` on the asyncpg
  error); class ``22`` is a data exception (a string longer than its column, a number out
  of range). ``40001`` (serialization_failure: ``SERIALIZABLE`` / ``REPEATABLE READ``,
  and every conflict on CockroachDB) and ``40P01`` (deadlock_detected) are retryable: the
  server rolled the transaction back and running it again may succeed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Dialect, Select, and_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import TypeEngine

from phalanx.persistence.sql.dialects.base import Backend, SessionDecoder
from phalanx.persistence.sql.dialects.pooled_lookup import PooledTokenLookup

if TYPE_CHECKING:
    from phalanx.persistence.sql.engine import Database

__all__ = ["POSTGRESQL", "PostgreSQLBackend", "PostgresTokenLookup"]

_UNIQUE = "23505"
_RETRYABLE = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected


def _sqlstate(error: BaseException) -> Any:
    sqlstate = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    if sqlstate is None and error.__cause__ is not None:
        sqlstate = getattr(error.__cause__, "sqlstate", None)
    return sqlstate


class PostgreSQLBackend(Backend):
    names = ("postgresql",)
    aware_timestamps = True

    def timestamp_type(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(TIMESTAMP(timezone=True))

    def token_lookup(self, db: Database, decode: SessionDecoder) -> PostgresTokenLookup:
        return PostgresTokenLookup(db, decode)

    async def row_locks(self, conn: AsyncConnection) -> bool:
        return True

    def existing_tuples(
        self, columns: Sequence[Column[Any]], rows: Sequence[tuple[Any, ...]]
    ) -> Select[Any]:
        arrays = [
            bindparam(f"v{i}", [row[i] for row in rows], type_=ARRAY(column.type))
            for i, column in enumerate(columns)
        ]
        names = [f"c{i}" for i in range(len(columns))]
        values = func.unnest(*arrays).table_valued(*names).render_derived()
        return select(*columns).join(
            values, and_(*(column == values.c[n] for column, n in zip(columns, names, strict=True)))
        )

    def is_unique_violation(self, error: BaseException) -> bool:
        return (
            getattr(error, "sqlstate", None) == _UNIQUE or getattr(error, "pgcode", None) == _UNIQUE
        )

    def is_retryable(self, error: BaseException) -> bool:
        return _sqlstate(error) in _RETRYABLE

    def violated_constraint(self, error: BaseException) -> str | None:
        name = getattr(error.__cause__, "constraint_name", None)
        return name if isinstance(name, str) else None

    def data_error(self, error: BaseException) -> str | None:
        sqlstate = _sqlstate(error)
        if isinstance(sqlstate, str) and sqlstate.startswith("22"):
            return str(error.__cause__ or error).splitlines()[0]
        return None


# The session and identity columns come first, in the order of
# :data:`phalanx.persistence.sql.session_lookup.COLUMNS`; the token closes the row (it
# tells the rows of a batch apart). JSON comes back as text, not decoded by the codecs:
# the row stays hashable (see :mod:`~phalanx.persistence.sql.dialects.pooled_lookup`).
TOKEN_SQL = """SELECT {columns},
 (SELECT json_agg(json_build_array({va}) ORDER BY a.created_at, a.id)::text
   FROM identity_verifiable_addresses a WHERE a.identity_id = s.identity_id),
 (SELECT json_agg(json_build_array({ra}) ORDER BY r.created_at, r.id)::text
   FROM identity_recovery_addresses r WHERE r.identity_id = s.identity_id),
 (SELECT json_agg(json_build_array({dev}) ORDER BY d.created_at, d.id)::text
   FROM session_devices d WHERE d.session_id = s.id),
 s.token
FROM sessions s JOIN identities i ON i.id = s.identity_id
WHERE s.token = ANY($1::varchar[])"""

_JSON_COLUMNS = ("s.authentication_methods", "i.traits", "i.metadata_public", "i.metadata_admin")
_VA = "a.id, a.via, a.value, a.verified, a.status, a.verified_at, a.created_at, a.updated_at"
_RA = "r.id, r.via, r.value, r.created_at, r.updated_at"
_DEV = "d.id, d.ip_address, d.user_agent, d.location"


def _as_text(columns: str) -> str:
    """:data:`COLUMNS` with its JSON columns selected as text (``::text``)."""
    for column in _JSON_COLUMNS:
        columns = re.sub(rf"{re.escape(column)}\b", f"{column}::text", columns)
    return columns


class PostgresTokenLookup(PooledTokenLookup):
    """The whoami statement on asyncpg (see the module docstring)."""

    def __init__(self, db: Database, decode: SessionDecoder) -> None:
        from phalanx.persistence.sql.session_lookup import COLUMNS

        sql = TOKEN_SQL.format(columns=_as_text(COLUMNS), va=_VA, ra=_RA, dev=_DEV)
        super().__init__(db, decode, sql)

    async def fetch_many(self, driver: Any, digests: list[str]) -> Sequence[Sequence[Any]]:
        rows: Sequence[Sequence[Any]] = await driver.fetch(self.sql, digests)
        return rows


POSTGRESQL = PostgreSQLBackend()
