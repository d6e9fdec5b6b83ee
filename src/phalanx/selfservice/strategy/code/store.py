"""One-time codes: how they are made, the persistence port, and why using one fails.

Kratos ``selfservice/strategy/code/{strategy,code_recovery,code_verification,code_login,
code_registration}.go`` and ``persistence/sql/persister_code.go``. One store serves the
four cells of the ``code`` method (recovery, verification, login, registration). Codes
are six random digits; the store keeps only their keyed HMAC
(``hex(HMAC-SHA512/256(code, secrets.cookie[0]))``, every configured secret tried on
lookup) and consumes a code exactly once.
"""

from __future__ import annotations

import secrets
import string
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Protocol

from phalanx.errors import BadRequestError, NotFoundError
from phalanx.identity.model import VerifiableAddress

__all__ = [
    "CODE_LENGTH",
    "CodeAlreadyUsedError",
    "CodeExpiredError",
    "CodeNotFoundError",
    "CodeStore",
    "CodeSubmittedTooOftenError",
    "OneTimeSecret",
    "SecretKind",
    "generate_code",
]

CODE_LENGTH = 6


def generate_code() -> str:
    """Six random decimal digits (Kratos ``randx.MustString(6, randx.Numeric)``)."""
    return "".join(secrets.choice(string.digits) for _ in range(CODE_LENGTH))


class SecretKind(IntEnum):
    """``code_type`` / ``token_type``: who created a recovery code or link."""

    ADMIN = 1
    SELF_SERVICE = 2


@dataclass(slots=True)
class OneTimeSecret:
    """A stored code or link token (never its plaintext)."""

    id: uuid.UUID
    flow_id: uuid.UUID | None
    expires_at: datetime
    identity_id: uuid.UUID | None = None
    address_id: uuid.UUID | None = None
    kind: SecretKind = SecretKind.SELF_SERVICE
    used_at: datetime | None = None
    #: login and registration codes name the address they were sent to (and its channel)
    address: str | None = None
    via: str | None = None


class CodeNotFoundError(NotFoundError):
    """Kratos ``ErrCodeNotFound``: no such code for the flow, or it expired."""

    def __init__(self) -> None:
        super().__init__("unknown code")


class CodeExpiredError(CodeNotFoundError):
    """The code matched but its lifespan is over (Kratos ``NewFlowExpiredError(expires_at)``
    for login and registration codes; recovery and verification treat it as unknown)."""

    def __init__(self, expires_at: datetime) -> None:
        super().__init__()
        self.expires_at = expires_at


class CodeAlreadyUsedError(BadRequestError):
    """Kratos ``ErrCodeAlreadyUsed``: the code was consumed before (or concurrently)."""

    def __init__(self) -> None:
        super().__init__("The code was already used. Please request another code.")


class CodeSubmittedTooOftenError(BadRequestError):
    """Kratos ``ErrCodeSubmittedTooOften``: more than ``max_submissions`` attempts."""

    def __init__(self) -> None:
        super().__init__("The request was submitted too often. Please request another code.")


class CodeStore(Protocol):
    """Recovery, verification, login and registration codes (``identity_recovery_codes``,
    ``identity_verification_codes``, ``identity_login_codes``,
    ``identity_registration_codes``)."""

    async def create_recovery_code(
        self,
        code: str,
        *,
        flow_id: uuid.UUID,
        identity_id: uuid.UUID,
        address_id: uuid.UUID | None,
        kind: SecretKind,
        lifespan: timedelta,
    ) -> OneTimeSecret: ...

    async def delete_recovery_codes(self, flow_id: uuid.UUID) -> None: ...

    async def use_recovery_code(
        self, flow_id: uuid.UUID, code: str, *, max_submissions: int
    ) -> OneTimeSecret:
        """Consume the flow's code ``code``: counts the attempt first (too many raises
        :class:`CodeSubmittedTooOftenError`), then :class:`CodeNotFoundError` for an unknown
        or expired code, :class:`CodeAlreadyUsedError` for a consumed one."""
        ...

    async def create_verification_code(
        self,
        code: str,
        *,
        flow_id: uuid.UUID,
        address_id: uuid.UUID,
        lifespan: timedelta,
    ) -> OneTimeSecret: ...

    async def delete_verification_codes(self, flow_id: uuid.UUID) -> None: ...

    async def use_verification_code(
        self, flow_id: uuid.UUID, code: str, *, max_submissions: int
    ) -> OneTimeSecret: ...

    async def create_login_code(
        self,
        code: str,
        *,
        flow_id: uuid.UUID,
        identity_id: uuid.UUID,
        address: str,
        via: str,
        lifespan: timedelta,
    ) -> OneTimeSecret: ...

    async def delete_login_codes(self, flow_id: uuid.UUID) -> None: ...

    async def use_login_code(
        self, flow_id: uuid.UUID, identity_id: uuid.UUID, code: str, *, max_submissions: int
    ) -> OneTimeSecret:
        """Consume one of the flow's codes sent for ``identity_id``; errors as
        :meth:`use_recovery_code`, :class:`CodeExpiredError` for an expired one."""
        ...

    async def create_registration_code(
        self,
        code: str,
        *,
        flow_id: uuid.UUID,
        address: str,
        via: str,
        lifespan: timedelta,
    ) -> OneTimeSecret: ...

    async def delete_registration_codes(self, flow_id: uuid.UUID) -> None: ...

    async def use_registration_code(
        self, flow_id: uuid.UUID, code: str, addresses: list[str], *, max_submissions: int
    ) -> OneTimeSecret:
        """Consume one of the flow's codes sent to one of ``addresses``."""
        ...

    async def get_verifiable_address(self, address_id: uuid.UUID) -> VerifiableAddress | None:
        """The verifiable address a verification code or token was issued for."""
        ...

    async def simulate_write(self) -> None:
        """A write transaction that leaves no trace, costing about what storing one row
        costs: the stand-in work for an unknown address (no account enumeration)."""
        ...
