"""Conversion between identity domain objects and rows of the identity tables.

The one way identities are read back: :func:`identity_from_row` and the address and
credential converters turn rows into domain objects (the whoami lookup of
:mod:`~phalanx.persistence.sql.session_lookup` feeds them its decoded columns too), and
:func:`hydrate_identities` attaches addresses and credentials to any number of identities
with one ``IN`` query per table. The identity pool and the session store both use it.

Kept apart from :mod:`~phalanx.persistence.sql.identity_pool` so the pool reads as the
sequence of statements Kratos's ``IdentityPersister`` runs, and so bulk inserts can
collect the rows of many identities before one ``executemany`` per table.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from phalanx.identity.model import (
    AddressStatus,
    Credential,
    Identity,
    RecoveryAddress,
    VerifiableAddress,
    utcnow,
)
from phalanx.persistence.sql.tables import (
    identities,
    identity_credential_identifiers,
    identity_credentials,
    identity_recovery_addresses,
    identity_verifiable_addresses,
)

__all__ = [
    "IdentityRows",
    "credential_from_row",
    "credential_rows",
    "default_normalize",
    "hydrate_identities",
    "identity_from_row",
    "identity_row",
    "prepare_addresses",
    "recovery_address_from_row",
    "recovery_address_row",
    "verifiable_address_from_row",
    "verifiable_address_row",
]

Row = dict[str, Any]

BATCH_SIZE = 500
"""Identity ids per ``IN`` when loading the addresses and credentials of many identities."""


def default_normalize(value: str) -> str:
    """Trim and lowercase: the part of Kratos's ``GracefulNormalization`` that matters
    for emails and usernames (phone numbers are expected in E.164 already)."""
    return value.strip().lower()


def prepare_addresses(identity: Identity, normalize: Callable[[str], str]) -> None:
    """Normalize addresses in place like Kratos's ``normalizeAllAddresses``.

    Values are normalized, ``via`` defaults to ``email``, the identity id is set, status
    follows ``verified`` when empty, ``verified_at`` is stamped for verified addresses and
    cleared otherwise. Duplicate ``(via, value)`` pairs keep their first occurrence.
    """
    verifiable: dict[tuple[str, str], VerifiableAddress] = {}
    for address in identity.verifiable_addresses:
        address.identity_id = identity.id
        address.value = normalize(address.value)
        address.via = address.via or "email"
        if not address.status:
            address.status = AddressStatus.COMPLETED if address.verified else AddressStatus.PENDING
        if address.verified and address.verified_at is None:
            address.verified_at = utcnow()
        if not address.verified:
            address.verified_at = None
        verifiable.setdefault((address.via, address.value), address)
    identity.verifiable_addresses = list(verifiable.values())
    recovery: dict[tuple[str, str], RecoveryAddress] = {}
    for raddress in identity.recovery_addresses:
        raddress.identity_id = identity.id
        raddress.value = normalize(raddress.value)
        raddress.via = raddress.via or "email"
        recovery.setdefault((raddress.via, raddress.value), raddress)
    identity.recovery_addresses = list(recovery.values())


def identity_row(identity: Identity) -> Row:
    return {
        "id": identity.id,
        "schema_id": identity.schema_id,
        "traits": identity.traits,
        "state": str(identity.state),
        "state_changed_at": identity.state_changed_at,
        "metadata_public": identity.metadata_public,
        "metadata_admin": identity.metadata_admin,
        "available_aal": identity.available_aal,
        "organization_id": identity.organization_id,
        # Kratos treats an empty external id as unset (omitempty, partial unique index).
        "external_id": identity.external_id or None,
        "created_at": identity.created_at,
        "updated_at": identity.updated_at,
    }


def verifiable_address_row(address: VerifiableAddress) -> Row:
    return {
        "id": address.id,
        "identity_id": address.identity_id,
        "via": address.via,
        "value": address.value,
        "verified": address.verified,
        "status": str(address.status),
        "verified_at": address.verified_at,
        "created_at": address.created_at,
        "updated_at": address.updated_at,
    }


def recovery_address_row(address: RecoveryAddress) -> Row:
    return {
        "id": address.id,
        "identity_id": address.identity_id,
        "via": address.via,
        "value": address.value,
        "break_glass_for_organization": None,
        "created_at": address.created_at,
        "updated_at": address.updated_at,
    }


def credential_rows(identity_id: uuid.UUID, credential: Credential) -> tuple[Row, list[Row]]:
    """The credential row and one identifier row per distinct identifier."""
    row = {
        "id": credential.id,
        "identity_id": identity_id,
        "type": credential.type,
        "config": credential.config,
        "version": credential.version,
        "created_at": credential.created_at,
        "updated_at": credential.updated_at,
    }
    identifiers = [
        {
            "id": uuid.uuid4(),
            "identity_id": identity_id,
            "credential_id": credential.id,
            "type": credential.type,
            "identifier": identifier,
            "created_at": credential.created_at,
            "updated_at": credential.updated_at,
        }
        for identifier in dict.fromkeys(credential.identifiers)
    ]
    return row, identifiers


@dataclass(slots=True)
class IdentityRows:
    """Rows of any number of identities, inserted with one ``executemany`` per table."""

    identities: list[Row] = field(default_factory=list)
    credentials: list[Row] = field(default_factory=list)
    identifiers: list[Row] = field(default_factory=list)
    verifiable: list[Row] = field(default_factory=list)
    recovery: list[Row] = field(default_factory=list)

    @classmethod
    def of(cls, items: Iterable[Identity]) -> IdentityRows:
        rows = cls()
        for identity in items:
            rows.identities.append(identity_row(identity))
            rows.add_credentials(identity.id, identity.credentials.values())
            rows.verifiable.extend(map(verifiable_address_row, identity.verifiable_addresses))
            rows.recovery.extend(map(recovery_address_row, identity.recovery_addresses))
        return rows

    def add_credentials(self, identity_id: uuid.UUID, credentials: Iterable[Credential]) -> None:
        for credential in credentials:
            row, identifiers = credential_rows(identity_id, credential)
            self.credentials.append(row)
            self.identifiers.extend(identifiers)

    async def insert(self, conn: AsyncConnection) -> None:
        """Insert in foreign-key order; each table is one statement (``executemany``)."""
        plan: Sequence[tuple[Table, list[Row]]] = (
            (identities, self.identities),
            (identity_credentials, self.credentials),
            (identity_credential_identifiers, self.identifiers),
            (identity_verifiable_addresses, self.verifiable),
            (identity_recovery_addresses, self.recovery),
        )
        for table, rows in plan:
            if rows:
                await conn.execute(table.insert(), rows)


def identity_from_row(row: Mapping[Any, Any]) -> Identity:
    return Identity(
        id=row["id"],
        schema_id=row["schema_id"],
        traits=row["traits"],
        state=row["state"],
        state_changed_at=row["state_changed_at"],
        metadata_public=row["metadata_public"],
        metadata_admin=row["metadata_admin"],
        external_id=row["external_id"],
        organization_id=row["organization_id"],
        available_aal=row["available_aal"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def verifiable_address_from_row(row: Mapping[Any, Any]) -> VerifiableAddress:
    return VerifiableAddress(
        id=row["id"],
        identity_id=row["identity_id"],
        via=row["via"],
        value=row["value"],
        verified=bool(row["verified"]),
        status=row["status"],
        verified_at=row["verified_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def recovery_address_from_row(row: Mapping[Any, Any]) -> RecoveryAddress:
    return RecoveryAddress(
        id=row["id"],
        identity_id=row["identity_id"],
        via=row["via"],
        value=row["value"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def credential_from_row(row: Mapping[Any, Any]) -> Credential:
    return Credential(
        id=row["id"],
        type=row["type"],
        config=row["config"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def hydrate_identities(
    conn: AsyncConnection, items: Iterable[Identity], *, with_credentials: bool
) -> None:
    """Attach addresses (ordered by created_at, id) and optionally credentials (with their
    identifiers), with one ``IN`` query per table per :data:`BATCH_SIZE` identities."""
    by_id = {identity.id: identity for identity in items}
    ids = list(by_id)
    va, ra = identity_verifiable_addresses, identity_recovery_addresses
    ic, ici = identity_credentials, identity_credential_identifiers
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = ids[start : start + BATCH_SIZE]
        for row in (
            await conn.execute(
                select(va).where(va.c.identity_id.in_(chunk)).order_by(va.c.created_at, va.c.id)
            )
        ).mappings():
            by_id[row["identity_id"]].verifiable_addresses.append(verifiable_address_from_row(row))
        for row in (
            await conn.execute(
                select(ra).where(ra.c.identity_id.in_(chunk)).order_by(ra.c.created_at, ra.c.id)
            )
        ).mappings():
            by_id[row["identity_id"]].recovery_addresses.append(recovery_address_from_row(row))
        if not with_credentials:
            continue
        credentials = {}
        for row in (
            await conn.execute(select(ic).where(ic.c.identity_id.in_(chunk)).order_by(ic.c.type))
        ).mappings():
            credential = credential_from_row(row)
            credentials[credential.id] = credential
            by_id[row["identity_id"]].credentials[credential.type] = credential
        for row in (
            await conn.execute(
                select(ici.c.credential_id, ici.c.identifier)
                .where(ici.c.identity_id.in_(chunk))
                .order_by(ici.c.identifier)
            )
        ).mappings():
            credentials[row["credential_id"]].identifiers.append(row["identifier"])
