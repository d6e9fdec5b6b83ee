"""Re-syncing an identity's stored addresses with the ones derived from its new traits.

Kratos's ``UpdateIdentity`` diffs stored and incoming addresses (``updateAssociation``):
unchanged ones stay, removed ones are deleted *before* new ones are inserted (so a value
moving between ``via`` kinds cannot trip the unique index), new ones are inserted.
Phalanx keys the diff on ``(via, value)`` so a stored address keeps its id, timestamps
and verification state even when the caller rebuilt it from traits with
``verified=False``; an incoming ``verified=True`` still promotes a stored unverified one.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from phalanx.identity.model import Identity, RecoveryAddress, VerifiableAddress, utcnow
from phalanx.persistence.sql.identity_rows import (
    recovery_address_from_row,
    recovery_address_row,
    verifiable_address_from_row,
    verifiable_address_row,
)
from phalanx.persistence.sql.tables import (
    identity_recovery_addresses,
    identity_verifiable_addresses,
)

__all__ = ["sync_recovery", "sync_verifiable"]


async def sync_verifiable(conn: AsyncConnection, identity: Identity) -> None:
    """Make the stored verifiable addresses equal ``identity.verifiable_addresses``."""
    table = identity_verifiable_addresses
    rows = (await conn.execute(select(table).where(table.c.identity_id == identity.id))).mappings()
    stored = {(row["via"], row["value"]): verifiable_address_from_row(row) for row in rows}
    result: list[VerifiableAddress] = []
    to_insert: list[VerifiableAddress] = []
    for address in identity.verifiable_addresses:
        current = stored.pop((address.via, address.value), None)
        if current is None:
            to_insert.append(address)
            result.append(address)
            continue
        if address.verified and not current.verified:
            current.verified = True
            current.status = address.status
            current.verified_at = address.verified_at or utcnow()
            current.updated_at = utcnow()
            await conn.execute(
                update(table)
                .where(table.c.id == current.id)
                .values(
                    verified=True,
                    status=str(current.status),
                    verified_at=current.verified_at,
                    updated_at=current.updated_at,
                )
            )
        result.append(current)
    if stored:
        removed = [address.id for address in stored.values()]
        await conn.execute(delete(table).where(table.c.id.in_(removed)))
    if to_insert:
        await conn.execute(table.insert(), [verifiable_address_row(a) for a in to_insert])
    identity.verifiable_addresses = result


async def sync_recovery(conn: AsyncConnection, identity: Identity) -> None:
    """Make the stored recovery addresses equal ``identity.recovery_addresses``."""
    table = identity_recovery_addresses
    rows = (await conn.execute(select(table).where(table.c.identity_id == identity.id))).mappings()
    stored = {(row["via"], row["value"]): recovery_address_from_row(row) for row in rows}
    result: list[RecoveryAddress] = []
    to_insert: list[RecoveryAddress] = []
    for address in identity.recovery_addresses:
        current = stored.pop((address.via, address.value), None)
        if current is None:
            to_insert.append(address)
        result.append(current or address)
    if stored:
        removed = [address.id for address in stored.values()]
        await conn.execute(delete(table).where(table.c.id.in_(removed)))
    if to_insert:
        await conn.execute(table.insert(), [recovery_address_row(a) for a in to_insert])
    identity.recovery_addresses = result
