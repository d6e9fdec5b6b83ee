"""Counters in the database (the default): table ``phalanx_limit_counters``.

A hit is one write transaction: an upsert that starts a new window when the row's has
ended and adds one otherwise (``INSERT … ON CONFLICT DO UPDATE`` on SQLite and
PostgreSQL, ``ON DUPLICATE KEY UPDATE`` on MySQL/MariaDB), then a read of the row in the
same transaction. The upsert locks the row (SQLite: the database) until the commit, so
concurrent hits from any process or host on the same database are serialised and each
sees its own count; a hit the database aborts for a conflict (a deadlock, a serialization
failure under ``SERIALIZABLE``) runs again (``Database.run_in_transaction``) and counts
once. Expired rows are deleted by ``phalanx cleanup sql``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from phalanx.clock import utcnow
from phalanx.limits.counters import Count
from phalanx.persistence.sql.engine import Database
from phalanx.persistence.sql.tables import limit_counters

__all__ = ["SQLCounters"]

_t = limit_counters


def _ttl(expires_at: datetime, now: datetime) -> float:
    return max((expires_at - now).total_seconds(), 0.0)


class SQLCounters:
    """:class:`~phalanx.limits.counters.Counters` on SQLite, PostgreSQL and MySQL/MariaDB."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _upsert(self, key: str, now: datetime, fresh_until: datetime) -> Any:
        values = {"id": key, "hits": 1, "expires_at": fresh_until}
        if self.db.dialect in ("mysql", "mariadb"):
            ended = _t.c.expires_at <= now
            # MySQL applies assignments left to right: ``hits`` must read the old expiry.
            return (
                mysql.insert(_t)
                .values(values)
                .on_duplicate_key_update(
                    [
                        ("hits", case((ended, 1), else_=_t.c.hits + 1)),
                        ("expires_at", case((ended, fresh_until), else_=_t.c.expires_at)),
                    ]
                )
            )
        upsert = (postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert)(_t)
        ended = _t.c.expires_at <= now
        return upsert.values(values).on_conflict_do_update(
            index_elements=[_t.c.id],
            set_={
                "hits": case((ended, 1), else_=_t.c.hits + 1),
                "expires_at": case((ended, fresh_until), else_=_t.c.expires_at),
            },
        )

    async def hit(self, key: str, window: float) -> Count:
        now = utcnow()
        fresh_until = now + timedelta(seconds=window)

        async def count(conn: AsyncConnection) -> tuple[int, datetime]:
            await conn.execute(self._upsert(key, now, fresh_until))
            row = (
                await conn.execute(select(_t.c.hits, _t.c.expires_at).where(_t.c.id == key))
            ).one()
            return int(row.hits), row.expires_at

        hits, expires_at = await self.db.run_in_transaction(count, operation="limit_hit")
        return Count(hits=hits, ttl=_ttl(expires_at, now))

    async def peek(self, key: str) -> Count | None:
        now = utcnow()
        async with self.db.transaction(readonly=True) as conn:
            row = (
                await conn.execute(
                    select(_t.c.hits, _t.c.expires_at).where(_t.c.id == key, _t.c.expires_at > now)
                )
            ).one_or_none()
        return None if row is None else Count(hits=int(row.hits), ttl=_ttl(row.expires_at, now))

    async def expire(self, key: str, ttl: float) -> None:
        until = utcnow() + timedelta(seconds=ttl)
        async with self.db.transaction() as conn:
            await conn.execute(update(_t).where(_t.c.id == key).values(expires_at=until))

    async def delete(self, keys: Sequence[str]) -> None:
        if not keys:
            return
        async with self.db.transaction() as conn:
            await conn.execute(delete(_t).where(_t.c.id.in_(list(keys))))

    async def close(self) -> None:
        return None
