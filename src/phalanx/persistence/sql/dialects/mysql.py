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
* No whoami fast path: the store's SQLAlchemy queries answer.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Dialect
from sqlalchemy.dialects.mysql import DATETIME
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.types import TypeEngine

from phalanx.persistence.sql.dialects.base import Backend

__all__ = ["MYSQL", "MySQLBackend"]

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


MYSQL = MySQLBackend()
