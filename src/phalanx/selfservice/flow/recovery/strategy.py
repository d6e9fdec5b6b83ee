"""The contract a method implements to join the recovery flow.

Kratos ``recovery.Strategy``: a method renders its first screen (``populate``) and handles
submissions of flows whose ``active`` method it is (``recover``). Like every flow's
strategies it returns a result and never builds a response: :class:`ShowFlow` (store and
show the changed flow), :class:`Retry` (start over), :class:`AlreadyLoggedIn`, or
:class:`Recovered` (the challenge was passed: the service issues the session and the
settings flow).
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

from phalanx.identity.model import Identity
from phalanx.selfservice.flow.base import FlowType
from phalanx.selfservice.flow.challenge import submitted_values
from phalanx.selfservice.flow.environment import FlowEnvironment
from phalanx.selfservice.flow.recovery.flow import RecoveryFlow
from phalanx.selfservice.flow.results import Retry, ShowFlow
from phalanx.selfservice.request import FlowRequest

__all__ = [
    "AdminRecovery",
    "AlreadyLoggedIn",
    "Recovered",
    "RecoveryResult",
    "RecoveryStrategy",
    "submitted_values",
]


@dataclass(slots=True)
class AdminRecovery:
    """What ``POST /admin/recovery/{code,link}`` answers."""

    flow_id: uuid.UUID
    recovery_link: str
    expires_at: Any
    recovery_code: str | None = None


@dataclass(frozen=True, slots=True)
class AlreadyLoggedIn:
    """The request carries a session: recovery is not possible."""


@dataclass(frozen=True, slots=True)
class Recovered:
    """The challenge was passed for ``identity`` (``as_browser``: a link was used, which
    is opened in a browser whatever kind of flow sent it)."""

    identity: Identity
    as_browser: bool = False


RecoveryResult = ShowFlow | Retry | AlreadyLoggedIn | Recovered


class RecoveryStrategy(ABC):
    """A recovery method (``code``, ``link``). One instance per server."""

    id: ClassVar[str]
    #: the type of the flows ``POST /admin/recovery/<method>`` makes (None: as requested)
    admin_flow_type: ClassVar[FlowType | None] = None

    @abstractmethod
    def populate(self, flow: RecoveryFlow, csrf_token: str) -> None:
        """Add the first screen's nodes (CSRF, ``email``, ``method``) to a new flow."""

    @abstractmethod
    async def recover(
        self,
        req: FlowRequest,
        flow: RecoveryFlow,
        values: Mapping[str, Any],
        env: FlowEnvironment,
    ) -> RecoveryResult:
        """Handle a submission; raise ``FlowValidationError`` for input errors."""

    def prepare_admin_flow(self, flow: RecoveryFlow) -> None:
        """Adjust a new flow made for ``POST /admin/recovery/<method>`` before it is stored."""
        return None

    async def admin_secret(
        self,
        flow: RecoveryFlow,
        identity: Identity,
        lifespan: timedelta,
        env: FlowEnvironment,
    ) -> AdminRecovery:
        """The secret of ``POST /admin/recovery/<method>`` for the stored ``flow``;
        methods without it raise NotImplementedError."""
        raise NotImplementedError
