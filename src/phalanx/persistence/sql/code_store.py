"""SQL store of one-time codes (recovery, verification, login, registration) and link tokens.

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Table, delete, insert, select, update

from phalanx.clock import utcnow
from phalanx.hash.keyed import hmac_value
from phalanx.identity.model import VerifiableAddress
from phalanx.persistence.sql.engine import Database
from phalanx.persistence.sql.identity_rows import verifiable_address_from_row
from phalanx.persistence.sql.tables import (
    identity_login_codes,
    identity_recovery_codes,
    identity_recovery_tokens,
    identity_registration_codes,
    identity_verifiable_addresses,
    identity_verification_codes,
    identity_verification_tokens,
    login_flows,
    recovery_flows,
    registration_flows,
    selfservice_errors,
    verification_flows,
)
from phalanx.selfservice.strategy.code.store import (
    CodeAlreadyUsedError,
    CodeExpiredError,
    CodeNotFoundError,
    CodeSubmittedTooOftenError,
    OneTimeSecret,
    SecretKind,
)
from phalanx.selfservice.strategy.link.store import TokenNotFoundError

__all__ = ["SQLCodeStore", "hmac_value"]


def _matches(stored: str, candidates: Sequence[str]) -> bool:
    found = False
    for candidate in candidates:
        # No early exit: every candidate is compared, each in constant time.
        found = hmac.compare_digest(stored.encode(), candidate.encode()) or found
    return found


@dataclass(frozen=True, slots=True)
class _Secrets:
    """One table of codes or tokens: the names of its value, flow and address columns;
    ``kind`` names the ``code_type``/``token_type`` column of recovery secrets, which
    also name their identity; link tokens carry a ``used`` flag besides ``used_at``."""

    table: Table
    value: str
    flow: str
    address: str | None
    kind: str | None = None
    used_flag: bool = False
    #: login codes name their identity without a ``kind`` column
    identity: bool = False
    #: login and registration codes store the address text and channel themselves
    address_text: bool = False

    def row(
        self,
        value_hmac: str,
        lifespan: timedelta,
        *,
        flow_id: uuid.UUID,
        address_id: uuid.UUID | None,
        identity_id: uuid.UUID | None = None,
        kind: SecretKind = SecretKind.SELF_SERVICE,
        address: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        """The row of a new secret, issued now and expiring after ``lifespan``
        (``address``: the ``(channel, address)`` of a login or registration code)."""
        now = utcnow()
        row: dict[str, Any] = {
            "id": uuid.uuid4(),
            "issued_at": now,
            "expires_at": now + lifespan,
            "created_at": now,
            "updated_at": now,
            self.value: value_hmac,
            self.flow: flow_id,
        }
        if self.address is not None:
            row[self.address] = address_id
        if self.kind is not None:
            row[self.kind] = int(kind)
        if self.kind is not None or self.identity:
            row["identity_id"] = identity_id
        if self.address_text:
            via, text = address or ("", "")
            row["address"], row["address_type"] = text, via
        if self.used_flag:
            row["used"] = False
        return row

    def secret(self, row: Mapping[Any, Any]) -> OneTimeSecret:
        """The :class:`OneTimeSecret` a row (or a new row's values) describes."""
        return OneTimeSecret(
            id=row["id"],
            flow_id=row[self.flow],
            expires_at=row["expires_at"],
            identity_id=row["identity_id"] if self.kind or self.identity else None,
            address_id=row[self.address] if self.address else None,
            kind=SecretKind(row[self.kind]) if self.kind else SecretKind.SELF_SERVICE,
            address=row["address"] if self.address_text else None,
            via=row["address_type"] if self.address_text else None,
        )


_RECOVERY_CODES = _Secrets(
    identity_recovery_codes,
    "code",
    "selfservice_recovery_flow_id",
    "identity_recovery_address_id",
    kind="code_type",
)
_VERIFICATION_CODES = _Secrets(
    identity_verification_codes,
    "code_hmac",
    "selfservice_verification_flow_id",
    "identity_verifiable_address_id",
)
_LOGIN_CODES = _Secrets(
    identity_login_codes,
    "code",
    "selfservice_login_flow_id",
    None,
    identity=True,
    address_text=True,
)
_REGISTRATION_CODES = _Secrets(
    identity_registration_codes,
    "code",
    "selfservice_registration_flow_id",
    None,
    address_text=True,
)
_RECOVERY_TOKENS = _Secrets(
    identity_recovery_tokens,
    "token",
    "selfservice_recovery_flow_id",
    "identity_recovery_address_id",
    kind="token_type",
    used_flag=True,
)
_VERIFICATION_TOKENS = _Secrets(
    identity_verification_tokens,
    "token",
    "selfservice_verification_flow_id",
    "identity_verifiable_address_id",
    used_flag=True,
)


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
    async def _create(
        self,
        secrets: _Secrets,
        value: str,
        lifespan: timedelta,
        *,
        flow_id: uuid.UUID,
        address_id: uuid.UUID | None,
        identity_id: uuid.UUID | None = None,
        kind: SecretKind = SecretKind.SELF_SERVICE,
        address: tuple[str, str] | None = None,
    ) -> OneTimeSecret:
        row = secrets.row(
            self._hmac(value),
            lifespan,
            flow_id=flow_id,
            address_id=address_id,
            identity_id=identity_id,
            kind=kind,
            address=address,
        )
        async with self.db.transaction() as conn:
            await conn.execute(insert(secrets.table).values(**row))
        return secrets.secret(row)

    async def _delete_for_flow(self, secrets: _Secrets, flow_id: uuid.UUID) -> None:
        table = secrets.table
        async with self.db.transaction() as conn:
            await conn.execute(delete(table).where(table.c[secrets.flow] == flow_id))

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
        secrets: _Secrets,
        flow_table: Table,
        flow_id: uuid.UUID,
        code: str,
        max_submissions: int,
        *,
        identity_id: uuid.UUID | None = None,
        addresses: Sequence[str] | None = None,
    ) -> OneTimeSecret:
        """Count the attempt, then consume the matching code (only those of
        ``identity_id`` / sent to one of ``addresses`` when given)."""
        count = await self._count_submission(flow_table, flow_id)
        if count is None:
            raise CodeNotFoundError()
        if count > max_submissions:
            raise CodeSubmittedTooOftenError()
        candidates = self._candidates(code)
        now = utcnow()
        table = secrets.table
        async with self.db.transaction() as conn:
            query = select(table).where(table.c[secrets.flow] == flow_id)
            if identity_id is not None:
                query = query.where(table.c.identity_id == identity_id)
            if addresses is not None:
                query = query.where(table.c.address.in_(list(addresses)))
            rows = (await conn.execute(query)).mappings().all()
            target = None
            for row in rows:
                if _matches(row[secrets.value], candidates) and target is None:
                    target = row
            if target is None:
                raise CodeNotFoundError()
            if target["expires_at"] <= now:
                raise CodeExpiredError(target["expires_at"])
            if target["used_at"] is not None:
                raise CodeAlreadyUsedError()
            result = await conn.execute(
                update(table)
                .where(table.c.id == target["id"], table.c.used_at.is_(None))
                .values(used_at=now, updated_at=now)
            )
            if result.rowcount != 1:
                raise CodeAlreadyUsedError()
        return secrets.secret(target)

    async def _use_token(self, secrets: _Secrets, flow_id: uuid.UUID, token: str) -> OneTimeSecret:
        candidates = self._candidates(token)
        now = utcnow()
        table = secrets.table
        async with self.db.transaction() as conn:
            row = (
                (
                    await conn.execute(
                        select(table).where(
                            table.c.token.in_(candidates),
                            table.c[secrets.flow] == flow_id,
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
        return secrets.secret(row)

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
        return await self._create(
            _RECOVERY_CODES,
            code,
            lifespan,
            flow_id=flow_id,
            address_id=address_id,
            identity_id=identity_id,
            kind=kind,
        )

    async def delete_recovery_codes(self, flow_id: uuid.UUID) -> None:
        await self._delete_for_flow(_RECOVERY_CODES, flow_id)

    async def use_recovery_code(
        self, flow_id: uuid.UUID, code: str, *, max_submissions: int
    ) -> OneTimeSecret:
        return await self._use_code(_RECOVERY_CODES, recovery_flows, flow_id, code, max_submissions)

    # -- verification codes ---------------------------------------------------------------
    async def create_verification_code(
        self,
        code: str,
        *,
        flow_id: uuid.UUID,
        address_id: uuid.UUID,
        lifespan: timedelta,
    ) -> OneTimeSecret:
        return await self._create(
            _VERIFICATION_CODES, code, lifespan, flow_id=flow_id, address_id=address_id
        )

    async def delete_verification_codes(self, flow_id: uuid.UUID) -> None:
        await self._delete_for_flow(_VERIFICATION_CODES, flow_id)

    async def use_verification_code(
        self, flow_id: uuid.UUID, code: str, *, max_submissions: int
    ) -> OneTimeSecret:
        return await self._use_code(
            _VERIFICATION_CODES, verification_flows, flow_id, code, max_submissions
        )

    # -- login codes ---------------------------------------------------------------------
    async def create_login_code(
        self,
        code: str,
        *,
        flow_id: uuid.UUID,
        identity_id: uuid.UUID,
        address: str,
        via: str,
        lifespan: timedelta,
    ) -> OneTimeSecret:
        return await self._create(
            _LOGIN_CODES,
            code,
            lifespan,
            flow_id=flow_id,
            address_id=None,
            identity_id=identity_id,
            address=(via, address),
        )

    async def delete_login_codes(self, flow_id: uuid.UUID) -> None:
        await self._delete_for_flow(_LOGIN_CODES, flow_id)

    async def use_login_code(
        self, flow_id: uuid.UUID, identity_id: uuid.UUID, code: str, *, max_submissions: int
    ) -> OneTimeSecret:
        return await self._use_code(
            _LOGIN_CODES, login_flows, flow_id, code, max_submissions, identity_id=identity_id
        )

    # -- registration codes --------------------------------------------------------------
    async def create_registration_code(
        self,
        code: str,
        *,
        flow_id: uuid.UUID,
        address: str,
        via: str,
        lifespan: timedelta,
    ) -> OneTimeSecret:
        return await self._create(
            _REGISTRATION_CODES,
            code,
            lifespan,
            flow_id=flow_id,
            address_id=None,
            address=(via, address),
        )

    async def delete_registration_codes(self, flow_id: uuid.UUID) -> None:
        await self._delete_for_flow(_REGISTRATION_CODES, flow_id)

    async def use_registration_code(
        self, flow_id: uuid.UUID, code: str, addresses: list[str], *, max_submissions: int
    ) -> OneTimeSecret:
        return await self._use_code(
            _REGISTRATION_CODES,
            registration_flows,
            flow_id,
            code,
            max_submissions,
            addresses=addresses,
        )

    # -- link tokens ---------------------------------------------------------------------
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
        return await self._create(
            _RECOVERY_TOKENS,
            token,
            lifespan,
            flow_id=flow_id,
            address_id=address_id,
            identity_id=identity_id,
            kind=kind,
        )

    async def use_recovery_token(self, flow_id: uuid.UUID, token: str) -> OneTimeSecret:
        return await self._use_token(_RECOVERY_TOKENS, flow_id, token)

    async def create_verification_token(
        self,
        token: str,
        *,
        flow_id: uuid.UUID,
        address_id: uuid.UUID,
        lifespan: timedelta,
    ) -> OneTimeSecret:
        return await self._create(
            _VERIFICATION_TOKENS, token, lifespan, flow_id=flow_id, address_id=address_id
        )

    async def use_verification_token(self, flow_id: uuid.UUID, token: str) -> OneTimeSecret:
        return await self._use_token(_VERIFICATION_TOKENS, flow_id, token)
