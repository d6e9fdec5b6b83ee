"""Last use of a session (``sessions.used_at``) for ``phalanx.session.idle_timeout``.

Recording a use is no change a whoami answer shows, so it does not advance the
revocation epoch; expiring an idle session does (it is a revocation).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, func, update

from phalanx.persistence.sql.engine import Database
from phalanx.persistence.sql.tables import sessions
from phalanx.session.store import SessionStore

__all__ = ["SQLSessionActivity"]


class SQLSessionActivity:
    """:class:`phalanx.session.idle.SessionActivity` in SQL."""

    def __init__(self, db: Database, store: SessionStore) -> None:
        self.db = db
        self.store = store

    async def touch(self, token_digest: str, now: datetime, cutoff: datetime) -> bool:
        s = sessions
        statement = (
            update(s)
            .where(
                and_(
                    s.c.token == token_digest,
                    func.coalesce(s.c.used_at, s.c.authenticated_at) >= cutoff,
                )
            )
            .values(used_at=now)
        )
        async with self.db.transaction() as conn:
            result = await conn.execute(statement)
        return result.rowcount > 0

    async def expire(self, token_digest: str) -> tuple[uuid.UUID, uuid.UUID] | None:
        session = await self.store.get_by_token(token_digest)
        if session is None or not session.active:
            return None
        await self.store.revoke_by_token(token_digest)
        return session.identity_id, session.id
