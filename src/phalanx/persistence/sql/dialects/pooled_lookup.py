"""The whoami statement on the driver connection under a pooled SQLAlchemy connection.

What the PostgreSQL and MySQL/MariaDB lookups share: the connection comes from the
engine's pool (same settings, codecs, recycling), the statement goes to the driver
directly (no SQLAlchemy compilation, result processing or transaction bookkeeping), and
concurrent lookups are limited to the pool size, so a burst queues here instead of opening
and closing overflow connections. A driver error invalidates the connection (its state is
unknown to SQLAlchemy) and propagates. Each backend says how its driver runs the statement
(:meth:`PooledTokenLookup.fetch`) and may adjust the row before the shared decoder sees it
(:meth:`PooledTokenLookup.session`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from phalanx import tracing
from phalanx.persistence.sql.dialects.base import SessionDecoder

if TYPE_CHECKING:
    from phalanx.persistence.sql.engine import Database
    from phalanx.session.model import Session

__all__ = ["PooledTokenLookup"]


class PooledTokenLookup:
    """A backend's whoami statement ``sql`` (one parameter: the token digest) on the driver."""

    def __init__(self, db: Database, decode: SessionDecoder, sql: str) -> None:
        self.engine = db.engine
        self.decode = decode
        self.sql = sql
        #: ``db.system.name`` of the statement span, as on the engine's own spans.
        self.system = db.engine.dialect.name
        self._gate: asyncio.Semaphore | None = None

    async def fetch(self, driver: Any, token_digest: str) -> Sequence[Any] | None:
        """Run :attr:`sql` on the driver connection: its one row, or None."""
        raise NotImplementedError

    def session(self, row: Sequence[Any]) -> Session:
        """The session of a fetched row (after the connection went back to the pool)."""
        return self.decode(row)

    async def by_token(self, token_digest: str) -> Session | None:
        if self._gate is None:  # created lazily: bound to the running loop
            size = getattr(self.engine.pool, "size", None)
            self._gate = asyncio.Semaphore(max(1, size() if callable(size) else 5))
        async with self._gate, self.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            try:
                driver: Any = raw.driver_connection
                spans = tracing.statement_spans()
                if spans is None:
                    row = await self.fetch(driver, token_digest)
                else:
                    with spans.span(self.system, self.sql):
                        row = await self.fetch(driver, token_digest)
            except Exception:
                # The connection's state is unknown to SQLAlchemy: do not pool it again.
                await conn.invalidate()
                raise
        return None if row is None else self.session(row)

    def close(self) -> None:
        pass
