"""Bulk identity creation with a per-identity outcome (Kratos's ``CreateIdentities``).

Kratos's batch import (``PATCH /admin/identities``) inserts all identities with batched
statements, detects which rows hit a unique index ("partial inserts") and reports a 409
for exactly those, creating the rest. Phalanx does the same per chunk of
:data:`CHUNK_SIZE` identities:

1. find the identities that *would* conflict — with stored rows (one query each for ids,
   external ids, identifiers, verifiable and recovery addresses) or with an earlier
   identity of the same batch — and mark them without writing anything;
2. insert the others with one ``executemany`` per table inside a SAVEPOINT;
3. if that still hits a unique index (a concurrent writer won a race), roll the savepoint
   back and bisect the chunk until the conflicting identities are isolated.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from sqlalchemy import Column
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from phalanx.identity.model import Identity
from phalanx.persistence.sql.dialects import backend_for
from phalanx.persistence.sql.identity_rows import IdentityRows
from phalanx.persistence.sql.integrity import identity_conflict, is_unique_violation
from phalanx.persistence.sql.tables import (
    identities,
    identity_credential_identifiers,
    identity_recovery_addresses,
    identity_verifiable_addresses,
)

_ici = identity_credential_identifiers
_va = identity_verifiable_addresses
_ra = identity_recovery_addresses

__all__ = ["CHUNK_SIZE", "create_identities"]

CHUNK_SIZE = 500
"""Identities per bulk insert (keeps every statement far below parameter limits)."""

Key = tuple[str, Hashable, Hashable]


def _unique_keys(identity: Identity) -> set[Key]:
    """Every value of ``identity`` that a unique index covers."""
    keys: set[Key] = {("id", identity.id, None)}
    if identity.external_id:
        keys.add(("external_id", identity.external_id, None))
    for credential in identity.credentials.values():
        keys.update(("identifier", credential.type, i) for i in credential.identifiers)
    keys.update(("verifiable", a.via, a.value) for a in identity.verifiable_addresses)
    keys.update(("recovery", a.via, a.value) for a in identity.recovery_addresses)
    return keys


async def _existing(
    conn: AsyncConnection, columns: Sequence[Column[Any]], wanted: set[tuple[Any, ...]]
) -> set[tuple[Any, ...]]:
    """Which of the ``wanted`` value tuples exist in ``columns`` (all of one table).

    The query is the backend's (``Backend.existing_tuples``: one ``IN`` list per column,
    ``unnest`` on PostgreSQL); rows of the cross product that were not wanted are dropped
    here.
    """
    if not wanted:
        return set()
    stmt = backend_for(conn.dialect.name).existing_tuples(columns, list(wanted))
    return {tuple(row) for row in await conn.execute(stmt)} & wanted


async def _stored_keys(conn: AsyncConnection, keys: set[Key]) -> set[Key]:
    """The subset of ``keys`` already present in the database."""
    by_kind: dict[str, set[tuple[Any, ...]]] = {}
    for kind, first, second in keys:
        by_kind.setdefault(kind, set()).add((first,) if second is None else (first, second))
    lookups: list[tuple[str, tuple[Column[Any], ...]]] = [
        ("id", (identities.c.id,)),
        ("external_id", (identities.c.external_id,)),
        ("identifier", (_ici.c.type, _ici.c.identifier)),
        ("verifiable", (_va.c.via, _va.c.value)),
        ("recovery", (_ra.c.via, _ra.c.value)),
    ]
    found: set[Key] = set()
    for kind, columns in lookups:
        for values in await _existing(conn, columns, by_kind.get(kind, set())):
            found.add((kind, values[0], values[1] if len(values) > 1 else None))
    return found


async def _known_conflicts(conn: AsyncConnection, items: Sequence[Identity]) -> set[int]:
    keys = [_unique_keys(identity) for identity in items]
    stored = await _stored_keys(conn, set().union(*keys)) if keys else set()
    claimed: set[Key] = set()
    conflicts: set[int] = set()
    for index, item_keys in enumerate(keys):
        if item_keys & stored or item_keys & claimed:
            conflicts.add(index)
        else:
            claimed |= item_keys
    return conflicts


async def _insert_bisecting(
    conn: AsyncConnection,
    items: Sequence[Identity],
    indexes: list[int],
    results: list[Exception | None],
) -> None:
    try:
        async with conn.begin_nested():
            await IdentityRows.of(items[i] for i in indexes).insert(conn)
        return
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        if len(indexes) == 1:
            results[indexes[0]] = identity_conflict(exc)
            return
    middle = len(indexes) // 2
    await _insert_bisecting(conn, items, indexes[:middle], results)
    await _insert_bisecting(conn, items, indexes[middle:], results)


async def create_identities(
    conn: AsyncConnection, items: Sequence[Identity]
) -> list[Exception | None]:
    """Insert ``items`` (addresses already prepared); one error or ``None`` per item."""
    results: list[Exception | None] = [None] * len(items)
    for start in range(0, len(items), CHUNK_SIZE):
        chunk = items[start : start + CHUNK_SIZE]
        conflicts = await _known_conflicts(conn, chunk)
        for offset in conflicts:
            results[start + offset] = identity_conflict(None)
        remaining = [start + i for i in range(len(chunk)) if i not in conflicts]
        if remaining:
            await _insert_bisecting(conn, items, remaining, results)
    return results
