"""SQL implementation of the ``selfservice_errors`` store (browser error pages)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, select, update

from phalanx.clock import isoformat, utcnow
from phalanx.persistence.sql.engine import Database
from phalanx.persistence.sql.tables import selfservice_errors

__all__ = ["SQLErrorStore"]


class SQLErrorStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, error: dict[str, Any]) -> uuid.UUID:
        error_id = uuid.uuid4()
        now = utcnow()
        async with self.db.transaction() as conn:
            await conn.execute(
                insert(selfservice_errors).values(
                    id=error_id,
                    errors=error,
                    was_seen=False,
                    csrf_token="",
                    created_at=now,
                    updated_at=now,
                )
            )
        return error_id

    async def get(self, error_id: uuid.UUID) -> dict[str, Any] | None:
        async with self.db.transaction() as conn:
            row = (
                (
                    await conn.execute(
                        select(selfservice_errors).where(selfservice_errors.c.id == error_id)
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                return None
            now = utcnow()
            await conn.execute(
                update(selfservice_errors)
                .where(selfservice_errors.c.id == error_id)
                .values(was_seen=True, seen_at=now, updated_at=now)
            )
        return {
            "id": str(row["id"]),
            "error": row["errors"],
            "created_at": isoformat(row["created_at"]),
            "updated_at": isoformat(row["updated_at"]),
        }
