"""SQL implementation of :class:`phalanx.identity.pool.IdentityPool`.

Mirrors Kratos's ``persistence/sql/identity.IdentityPersister``:

* every write is one transaction; a unique-index violation (identifier, address,
  external id, id) becomes ``ConflictError("This identity conflicts with another identity
  that already exists.")`` and the transaction is rolled back, so nothing is written;
* ``create_many`` (batch import, ``PATCH /admin/identities``) bulk-inserts with one
  ``executemany`` per table and reports one error or ``None`` per input, like Kratos's
  partial inserts (:mod:`~phalanx.persistence.sql.identity_batch`);
* ``list`` is keyset-paginated on ``id`` (``id > page_token ORDER BY id LIMIT n+1``), with
  Kratos's filters; addresses and credentials of a page are loaded with one ``IN`` query
  per table, never one query per identity.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from phalanx.errors import NotFoundError
from phalanx.identity.model import (
    Credential,
    Identity,
    RecoveryAddress,
    VerifiableAddress,
    utcnow,
)
from phalanx.identity.pool import IdentityListQuery, IdentityPage
from phalanx.persistence.sql.changes import Changed, notifying_write
from phalanx.persistence.sql.engine import Database
from phalanx.persistence.sql.identity_batch import create_identities
from phalanx.persistence.sql.identity_rows import (
    IdentityRows,
    default_normalize,
    hydrate_identities,
    identity_from_row,
    identity_row,
    prepare_addresses,
    recovery_address_from_row,
    verifiable_address_from_row,
)
from phalanx.persistence.sql.identity_sync import sync_recovery, sync_verifiable
from phalanx.persistence.sql.integrity import identity_conflict, is_unique_violation
from phalanx.persistence.sql.sealing import CredentialSealer
from phalanx.persistence.sql.tables import (
    identities,
    identity_credential_identifiers,
    identity_credentials,
    identity_recovery_addresses,
    identity_verifiable_addresses,
)
from phalanx.schema.normalize import normalize_identifier
from phalanx.session.epoch import ChangeNotifier

__all__ = ["SQLIdentityPool"]

# Kratos's ListIdentities matches these types against the normalized identifier ...
_NORMALIZED_TYPES = ("password", "code", "webauthn")
# ... and these against the identifier as given (``provider:subject`` is case-sensitive).
_RAW_TYPES = ("oidc", "saml")
_LIKE_ESCAPE = "!"

_ici = identity_credential_identifiers


def _like_prefix(value: str) -> str:
    """``value%`` with LIKE wildcards in ``value`` escaped (Kratos's EscapeLikePattern)."""
    escaped = (
        value.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)
        .replace("%", _LIKE_ESCAPE + "%")
        .replace("_", _LIKE_ESCAPE + "_")
    )
    return escaped + "%"


class SQLIdentityPool:
    """Identities on SQLite, PostgreSQL or MySQL/MariaDB.

    ``normalize`` is applied to address values and to the identifier list filters for
    password/code/webauthn identifiers (Kratos's ``GracefulNormalization``); the
    registry may pass the full normalizer, the default trims and lowercases.
    ``notifier`` hears of every committed write (whoami caches, see
    :func:`~phalanx.persistence.sql.changes.notifying_write`).
    """

    def __init__(
        self,
        db: Database,
        *,
        normalize: Callable[[str], str] = default_normalize,
        notifier: ChangeNotifier | None = None,
        sealer: CredentialSealer | None = None,
    ) -> None:
        self._db = db
        self._normalize = normalize
        self.notifier = notifier
        #: Encrypts credential secrets (TOTP keys) on the way in, opens them on the way out.
        self.sealer = sealer

    def _write(self, changed: Changed) -> AbstractAsyncContextManager[AsyncConnection]:
        """Every write transaction of this pool (see :func:`notifying_write`)."""
        return notifying_write(self._db, self.notifier, changed)

    def _sealed(self, credential: Credential) -> Credential:
        if self.sealer is None:
            return credential
        return replace(credential, config=self.sealer.seal(credential.type, credential.config))

    def _stored(self, identity: Identity) -> Identity:
        """``identity`` as its rows are written: a copy whose credentials are sealed."""
        if self.sealer is None or not identity.credentials:
            return identity
        sealed = {t: self._sealed(c) for t, c in identity.credentials.items()}
        return replace(identity, credentials=sealed)

    def _opened(self, items: list[Identity]) -> None:
        if self.sealer is None:
            return
        for identity in items:
            for credential in identity.credentials.values():
                credential.config = self.sealer.open(credential.type, credential.config)

    # --- writes ------------------------------------------------------------------------

    async def create(self, identity: Identity) -> None:
        prepare_addresses(identity, self._normalize)
        try:
            async with self._write(identity.id) as conn:
                await IdentityRows.of([self._stored(identity)]).insert(conn)
        except IntegrityError as exc:
            if is_unique_violation(exc):
                raise identity_conflict(exc) from exc
            raise

    async def create_many(self, identities: list[Identity]) -> list[Exception | None]:
        """Create all identities in one transaction; conflicting ones are reported, not
        written (see :mod:`~phalanx.persistence.sql.identity_batch`)."""
        for identity in identities:
            prepare_addresses(identity, self._normalize)
        async with self._write([i.id for i in identities]) as conn:
            return await create_identities(conn, [self._stored(i) for i in identities])

    async def update(self, identity: Identity, *, with_credentials: bool = True) -> None:
        """Replace the identity row, re-sync addresses and (optionally) credentials.

        Addresses whose ``(via, value)`` already exist keep their id, timestamps and
        verification state (a verified incoming address still promotes a stored one);
        removed ones are deleted, new ones inserted. The identity's address lists are
        updated in place to what was stored.
        """
        prepare_addresses(identity, self._normalize)
        identity.updated_at = utcnow()
        values = identity_row(identity)
        del values["id"], values["created_at"]
        try:
            async with self._write(identity.id) as conn:
                result = await conn.execute(
                    update(identities).where(identities.c.id == identity.id).values(values)
                )
                if result.rowcount == 0:
                    raise NotFoundError()
                await sync_verifiable(conn, identity)
                await sync_recovery(conn, identity)
                if with_credentials:
                    await conn.execute(delete(_ici).where(_ici.c.identity_id == identity.id))
                    await conn.execute(
                        delete(identity_credentials).where(
                            identity_credentials.c.identity_id == identity.id
                        )
                    )
                    rows = IdentityRows()
                    rows.add_credentials(
                        identity.id, [self._sealed(c) for c in identity.credentials.values()]
                    )
                    await rows.insert(conn)
        except IntegrityError as exc:
            if is_unique_violation(exc):
                raise identity_conflict(exc) from exc
            raise

    async def delete(self, identity_id: uuid.UUID) -> bool:
        """Delete the identity; foreign keys cascade to everything it owns."""
        async with self._write(identity_id) as conn:
            result = await conn.execute(delete(identities).where(identities.c.id == identity_id))
        return result.rowcount > 0

    async def set_available_aal(self, identity_id: uuid.UUID, aal: str) -> None:
        """Write only ``identities.available_aal`` (Kratos ``UpdateIdentityColumns``)."""
        async with self._write(identity_id) as conn:
            await conn.execute(
                update(identities).where(identities.c.id == identity_id).values(available_aal=aal)
            )

    async def swap_credential_config(
        self, identity_id: uuid.UUID, credential: Credential, config: dict[str, Any]
    ) -> bool:
        """Replace one credential's ``config`` unless it changed since ``credential`` was
        read (compare-and-swap on ``updated_at``): of two concurrent uses of one backup
        code or TOTP step exactly one wins. On success ``credential`` holds the new values."""
        now = utcnow()
        table = identity_credentials
        stored = self.sealer.seal(credential.type, config) if self.sealer else config
        async with self._write(identity_id) as conn:
            result = await conn.execute(
                update(table)
                .where(
                    table.c.id == credential.id,
                    table.c.identity_id == identity_id,
                    table.c.updated_at == credential.updated_at,
                )
                .values(config=stored, updated_at=now)
            )
        if result.rowcount != 1:
            return False
        credential.config = config
        credential.updated_at = now
        return True

    async def update_verifiable_address(self, address: VerifiableAddress) -> None:
        address.value = self._normalize(address.value)
        address.updated_at = utcnow()
        table = identity_verifiable_addresses
        # Whose address it is comes from the row, not from the object we were handed.
        changed: list[uuid.UUID] = []
        try:
            async with self._write(changed) as conn:
                owner = await conn.scalar(
                    select(table.c.identity_id).where(table.c.id == address.id)
                )
                if owner is not None:
                    changed.append(owner)
                result = await conn.execute(
                    update(table)
                    .where(table.c.id == address.id)
                    .values(
                        via=address.via,
                        value=address.value,
                        verified=address.verified,
                        status=str(address.status),
                        verified_at=address.verified_at,
                        updated_at=address.updated_at,
                    )
                )
        except IntegrityError as exc:
            if is_unique_violation(exc):
                raise identity_conflict(exc) from exc
            raise
        if result.rowcount == 0:
            raise NotFoundError()

    # --- reads -------------------------------------------------------------------------

    async def credential_configs(
        self, identity_id: uuid.UUID, types: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """The ``config`` of the identity's credentials of ``types`` (one statement)."""
        table = identity_credentials
        stmt = select(table.c.type, table.c.config).where(
            table.c.identity_id == identity_id, table.c.type.in_(list(types))
        )
        async with self._db.transaction(readonly=True) as conn:
            rows = (await conn.execute(stmt)).all()
        out: dict[str, dict[str, Any]] = {}
        for ctype, config in rows:
            config = config if isinstance(config, dict) else {}
            out[ctype] = self.sealer.open(ctype, config) if self.sealer else config
        return out

    async def get(
        self, identity_id: uuid.UUID, *, with_credentials: bool = False
    ) -> Identity | None:
        return await self._get_where(identities.c.id == identity_id, with_credentials)

    async def get_by_external_id(self, external_id: str) -> Identity | None:
        """Kratos's ``FindIdentityByExternalID``; credentials included (without config
        stripping, which is the HTTP layer's job)."""
        if not external_id:
            return None
        return await self._get_where(identities.c.external_id == external_id, True)

    async def find_by_identifier(self, credential_type: str, identifier: str) -> Identity | None:
        owner = (
            select(_ici.c.identity_id)
            .where(_ici.c.type == credential_type, _ici.c.identifier == identifier)
            .scalar_subquery()
        )
        return await self._get_where(identities.c.id == owner, True)

    async def find_by_any_identifier(self, identifier: str) -> Identity | None:
        candidates = list(dict.fromkeys([identifier, normalize_identifier(identifier)]))
        owner = (
            select(_ici.c.identity_id)
            .where(_ici.c.identifier.in_(candidates))
            .order_by(_ici.c.identity_id)
            .limit(1)
            .scalar_subquery()
        )
        return await self._get_where(identities.c.id == owner, True)

    async def _get_where(
        self, condition: ColumnElement[bool], with_credentials: bool
    ) -> Identity | None:
        async with self._db.transaction(readonly=True) as conn:
            row = (await conn.execute(select(identities).where(condition))).mappings().first()
            if row is None:
                return None
            identity = identity_from_row(row)
            await hydrate_identities(conn, [identity], with_credentials=with_credentials)
        self._opened([identity])
        return identity

    async def list(self, query: IdentityListQuery) -> IdentityPage:
        stmt = select(identities)
        if query.ids:
            stmt = stmt.where(identities.c.id.in_(query.ids))
        if query.organization_id is not None:
            stmt = stmt.where(identities.c.organization_id == query.organization_id)
        if query.state is not None:
            stmt = stmt.where(identities.c.state == query.state)
        if query.schema_id is not None:
            stmt = stmt.where(identities.c.schema_id == query.schema_id)
        matcher = self._identifier_matcher(query)
        if matcher is not None:
            stmt = stmt.where(identities.c.id.in_(select(_ici.c.identity_id).where(matcher)))
        stmt = stmt.order_by(identities.c.id)
        keyset = query.offset is None
        if keyset:
            if query.page_token is not None:
                stmt = stmt.where(identities.c.id > query.page_token)
            stmt = stmt.limit(query.page_size + 1)
        else:
            stmt = stmt.limit(query.page_size).offset(query.offset)
        async with self._db.transaction(readonly=True) as conn:
            rows = (await conn.execute(stmt)).mappings().all()
            page = [identity_from_row(row) for row in rows[: query.page_size]]
            await hydrate_identities(conn, page, with_credentials=query.with_credentials)
        self._opened(page)
        next_token = page[-1].id if keyset and len(rows) > query.page_size and page else None
        return IdentityPage(identities=page, next_token=next_token)

    def _identifier_matcher(self, query: IdentityListQuery) -> ColumnElement[bool] | None:
        """Kratos's identifier filter: exact or (escaped) prefix match, normalized for
        password/code/webauthn identifiers and as given for oidc/saml ones."""
        exact, similar = query.credentials_identifier, query.credentials_identifier_similar
        if exact:
            normalized, raw = self._normalize(exact), exact
            return or_(
                and_(_ici.c.type.in_(_NORMALIZED_TYPES), _ici.c.identifier == normalized),
                and_(_ici.c.type.in_(_RAW_TYPES), _ici.c.identifier == raw),
            )
        if similar:
            return or_(
                and_(_ici.c.type.in_(_NORMALIZED_TYPES), self._prefix(self._normalize(similar))),
                and_(_ici.c.type.in_(_RAW_TYPES), self._prefix(similar)),
            )
        return None

    def _prefix(self, prefix: str) -> ColumnElement[bool]:
        condition: ColumnElement[bool] = _ici.c.identifier.like(
            _like_prefix(prefix), escape=_LIKE_ESCAPE
        )
        if self._db.backend.like_ignores_case:
            # SQLite's LIKE ignores ASCII case; the other databases compare exactly.
            condition = and_(condition, func.substr(_ici.c.identifier, 1, len(prefix)) == prefix)
        return condition

    async def count(self) -> int:
        async with self._db.transaction(readonly=True) as conn:
            return int(
                (await conn.execute(select(func.count()).select_from(identities))).scalar_one()
            )

    async def find_verifiable_address(self, via: str, value: str) -> VerifiableAddress | None:
        row = await self._find_address(identity_verifiable_addresses, via, value)
        return None if row is None else verifiable_address_from_row(row)

    async def find_recovery_address(self, via: str, value: str) -> RecoveryAddress | None:
        row = await self._find_address(identity_recovery_addresses, via, value)
        return None if row is None else recovery_address_from_row(row)

    async def _find_address(self, table: Any, via: str, value: str) -> Any:
        """Kratos's ``Find*AddressByValue``: match the value as given or normalized,
        preferring the exact match."""
        candidates = {value, self._normalize(value)}
        stmt = select(table).where(table.c.via == via, table.c.value.in_(candidates))
        async with self._db.transaction(readonly=True) as conn:
            rows = (await conn.execute(stmt)).mappings().all()
        if not rows:
            return None
        return next((row for row in rows if row["value"] == value), rows[0])
