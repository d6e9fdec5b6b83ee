"""The identity manager: validate, derive, import and store identities.

Framework-free counterpart of Kratos's ``identity.Manager`` plus the body conversions of
``identity.Handler``. Every write goes through :meth:`IdentityManager.validate`, which mirrors
Kratos's validator and its schema extension runners:

1. the schema is looked up by ``schema_id`` (empty = ``identity.default_schema_id``); an
   unknown id is a 400 ``Unable to find JSON Schema ID: x``;
2. the traits are validated against it (400 with a reason naming the failing trait);
3. the ``ory.sh/kratos`` extension decides credential identifiers (password, webauthn, code)
   and the verifiable / recovery addresses: derived addresses that already exist on the
   identity (stored ones, or ones an admin import supplied with ``verified``/``status``) are
   kept, new ones are created pending, the rest are dropped;
4. ``available_aal`` is recomputed from the credentials.

Storage conflicts (identifier, address, external id) become 409 "This identity conflicts with
another identity that already exists.".
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

from phalanx.audit import AuditLog, EventType, current_origin
from phalanx.audit.diff import identity_changes
from phalanx.errors import BadRequestError, ConflictError, KratosError, NotFoundError
from phalanx.hash import PasswordHashing
from phalanx.hash.keyed import hmac_value
from phalanx.identity.credentials import (
    MULTI_FACTOR_TYPES,
    FactorPolicy,
    available_aal,
    count_multi_factors,
    remove_credential,
)
from phalanx.identity.import_credentials import PASSWORD_VERSION, import_credentials
from phalanx.identity.model import (
    AddressStatus,
    Credential,
    CredentialType,
    Identity,
    IdentityState,
    RecoveryAddress,
    VerifiableAddress,
    utcnow,
)
from phalanx.identity.patch import apply_identity_patch
from phalanx.identity.payloads import CreateIdentityBody, UpdateIdentityBody
from phalanx.identity.pool import IdentityListQuery, IdentityPage, IdentityPool
from phalanx.identity.traits import SchemaAdapter, TraitsOutcome

__all__ = [
    "CONFLICT_REASON",
    "IdentityManager",
    "IdentityNotFoundError",
    "InvalidStateError",
]

CONFLICT_REASON = "This identity conflicts with another identity that already exists."

# Credential types whose identifiers the schema extension owns, with the version Kratos
# gives a credential the extension has to create.
_SCHEMA_IDENTIFIED = {
    CredentialType.PASSWORD: PASSWORD_VERSION,
    CredentialType.WEBAUTHN: 0,
    CredentialType.CODE: 1,
}


#: Column sizes of the identity tables; longer values are a 400, never a database error.
EXTERNAL_ID_MAX = 64
IDENTIFIER_MAX = 512
ADDRESS_MAX = 400
SHORT_MAX = 16


def _check_storable(identity: Identity) -> None:
    """Reject what the tables cannot hold (Kratos would fail in the database)."""
    if identity.external_id and len(identity.external_id) > EXTERNAL_ID_MAX:
        raise BadRequestError(
            f"The external ID must not be longer than {EXTERNAL_ID_MAX} characters."
        )
    known = {str(t) for t in CredentialType}
    for ctype, credential in identity.credentials.items():
        if ctype not in known:
            raise BadRequestError(f"The credential type `{ctype}` is not supported.")
        if any(len(i) > IDENTIFIER_MAX for i in credential.identifiers):
            raise BadRequestError(
                f"A {ctype} identifier must not be longer than {IDENTIFIER_MAX} characters."
            )
    addresses: list[VerifiableAddress | RecoveryAddress] = [
        *identity.verifiable_addresses,
        *identity.recovery_addresses,
    ]
    for address in addresses:
        if len(address.value) > ADDRESS_MAX:
            raise BadRequestError(f"An address must not be longer than {ADDRESS_MAX} characters.")
        if len(address.via) > SHORT_MAX:
            raise BadRequestError(
                f"An address `via` must not be longer than {SHORT_MAX} characters."
            )
    for verifiable in identity.verifiable_addresses:
        if len(str(verifiable.status)) > SHORT_MAX:
            raise BadRequestError(
                f"An address `status` must not be longer than {SHORT_MAX} characters."
            )


class IdentityNotFoundError(NotFoundError):
    """404 for an unknown identity id (Kratos's ``sqlcon.ErrNoRows``)."""

    default_message = "Unable to locate the resource"


class InvalidStateError(BadRequestError):
    """400: a state other than ``active`` / ``inactive``."""

    default_reason = "identity state is not valid"


def _conflict(exc: Exception | None = None) -> ConflictError:
    if isinstance(exc, ConflictError) and exc.reason == CONFLICT_REASON:
        return exc
    return ConflictError(CONFLICT_REASON)


def _check_state(state: str) -> str:
    if state not in (IdentityState.ACTIVE, IdentityState.INACTIVE):
        raise InvalidStateError()
    return state


class IdentityManager:
    """Creates, updates and deletes identities through an :class:`IdentityPool`.

    ``schemas`` is the :class:`phalanx.schema.SchemaRegistry`; ``hashing`` hashes imported
    plaintext passwords off the event loop; ``factors`` decides the available AAL and whether
    a credential may be removed.
    """

    def __init__(
        self,
        pool: IdentityPool,
        schemas: Any,
        hashing: PasswordHashing,
        *,
        default_schema_id: str = "default",
        factors: FactorPolicy | None = None,
        code_key: str | None = None,
        audit: AuditLog | None = None,
    ) -> None:
        self.pool = pool
        #: Records operator changes (see :meth:`_record`); None: nothing recorded.
        self.audit = audit
        #: Keys imported backup codes (``lookup_secret``) as the strategy stores them.
        self.seal_code = (lambda code: hmac_value(code, code_key)) if code_key else None
        self.hashing = hashing
        self.default_schema_id = default_schema_id
        self.factors = factors or FactorPolicy()
        self._schemas = SchemaAdapter(schemas)

    # --- validation ------------------------------------------------------------------

    def validate(self, identity: Identity) -> TraitsOutcome:
        """Validate traits and apply what the schema extension derives (see module doc).

        Raises :class:`BadRequestError`; on success the identity's identifiers, addresses and
        ``available_aal`` are up to date.
        """
        if not identity.schema_id:
            identity.schema_id = self.default_schema_id
        if identity.traits is None:
            identity.traits = {}
        outcome = self._schemas.check(identity.schema_id, identity.traits)
        self._apply_identifiers(identity, outcome)
        self._apply_addresses(identity, outcome)
        _check_storable(identity)
        identity.available_aal = available_aal(identity, self.factors)
        return outcome

    @staticmethod
    def _apply_identifiers(identity: Identity, outcome: TraitsOutcome) -> None:
        now = utcnow()
        for ctype, version in _SCHEMA_IDENTIFIED.items():
            derived = list(dict.fromkeys(outcome.identifiers.get(ctype, [])))
            credential = identity.credentials.get(ctype)
            if credential is None:
                if not derived:
                    continue
                credential = Credential(type=ctype, version=version, created_at=now)
                identity.credentials[ctype] = credential
            credential.identifiers = derived
        code_addresses = outcome.code_addresses
        code = identity.credentials.get(CredentialType.CODE)
        if code is not None:
            config = code.config if isinstance(code.config, dict) else {}
            code.config = {
                **config,
                "addresses": [{"channel": via, "address": value} for via, value in code_addresses],
            }

    @staticmethod
    def _apply_addresses(identity: Identity, outcome: TraitsOutcome) -> None:
        existing = {(a.via, a.value): a for a in identity.verifiable_addresses}
        verifiable: list[VerifiableAddress] = []
        for via, value in dict.fromkeys(outcome.verifiable):
            address = existing.get((via, value))
            if address is None:
                address = VerifiableAddress(
                    value=value, via=via, identity_id=identity.id, status=AddressStatus.PENDING
                )
            verifiable.append(address)
        identity.verifiable_addresses = verifiable
        existing_recovery = {(a.via, a.value): a for a in identity.recovery_addresses}
        recovery: list[RecoveryAddress] = []
        for via, value in dict.fromkeys(outcome.recovery):
            raddress = existing_recovery.get((via, value))
            if raddress is None:
                raddress = RecoveryAddress(value=value, via=via, identity_id=identity.id)
            recovery.append(raddress)
        identity.recovery_addresses = recovery

    # --- admin payloads ----------------------------------------------------------------

    async def from_create_body(self, body: CreateIdentityBody) -> Identity:
        """Kratos's ``identityFromCreateIdentityBody``: a new, not yet validated identity."""
        state = _check_state(body.state) if body.state else IdentityState.ACTIVE
        identity = Identity(
            schema_id=body.schema_id,
            traits=body.traits if body.traits is not None else {},
            state=state,
            metadata_public=body.metadata_public,
            metadata_admin=body.metadata_admin,
            organization_id=body.organization_id,
            external_id=body.external_id or None,
        )
        identity.verifiable_addresses = [
            VerifiableAddress(
                value=a.value,
                via=a.via,
                identity_id=identity.id,
                verified=a.verified,
                status=a.status
                or (AddressStatus.COMPLETED if a.verified else AddressStatus.PENDING),
                verified_at=a.verified_at,
            )
            for a in body.verifiable_addresses
        ]
        identity.recovery_addresses = [
            RecoveryAddress(value=a.value, via=a.via, identity_id=identity.id)
            for a in body.recovery_addresses
        ]
        await import_credentials(identity, body.credentials, self.hashing, seal_code=self.seal_code)
        return identity

    async def apply_update_body(self, identity: Identity, body: UpdateIdentityBody) -> None:
        """Kratos's PUT semantics: traits, metadata and external id replaced wholesale;
        an empty schema id or state keeps the old one; credentials are merged in."""
        if body.schema_id:
            identity.schema_id = body.schema_id
        if body.state and body.state != identity.state:
            identity.set_state(_check_state(body.state))
        identity.traits = body.traits if body.traits is not None else {}
        identity.metadata_public = body.metadata_public
        identity.metadata_admin = body.metadata_admin
        identity.external_id = body.external_id or None
        await import_credentials(identity, body.credentials, self.hashing, seal_code=self.seal_code)

    # --- writes ------------------------------------------------------------------------

    async def create(self, identity: Identity) -> Identity:
        """Validate and store a new identity (409 on a conflict)."""
        self.validate(identity)
        try:
            await self.pool.create(identity)
        except ConflictError as exc:
            raise _conflict(exc) from exc
        await self._record(EventType.IDENTITY_CREATED, identity.id, schema_id=identity.schema_id)
        return identity

    async def create_many(self, identities: Sequence[Identity]) -> list[KratosError | None]:
        """Validate and store many identities; one error (or ``None``) per input, in order.

        Validation failures are 400s, storage conflicts 409s; the others are still created.
        """
        results: list[KratosError | None] = [None] * len(identities)
        valid: list[int] = []
        for index, identity in enumerate(identities):
            try:
                self.validate(identity)
            except KratosError as exc:
                results[index] = exc
            else:
                valid.append(index)
        stored = await self.pool.create_many([identities[i] for i in valid])
        for index, error in zip(valid, stored, strict=True):
            if error is None:
                continue
            if isinstance(error, ConflictError):
                results[index] = _conflict(error)
            elif isinstance(error, KratosError):
                results[index] = error
            else:
                raise error
        # Concurrent records share the audit log's transactions (group commit).
        await asyncio.gather(
            *(
                self._record(EventType.IDENTITY_CREATED, identity.id, schema_id=identity.schema_id)
                for identity, error in zip(identities, results, strict=True)
                if error is None
            )
        )
        return results

    async def update(self, identity: Identity) -> Identity:
        """Validate and store an existing identity (404 unknown, 409 conflict)."""
        return await self._update(identity, EventType.IDENTITY_UPDATED)

    async def _update(self, identity: Identity, event: str, **details: Any) -> Identity:
        self.validate(identity)
        before = (
            await self.pool.get(identity.id, with_credentials=True) if self._recording() else None
        )
        try:
            await self.pool.update(identity, with_credentials=True)
        except ConflictError as exc:
            raise _conflict(exc) from exc
        except NotFoundError as exc:
            raise IdentityNotFoundError() from exc
        if before is not None:
            changes = identity_changes(before, identity).details()
            await self._record(event, identity.id, **details, **changes)
        return identity

    async def patch(
        self, identity_id: uuid.UUID, operations: Any, *, public_base_url: str
    ) -> Identity:
        """Apply an RFC 6902 patch to the admin JSON of the identity and store the result."""
        original = await self.get(identity_id)
        patched = apply_identity_patch(original, operations, public_base_url=public_base_url)
        if patched.state != original.state:
            if patched.state not in (IdentityState.ACTIVE, IdentityState.INACTIVE):
                raise BadRequestError(
                    f"The supplied state ('{patched.state}') was not valid. Valid states are "
                    f"('{IdentityState.ACTIVE}', '{IdentityState.INACTIVE}').",
                    message="identity state is not valid",
                )
            patched.state_changed_at = utcnow()
        return await self.update(patched)

    async def delete(self, identity_id: uuid.UUID) -> None:
        if not await self.pool.delete(identity_id):
            raise IdentityNotFoundError()
        await self._record(EventType.IDENTITY_DELETED, identity_id)

    async def delete_credential(
        self, identity_id: uuid.UUID, credential_type: str, *, identifier: str = ""
    ) -> None:
        """Kratos's ``DELETE /admin/identities/{id}/credentials/{type}``."""
        identity = await self.get(identity_id)
        remove_credential(identity, credential_type, identifier=identifier, policy=self.factors)
        await self._update(identity, EventType.IDENTITY_CREDENTIAL_DELETED, type=credential_type)

    # --- audit -------------------------------------------------------------------------

    def _recording(self) -> bool:
        """Identity writes are recorded unless the identity itself acts (self-service):
        its flow's event (``settings.updated``, ``registration.succeeded``) says it."""
        return self.audit is not None and self.audit.enabled and current_origin().actor != "self"

    async def _record(self, event: str, identity_id: uuid.UUID, **details: Any) -> None:
        if self.audit is not None and self._recording():
            await self.audit.record(event, identity_id=identity_id, details=details)

    # --- reads -------------------------------------------------------------------------

    async def get(self, identity_id: uuid.UUID, *, with_credentials: bool = True) -> Identity:
        identity = await self.pool.get(identity_id, with_credentials=with_credentials)
        if identity is None:
            raise IdentityNotFoundError()
        return identity

    async def has_second_factor(self, identity_id: uuid.UUID, *, upsert: bool = False) -> bool:
        """Whether the identity's credentials make its available AAL aal2 (Kratos
        ``CountActiveMultiFactorCredentials`` > 0), read with one statement; with ``upsert``
        a yes is written to ``identities.available_aal`` (a stale value is repaired)."""
        configs = await self.pool.credential_configs(identity_id, MULTI_FACTOR_TYPES)
        probe = Identity(schema_id="", traits={}, id=identity_id)
        probe.credentials = {t: Credential(type=t, config=c) for t, c in configs.items()}
        found = count_multi_factors(probe, self.factors) > 0
        if found and upsert:
            await self.pool.set_available_aal(identity_id, "aal2")
        return found

    async def get_by_external_id(self, external_id: str) -> Identity:
        if not external_id:
            raise BadRequestError("The external ID must not be empty.")
        identity = await self.pool.get_by_external_id(external_id)
        if identity is None:
            raise IdentityNotFoundError()
        return identity

    async def list(self, query: IdentityListQuery) -> IdentityPage:
        return await self.pool.list(query)

    async def count(self) -> int:
        return await self.pool.count()
