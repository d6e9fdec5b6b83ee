"""One-time link tokens: how they are made and the persistence port.

Kratos ``selfservice/strategy/link/{token_recovery,token_verification}.go`` and
``persistence/sql/persister_{recovery,verification}.go``: 32 random alphanumerics, stored
as keyed HMAC only, consumed once (``UPDATE ... WHERE NOT used``).
"""

from __future__ import annotations

import secrets
import string
import uuid
from datetime import timedelta
from typing import Protocol

from phalanx.identity.model import VerifiableAddress
from phalanx.selfservice.strategy.code.store import OneTimeSecret, SecretKind

__all__ = ["TOKEN_LENGTH", "TokenNotFoundError", "TokenStore", "generate_token"]

TOKEN_LENGTH = 32
_ALPHABET = string.ascii_letters + string.digits


def generate_token() -> str:
    """32 random letters and digits (Kratos ``randx.MustString(32, randx.AlphaNum)``)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(TOKEN_LENGTH))


class TokenNotFoundError(Exception):
    """No unused token with that value for the flow (Kratos ``sqlcon.ErrNoRows``)."""


class TokenStore(Protocol):
    """Recovery and verification link tokens (``identity_recovery_tokens``,
    ``identity_verification_tokens``)."""

    async def create_recovery_token(
        self,
        token: str,
        *,
        flow_id: uuid.UUID,
        identity_id: uuid.UUID,
        address_id: uuid.UUID | None,
        kind: SecretKind,
        lifespan: timedelta,
    ) -> OneTimeSecret: ...

    async def use_recovery_token(self, flow_id: uuid.UUID, token: str) -> OneTimeSecret:
        """Consume the token (expired ones too: check ``expires_at`` afterwards);
        :class:`TokenNotFoundError` if unknown or already used."""
        ...

    async def create_verification_token(
        self,
        token: str,
        *,
        flow_id: uuid.UUID,
        address_id: uuid.UUID,
        lifespan: timedelta,
    ) -> OneTimeSecret: ...

    async def use_verification_token(self, flow_id: uuid.UUID, token: str) -> OneTimeSecret: ...

    async def get_verifiable_address(self, address_id: uuid.UUID) -> VerifiableAddress | None: ...

    async def simulate_write(self) -> None: ...
