"""SQL store of one-time recovery/verification codes and link tokens.

Implements :class:`phalanx.selfservice.strategy.code.store.CodeStore` and
:class:`phalanx.selfservice.strategy.link.store.TokenStore` the way Kratos's
``persister_code.go`` / ``persister_{recovery,verification}.go`` do:

* only ``hex(HMAC-SHA512/256(value, secret))`` is stored, with ``secrets.cookie[0]``
  (``secrets.default`` when no cookie secret is set); a lookup tries every configured secret,
  so rotating secrets keeps codes that are already out valid; candidates are compared in
  constant time;
* a code submission first increments the flow's ``submit_count`` in its own transaction
  and fails once it exceeds ``max_submissions`` (brute force guard);
* consuming is one ``UPDATE ... SET used_at = now WHERE id = ? AND used_at IS NULL`` whose
  row count decides: of two concurrent submissions of one code exactly one succeeds.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.sql.elements import ColumnElement

from phalanx.clock import utcnow
from phalanx.identity.model import VerifiableAddress
from phalanx.persistence.sql.engine import Database
from phalanx.persistence.sql.identity_rows import verifiable_address_from_row
from phalanx.persistence.sql.tables import (
    identity_recovery_codes,
    identity_recovery_tokens,
    identity_verifiable_addresses,
    identity_verification_codes,
    identity_verification_tokens,
    recovery_flows,
    selfservice_errors,
    verification_flows,
)
from phalanx.selfservice.strategy.code.store import (
    CodeAlreadyUsedError,
    CodeNotFoundError,
    CodeSubmittedTooOftenError,
    OneTimeSecret,
    SecretKind,
)
from phalanx.selfservice.strategy.link.store import TokenNotFoundError

__all__ = ["SQLCodeStore", "hmac_value"]


def hmac_value(value: str, secret: str) -> str:
    """Kratos ``hmacValueWithSecret``: lowercase hex HMAC-SHA512/256."""
    return hmac.new(secret.encode(), value.encode(), "sha512_256").hexdigest()


def _matches(stored: str, candidates: Sequence[str]) -> bool:
    found = False
    for candidate in candidates:
        # No early exit: every candidate is compared, each in constant time.
        found = hmac.compare_digest(stored.encode(), candidate.encode()) or found
    return found


class SQLCodeStore:
    """Codes and link tokens of the recovery and verification flows."""

    def __init__(self, db: Database, secrets: Sequence[str]) -> None:
        if not secrets:
            raise ValueError("at least one secret is needed to store one-time codes")
        self.db = db
        self.secrets = list(secrets)

    def _hmac(self, value: str) -> str:
        return hmac_value(value, self.secrets[0])

    def _candidates(self, value: str) -> list[str]:
        return [hmac_value(value, secret) for secret in self.secrets]

    # -- shared --------------------------------------------------------------------------
    async def _insert(self, table: Table, values: dict[str, Any]) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(insert(table).values(**values))

    def _times(self, lifespan: timedelta) -> dict[str, Any]:
        now = utcnow()
        return {
            "id": uuid.uuid4(),
            "issued_at": now,
            "expires_at": now + lifespan,
            "created_at": now,
            "updated_at": now,
        }

    async def _count_submission(self, flow_table: Table, flow_id: uuid.UUID) -> int | None:
        """Increment and read the flow's ``submit_count`` (None: no such flow)."""
        async with self.db.transaction() as conn:
            await conn.execute(
                update(flow_table)
                .where(flow_table.c.id == flow_id)
                .values(submit_count=flow_table.c.submit_count + 1)
            )
            count = (
                await conn.execute(
                    select(flow_table.c.submit_count).where(flow_table.c.id == flow_id)
                )
            ).scalar_one_or_none()
        return None if count is None else int(count)

    async def _use_code(
        self,
        table: Table,
        value_column: str,
        where: ColumnElement[bool],
        flow_table: Table,
        flow_id: uuid.UUID,
        code: str,
        max_submissions: int,
    ) -> RowMapping:
        count = await self._count_submission(flow_table, flow_id)
        if count is None:
            raise CodeNotFoundError()
        if count > max_submissions:
            raise CodeSubmittedTooOftenError()
        candidates = self._candidates(code)
        now = utcnow()
        async with self.db.transaction() as conn:
            rows = (await conn.execute(select(table).where(where))).mappings().all()
            target = None
            for row in rows:
                if _matches(row[value_column], candidates) and target is None:
                    target = row
            if target is None or target["expires_at"] <= now:
                raise CodeNotFoundError()
            if target["used_at"] is not None:
                raise CodeAlreadyUsedError()
            result = await conn.execute(
                update(table)
                .where(table.c.id == target["id"], table.c.used_at.is_(None))
                .values(used_at=now, updated_at=now)
            )
            if result.rowcount != 1:
                raise CodeAlreadyUsedError()
        return target

    async def simulate_write(self) -> None:
        """Insert and delete a row inside one transaction: a committed write that leaves
        nothing behind (timing stand-in for an unknown address)."""
        now = utcnow()
        row_id = uuid.uuid4()
        async with self.db.transaction() as conn:
            await conn.execute(
                insert(selfservice_errors).values(
                    id=row_id,
                    errors={},
                    was_seen=True,
                    csrf_token="",
                    created_at=now,
                    updated_at=now,
                )
            )
            await conn.execute(delete(selfservice_errors).where(selfservice_errors.c.id == row_id))

    async def get_verifiable_address(self, address_id: uuid.UUID) -> VerifiableAddress | None:
        """The address a verification code or token was issued for."""
        table = identity_verifiable_addresses
        async with self.db.transaction(readonly=True) as conn:
            row = (
                (await conn.execute(select(table).where(table.c.id == address_id)))
                .mappings()
                .first()
            )
        return None if row is None else verifiable_address_from_row(row)

    # -- recovery codes ------------------------------------------------------------------
    async def create_recovery_code(
        self,
        code: str,
        *,
        flow_id: uuid.UUID,
        identity_id: uuid.UUID,
        address_id: uuid.UUID | None,
        kind: SecretKind,
        lifespan: timedelta,
    ) -> OneTimeSecret:
        values = self._times(lifespan)
        values.update(
            code=self._hmac(code),
            code_type=int(kind),
            identity_recovery_address_id=address_id,
            selfservice_recovery_flow_id=flow_id,
            identity_id=identity_id,
        )
        await self._insert(identity_recovery_codes, values)
        return OneTimeSecret(
            id=values["id"],
            flow_id=flow_id,
            expires_at=values["expires_at"],
            identity_id=identity_id,
            address_id=address_id,
            kind=kind,
        )

    async def delete_recovery_codes(self, flow_id: uuid.UUID) -> None:
        table = identity_recovery_codes
        async with self.db.transaction() as conn:
            await conn.execute(delete(table).where(table.c.selfservice_recovery_flow_id == flow_id))

    async def use_recovery_code(
        self, flow_id: uuid.UUID, code: str, *, max_submissions: int
    ) -> OneTimeSecret:
        table = identity_recovery_codes
        row = await self._use_code(
            table,
            "code",
            table.c.selfservice_recovery_flow_id == flow_id,
            recovery_flows,
            flow_id,
            code,
            max_submissions,
        )
        return OneTimeSecret(
            id=row["id"],
            flow_id=flow_id,
            expires_at=row["expires_at"],
            identity_id=row["identity_id"],
            address_id=row["identity_recovery_address_id"],
            kind=SecretKind(row["code_type"]),
        )

    # -- verification codes ---------------------------------------------------------------
    async def create_verification_code(
        self,
        code: str,
        *,
        flow_id: uuid.UUID,
        address_id: uuid.UUID,
        lifespan: timedelta,
    ) -> OneTimeSecret:
        values = self._times(lifespan)
        values.update(
            code_hmac=self._hmac(code),
            identity_verifiable_address_id=address_id,
            selfservice_verification_flow_id=flow_id,
        )
        await self._insert(identity_verification_codes, values)
        return OneTimeSecret(
            id=values["id"], flow_id=flow_id, expires_at=values["expires_at"], address_id=address_id
        )

    async def delete_verification_codes(self, flow_id: uuid.UUID) -> None:
        table = identity_verification_codes
        async with self.db.transaction() as conn:
            await conn.execute(
                delete(table).where(table.c.selfservice_verification_flow_id == flow_id)
            )

    async def use_verification_code(
        self, flow_id: uuid.UUID, code: str, *, max_submissions: int
    ) -> OneTimeSecret:
        table = identity_verification_codes
        row = await self._use_code(
            table,
            "code_hmac",
            table.c.selfservice_verification_flow_id == flow_id,
            verification_flows,
            flow_id,
            code,
            max_submissions,
        )
        return OneTimeSecret(
            id=row["id"],
            flow_id=flow_id,
            expires_at=row["expires_at"],
            address_id=row["identity_verifiable_address_id"],
        )

    # -- link tokens ---------------------------------------------------------------------
    async def _use_token(
        self, table: Table, flow_column: str, flow_id: uuid.UUID, token: str
    ) -> RowMapping:
        candidates = self._candidates(token)
        now = utcnow()
        async with self.db.transaction() as conn:
            row = (
                (
                    await conn.execute(
                        select(table).where(
                            table.c.token.in_(candidates),
                            table.c[flow_column] == flow_id,
                            table.c.used.is_(False),
                        )
                    )
                )
                .mappings()
                .first()
            )
            if row is None or not _matches(row["token"], candidates):
                raise TokenNotFoundError()
            result = await conn.execute(
                update(table)
                .where(table.c.id == row["id"], table.c.used.is_(False))
                .values(used=True, used_at=now, updated_at=now)
            )
            if result.rowcount != 1:
                raise TokenNotFoundError()
        return row

    async def create_recovery_token(
        self,
        token: str,
        *,
        flow_id: uuid.UUID,
        identity_id: uuid.UUID,
        address_id: uuid.UUID | None,
        kind: SecretKind,
        lifespan: timedelta,
    ) -> OneTimeSecret:
        values = self._times(lifespan)
        values.update(
            token=self._hmac(token),
            token_type=int(kind),
            used=False,
            identity_recovery_address_id=address_id,
            selfservice_recovery_flow_id=flow_id,
            identity_id=identity_id,
        )
        await self._insert(identity_recovery_tokens, values)
        return OneTimeSecret(
            id=values["id"],
            flow_id=flow_id,
            expires_at=values["expires_at"],
            identity_id=identity_id,
            address_id=address_id,
            kind=kind,
        )

    async def use_recovery_token(self, flow_id: uuid.UUID, token: str) -> OneTimeSecret:
        row = await self._use_token(
            identity_recovery_tokens, "selfservice_recovery_flow_id", flow_id, token
        )
        return OneTimeSecret(
            id=row["id"],
            flow_id=row["selfservice_recovery_flow_id"],
            expires_at=row["expires_at"],
            identity_id=row["identity_id"],
            address_id=row["identity_recovery_address_id"],
            kind=SecretKind(row["token_type"]),
        )

    async def create_verification_token(
        self,
        token: str,
        *,
        flow_id: uuid.UUID,
        address_id: uuid.UUID,
        lifespan: timedelta,
    ) -> OneTimeSecret:
        values = self._times(lifespan)
        values.update(
            token=self._hmac(token),
            used=False,
            identity_verifiable_address_id=address_id,
            selfservice_verification_flow_id=flow_id,
        )
        await self._insert(identity_verification_tokens, values)
        return OneTimeSecret(
            id=values["id"], flow_id=flow_id, expires_at=values["expires_at"], address_id=address_id
        )

    async def use_verification_token(self, flow_id: uuid.UUID, token: str) -> OneTimeSecret:
        row = await self._use_token(
            identity_verification_tokens, "selfservice_verification_flow_id", flow_id, token
        )
        return OneTimeSecret(
            id=row["id"],
            flow_id=row["selfservice_verification_flow_id"],
            expires_at=row["expires_at"],
            address_id=row["identity_verifiable_address_id"],
        )
