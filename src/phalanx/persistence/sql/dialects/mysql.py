"""MySQL and MariaDB (aiomysql).

* Engine: ``utf8mb4`` unless the DSN names a charset; connections recycled after an hour,
  below MySQL's default ``wait_timeout`` (8 h).
* Timestamps are ``DATETIME(6)`` (without ``fsp`` MySQL truncates to whole seconds), naive
  UTC.
* Queues claim rows with ``FOR UPDATE``, with ``SKIP LOCKED`` from MySQL 8.0.1 / MariaDB
  10.6.
* Errors: 1062 ``ER_DUP_ENTRY`` ("Duplicate entry ... for key '<name>'") is a unique
  violation; 1264, 1366, 1406, 3140 and 4025 (a JSON document its check refuses) are
  values the column cannot hold. 1213 ``ER_LOCK_DEADLOCK`` (InnoDB rolled the transaction
  back) and 1205 ``ER_LOCK_WAIT_TIMEOUT`` (``innodb_lock_wait_timeout``, 50 s by default;
  only the statement was rolled back, the caller rolls back the rest) are retryable.
* whoami: :data:`TOKEN_SQL` on the aiomysql connection under a pooled SQLAlchemy
  connection (:mod:`~phalanx.persistence.sql.dialects.pooled_lookup`), for every lookup
  waiting at that moment (``token IN (...)``). Addresses and
  devices are aggregated with ``GROUP_CONCAT(... ORDER BY ...)``, not ``JSON_ARRAYAGG``:
  MySQL 8 cannot order ``JSON_ARRAYAGG``, and the order must be the server's (MariaDB's
  ``uuid`` type does not sort as text), the one the general path's ``ORDER BY`` gets.
  ``GROUP_CONCAT`` cuts its result at ``group_concat_max_len`` bytes (MariaDB: 1 MiB by
  default; MySQL 8 defaults to 1 KiB, raised to 1 MiB for the statement by a ``SET_VAR``
  hint that MariaDB reads as a comment): each list starts with its row count, and a list
  that was cut sends the lookup to the general path (``NotAvailableError``). Autocommit is
  off, so the ``SELECT`` opens a transaction; the pool's rollback on return ends it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Dialect
from sqlalchemy.dialects.mysql import DATETIME
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.types import TypeEngine

from phalanx.persistence.sql.dialects.base import Backend, NotAvailableError, SessionDecoder
from phalanx.persistence.sql.dialects.pooled_lookup import PooledTokenLookup

if TYPE_CHECKING:
    from phalanx.persistence.sql.engine import Database
    from phalanx.session.model import Session

__all__ = ["MYSQL", "MySQLBackend", "MySQLTokenLookup"]

_DUP_ENTRY = 1062
_RETRYABLE = frozenset({1205, 1213})  # ER_LOCK_WAIT_TIMEOUT, ER_LOCK_DEADLOCK
_DATA_ERRORS = frozenset({1264, 1366, 1406, 3140, 4025})
_KEY = re.compile(r"for key '([^']+)'")


def _code(error: BaseException) -> int | None:
    args = getattr(error, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


class MySQLBackend(Backend):
    names = ("mysql", "mariadb")

    def create_engine(
        self,
        url: URL,
        kwargs: dict[str, Any],
        *,
        memory: bool,
        pool: dict[str, Any],
        connect_args: dict[str, Any],
    ) -> AsyncEngine:
        if "charset" not in url.query and "charset" not in connect_args:
            url = url.update_query_dict({"charset": "utf8mb4"})
        kwargs["pool_recycle"] = 3600  # the DSN's max_conn_lifetime (in pool) wins
        return super().create_engine(
            url, kwargs, memory=memory, pool=pool, connect_args=connect_args
        )

    def timestamp_type(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(DATETIME(fsp=6))

    def token_lookup(self, db: Database, decode: SessionDecoder) -> MySQLTokenLookup:
        return MySQLTokenLookup(db, decode)

    async def row_locks(self, conn: AsyncConnection) -> bool:
        dialect = conn.dialect
        version = tuple(v for v in (dialect.server_version_info or ()) if isinstance(v, int))
        mariadb = bool(getattr(dialect, "is_mariadb", False))
        return version >= ((10, 6) if mariadb else (8, 0, 1))

    def is_unique_violation(self, error: BaseException) -> bool:
        return _code(error) == _DUP_ENTRY

    def is_retryable(self, error: BaseException) -> bool:
        return _code(error) in _RETRYABLE

    def violated_constraint(self, error: BaseException) -> str | None:
        match = _KEY.search(str(error))
        return match.group(1) if match else None

    def data_error(self, error: BaseException) -> str | None:
        if _code(error) not in _DATA_ERRORS:
            return None
        args = error.args
        return str(args[1]) if len(args) > 1 else str(error)


# -- whoami ----------------------------------------------------------------------------

_VA = "a.id, a.via, a.value, a.verified, a.status, a.verified_at, a.created_at, a.updated_at"
_RA = "r.id, r.via, r.value, r.created_at, r.updated_at"
_DEV = "d.id, d.ip_address, d.user_agent, d.location"

# Each list is ``[<count>,[...],[...]]`` (see the module docstring). The session and
# identity columns come first, in the order of
# :data:`phalanx.persistence.sql.session_lookup.COLUMNS`.
TOKEN_SQL = """SELECT /*+ SET_VAR(group_concat_max_len = 1048576) */ {columns},
 (SELECT CONCAT('[', COUNT(*), IFNULL(GROUP_CONCAT(',', JSON_ARRAY({va})
   ORDER BY a.created_at, a.id SEPARATOR ''), ''), ']')
   FROM identity_verifiable_addresses a WHERE a.identity_id = s.identity_id),
 (SELECT CONCAT('[', COUNT(*), IFNULL(GROUP_CONCAT(',', JSON_ARRAY({ra})
   ORDER BY r.created_at, r.id SEPARATOR ''), ''), ']')
   FROM identity_recovery_addresses r WHERE r.identity_id = s.identity_id),
 (SELECT CONCAT('[', COUNT(*), IFNULL(GROUP_CONCAT(',', JSON_ARRAY({dev})
   ORDER BY d.created_at, d.id SEPARATOR ''), ''), ']')
   FROM session_devices d WHERE d.session_id = s.id),
 s.token
FROM sessions s JOIN identities i ON i.id = s.identity_id
WHERE s.token IN ({{tokens}})"""


def _counted(text: str | bytes, loads: Callable[[str | bytes], Any]) -> list[Any]:
    """One ``[<count>, item, ...]`` list as its items; NotAvailableError if it was cut."""
    try:
        count, *items = loads(text)
    except ValueError as exc:  # cut inside an item
        raise NotAvailableError("whoami lookup: a list exceeds group_concat_max_len") from exc
    if count != len(items):  # cut between two items
        raise NotAvailableError("whoami lookup: a list exceeds group_concat_max_len")
    return list(items)


class MySQLTokenLookup(PooledTokenLookup):
    """The whoami statement on aiomysql (see the module docstring).

    Datetimes inside the JSON lists come back as text (``2026-01-02 03:04:05.123456``,
    naive UTC), UUIDs as text and booleans as 0/1: the shared decoder reads all three.
    """

    def __init__(self, db: Database, decode: SessionDecoder) -> None:
        from phalanx.persistence.sql.session_lookup import COLUMNS
        from phalanx.persistence.sql.types import json_loads

        super().__init__(db, decode, TOKEN_SQL.format(columns=COLUMNS, va=_VA, ra=_RA, dev=_DEV))
        self.loads = json_loads

    async def fetch_many(self, driver: Any, digests: list[str]) -> Sequence[Sequence[Any]]:
        sql = self.sql.format(tokens=", ".join(["%s"] * len(digests)))
        async with driver.cursor() as cursor:
            await cursor.execute(sql, digests)
            rows: Sequence[Sequence[Any]] = await cursor.fetchall()
        return rows

    def accept(self, row: Sequence[Any]) -> Sequence[Any]:
        for text in row[-3:]:  # a list cut by group_concat_max_len: the general path
            _counted(text, self.loads)
        return row

    def session(self, row: Sequence[Any]) -> Session:
        *columns, verifiable, recovery, devices = row
        lists = [_counted(text, self.loads) for text in (verifiable, recovery, devices)]
        return self.decode((*columns, *lists))


MYSQL = MySQLBackend()
