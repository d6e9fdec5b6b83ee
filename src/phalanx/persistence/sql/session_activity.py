"""Last use of a session (``sessions.used_at``) for ``phalanx.session.idle_timeout``.

Recording uses is no change a whoami answer shows, so it does not advance the revocation
epoch; expiring an idle session does (it is a revocation, through the session store).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update

from phalanx.persistence.sql.engine import Database
from phalanx.persistence.sql.tables import sessions
from phalanx.persistence.sql.types import UTCDateTime
from phalanx.session.store import SessionStore

__all__ = ["SQLSessionActivity"]

BATCH = 500
"""Tokens per ``UPDATE ... WHERE token IN (...)``."""


class SQLSessionActivity:
    """:class:`phalanx.session.idle.SessionActivity` in SQL."""

    def __init__(self, db: Database, store: SessionStore) -> None:
        self.db = db
        self.store = store

    async def last_used(self, token_digest: str) -> datetime | None:
        s = sessions
        statement = select(
            func.coalesce(s.c.used_at, s.c.authenticated_at, type_=UTCDateTime)
        ).where(s.c.token == token_digest)
        async with self.db.transaction(readonly=True) as conn:
            value = await conn.scalar(statement)
        return value if isinstance(value, datetime) else None

    async def record(self, token_digests: Sequence[str], at: datetime) -> None:
        s = sessions
        async with self.db.transaction() as conn:
            for start in range(0, len(token_digests), BATCH):
                await conn.execute(
                    update(s)
                    .where(
                        s.c.token.in_(token_digests[start : start + BATCH]),
                        or_(s.c.used_at.is_(None), s.c.used_at < at),
                    )
                    .values(used_at=at)
                )

    async def expire(self, token_digest: str) -> tuple[uuid.UUID, uuid.UUID] | None:
        session = await self.store.get_by_token(token_digest)
        if session is None or not session.active:
            return None
        await self.store.revoke_by_token(token_digest)
        return session.identity_id, session.id
