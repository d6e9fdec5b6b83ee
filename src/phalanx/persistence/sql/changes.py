"""Write transactions that report what they changed to a :class:`ChangeNotifier`.

Stores whose rows shape a ``/sessions/whoami`` answer (sessions, devices, identities and
their addresses) open every write transaction through :func:`notifying_write`, so no write
path can forget to invalidate the whoami caches: those of this host's worker processes
(the revocation epoch, :mod:`phalanx.session.epoch`) and, when the notifier is also a
:class:`Broadcast`, those of every other host on the same database
(:mod:`phalanx.invalidation`).
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from phalanx.persistence.sql.engine import Database
from phalanx.session.epoch import ChangeNotifier

__all__ = ["Broadcast", "Changed", "notifying_run", "notifying_write"]

T = TypeVar("T")

Changed = uuid.UUID | list[uuid.UUID] | None
"""Whose sessions a write changes: one identity; a list the writer fills in as it learns
the identities (left empty when nothing was written); None for possibly anyone."""


class Broadcast(ABC):
    """A :class:`ChangeNotifier` that also tells other hosts. :func:`notifying_write` calls
    :meth:`before_commit` inside the transaction once the writer is done (PostgreSQL's
    ``NOTIFY`` is transactional: delivered with the commit, never without it) and
    :meth:`after_commit` after a successful commit (Redis ``PUBLISH``), both before the
    store method returns, so before the response is sent."""

    @abstractmethod
    def changed(self, identity_ids: Iterable[uuid.UUID] | None = None) -> None:
        """This host's part (the revocation epoch)."""

    @abstractmethod
    async def before_commit(
        self, conn: AsyncConnection, identity_ids: Sequence[uuid.UUID] | None
    ) -> None: ...

    @abstractmethod
    async def after_commit(self, identity_ids: Sequence[uuid.UUID] | None) -> None: ...


def _nobody(whom: Sequence[uuid.UUID] | None) -> bool:
    return whom is not None and not whom


def _whom(changed: Changed) -> Sequence[uuid.UUID] | None:
    if changed is None:
        return None
    if isinstance(changed, list):
        return changed
    return (changed,)


@asynccontextmanager
async def notifying_write(
    db: Database, notifier: ChangeNotifier | None, changed: Changed
) -> AsyncIterator[AsyncConnection]:
    """``db.transaction()``; once it is over (committed, or failed: harmless) the notifier
    hears of ``changed``. Never before the commit: a reader that saw the old epoch must not
    be able to read the old rows afterwards."""
    committed = False
    try:
        async with db.transaction() as conn:
            yield conn
            await _before_commit(conn, notifier, changed)
        committed = True
    finally:
        await _after(notifier, changed, committed=committed)


async def notifying_run(
    db: Database,
    notifier: ChangeNotifier | None,
    changed: Changed,
    work: Callable[[AsyncConnection], Awaitable[T]],
    *,
    operation: str,
) -> T:
    """:func:`notifying_write` through ``db.run_in_transaction``: ``work`` runs again when
    the database aborted its transaction for a conflict, so it must be re-runnable (see
    there). A ``changed`` list is emptied before each attempt, for ``work`` to fill."""

    async def attempt(conn: AsyncConnection) -> T:
        if isinstance(changed, list):
            changed.clear()
        result = await work(conn)
        await _before_commit(conn, notifier, changed)
        return result

    committed = False
    try:
        result = await db.run_in_transaction(attempt, operation=operation)
        committed = True
        return result
    finally:
        await _after(notifier, changed, committed=committed)


async def _before_commit(
    conn: AsyncConnection, notifier: ChangeNotifier | None, changed: Changed
) -> None:
    whom = _whom(changed)
    if isinstance(notifier, Broadcast) and not _nobody(whom):
        await notifier.before_commit(conn, whom)


async def _after(notifier: ChangeNotifier | None, changed: Changed, *, committed: bool) -> None:
    whom = _whom(changed)
    if notifier is not None and not _nobody(whom):
        notifier.changed(whom)
        if committed and isinstance(notifier, Broadcast):
            await notifier.after_commit(whom)
