"""The whoami statement on the driver connection under a pooled SQLAlchemy connection.

What the PostgreSQL and MySQL/MariaDB lookups share: the connection comes from the
engine's pool (same settings, codecs, recycling), the statement goes to the driver
directly (no SQLAlchemy compilation, result processing or transaction bookkeeping), and
the lookups waiting at the same moment share one statement, at most pool-size statements
at once (:class:`~phalanx.persistence.sql.dialects.batch.TokenBatcher`), so a burst
queues here instead of opening and closing overflow connections. A driver error
invalidates the connection (its state is unknown to SQLAlchemy) and propagates to every
lookup of that statement. Each backend says how its driver runs the statement for some
digests (:meth:`PooledTokenLookup.fetch_many`: rows with the token last), may refuse a
row it cannot trust (:meth:`PooledTokenLookup.accept`) and may adjust a row before the
shared decoder sees it (:meth:`PooledTokenLookup.session`).

Rows stay as the driver returns them, JSON as text: hashable, which lets whoami keep
what it rendered from a row (:class:`~phalanx.session.whoami.RenderedRows`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from phalanx import tracing
from phalanx.persistence.sql.dialects.base import SessionDecoder
from phalanx.persistence.sql.dialects.batch import TokenBatcher

if TYPE_CHECKING:
    from phalanx.persistence.sql.engine import Database
    from phalanx.session.model import Session

__all__ = ["PooledTokenLookup"]


class PooledTokenLookup:
    """A backend's whoami statement ``sql`` (its parameter: the token digests) on the
    driver."""

    def __init__(self, db: Database, decode: SessionDecoder, sql: str) -> None:
        self.engine = db.engine
        self.decode = decode
        self.sql = sql
        #: ``db.system.name`` of the statement span, as on the engine's own spans.
        self.system = db.engine.dialect.name
        size = getattr(self.engine.pool, "size", None)
        self.batcher = TokenBatcher(self.fetch_batch, concurrency=size() if callable(size) else 5)

    async def fetch_many(self, driver: Any, digests: list[str]) -> Sequence[Sequence[Any]]:
        """Run :attr:`sql` for ``digests`` on the driver connection: the rows found, each
        with its token digest as the last column."""
        raise NotImplementedError

    def accept(self, row: Sequence[Any]) -> Sequence[Any]:
        """A fetched row, or NotAvailableError if it cannot be decoded faithfully."""
        return row

    def session(self, row: Sequence[Any]) -> Session:
        """The session of an accepted row."""
        return self.decode(row)

    async def fetch_batch(self, digests: list[str]) -> dict[str, Sequence[Any]]:
        """One statement on a pooled connection: the row of each digest found."""
        async with self.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            try:
                driver: Any = raw.driver_connection
                spans = tracing.statement_spans()
                if spans is None:
                    rows = await self.fetch_many(driver, digests)
                else:
                    with spans.span(self.system, self.sql):
                        rows = await self.fetch_many(driver, digests)
            except Exception:
                # The connection's state is unknown to SQLAlchemy: do not pool it again.
                await conn.invalidate()
                raise
        return {row[-1]: tuple(row[:-1]) for row in rows}

    async def row_by_token(self, token_digest: str) -> Sequence[Any] | None:
        row = await self.batcher.row_by_token(token_digest)
        return None if row is None else self.accept(row)

    async def by_token(self, token_digest: str) -> Session | None:
        row = await self.row_by_token(token_digest)
        return None if row is None else self.session(row)

    def close(self) -> None:
        self.batcher.close()
