"""The identity persistence port (what ``persistence.sql`` implements)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from phalanx.identity.model import Credential, Identity, RecoveryAddress, VerifiableAddress

__all__ = ["IdentityListQuery", "IdentityPage", "IdentityPool"]


@dataclass(slots=True)
class IdentityListQuery:
    """Filters and keyset pagination of ``GET /admin/identities``.

    ``page_token`` is the last id of the previous page (Kratos v1 string token, order id ASC).
    At most one of the filters is set (the handler enforces Kratos's rule).
    """

    page_size: int = 250
    page_token: uuid.UUID | None = None
    ids: list[uuid.UUID] | None = None
    credentials_identifier: str | None = None
    credentials_identifier_similar: str | None = None
    organization_id: uuid.UUID | None = None
    with_credentials: bool = False
    offset: int | None = None  # legacy page/per_page pagination
    #: Phalanx-only filters (the admin console): ``active``/``inactive`` and a schema id.
    state: str | None = None
    schema_id: str | None = None


@dataclass(slots=True)
class IdentityPage:
    identities: list[Identity] = field(default_factory=list)
    next_token: uuid.UUID | None = None


class IdentityPool(Protocol):
    """Transactional identity storage. Every write is one transaction per identity.

    ``create``/``update`` raise :class:`phalanx.errors.ConflictError` when an identifier,
    address or external id already belongs to another identity, and write nothing.
    """

    async def create(self, identity: Identity) -> None: ...

    async def create_many(self, identities: list[Identity]) -> list[Exception | None]:
        """Create each identity in its own savepoint; the result holds one error or None each."""
        ...

    async def update(self, identity: Identity, *, with_credentials: bool = True) -> None: ...

    async def get(
        self, identity_id: uuid.UUID, *, with_credentials: bool = False
    ) -> Identity | None: ...

    async def set_available_aal(self, identity_id: uuid.UUID, aal: str) -> None:
        """Write only the identity's ``available_aal`` column."""
        ...

    async def credential_configs(
        self, identity_id: uuid.UUID, types: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """The ``config`` of the identity's credentials of ``types``, by type."""
        ...

    async def swap_credential_config(
        self, identity_id: uuid.UUID, credential: Credential, config: dict[str, Any]
    ) -> bool:
        """Replace ``credential.config`` if the stored credential is still the one read
        (same ``updated_at``); False when another writer came first."""
        ...

    async def get_by_external_id(self, external_id: str) -> Identity | None: ...

    async def find_by_identifier(self, credential_type: str, identifier: str) -> Identity | None:
        """The identity owning ``identifier`` for that credential type, with credentials."""
        ...

    async def find_by_any_identifier(self, identifier: str) -> Identity | None:
        """The identity owning ``identifier`` for any credential type (matched as typed or
        normalized, so case-insensitively for e-mail addresses), with credentials."""
        ...

    async def list(self, query: IdentityListQuery) -> IdentityPage: ...

    async def count(self) -> int: ...

    async def delete(self, identity_id: uuid.UUID) -> bool: ...

    async def find_verifiable_address(self, via: str, value: str) -> VerifiableAddress | None: ...

    async def update_verifiable_address(self, address: VerifiableAddress) -> None: ...

    async def find_recovery_address(self, via: str, value: str) -> RecoveryAddress | None: ...
