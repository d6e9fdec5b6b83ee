"""Write transactions that report what they changed to a :class:`ChangeNotifier`.

Stores whose rows shape a ``/sessions/whoami`` answer (sessions, devices, identities and
their addresses) open every write transaction through :func:`notifying_write`, so no write
path can forget to invalidate the whoami caches of the worker processes (see
:mod:`phalanx.session.epoch`).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection

from phalanx.persistence.sql.engine import Database
from phalanx.session.epoch import ChangeNotifier

__all__ = ["Changed", "notifying_write"]

Changed = uuid.UUID | list[uuid.UUID] | None
"""Whose sessions a write changes: one identity; a list the writer fills in as it learns
the identities (left empty when nothing was written); None for possibly anyone."""


@asynccontextmanager
async def notifying_write(
    db: Database, notifier: ChangeNotifier | None, changed: Changed
) -> AsyncIterator[AsyncConnection]:
    """``db.transaction()``; once it is over (committed, or failed: harmless) the notifier
    hears of ``changed``. Never before the commit: a reader that saw the old epoch must not
    be able to read the old rows afterwards."""
    try:
        async with db.transaction() as conn:
            yield conn
    finally:
        if notifier is not None:
            if changed is None:
                notifier.changed(None)
            elif isinstance(changed, list):
                if changed:
                    notifier.changed(changed)
            else:
                notifier.changed((changed,))
