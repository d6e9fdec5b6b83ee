"""The contract a method implements to join the recovery flow, and what the flow offers it.

Kratos ``recovery.Strategy``: a method renders its first screen (``populate``) and handles
submissions of flows whose ``active`` method it is (``recover``). Strategies never build
responses from scratch: they return the :class:`~phalanx.selfservice.request.Outcome`s of
:class:`RecoveryActions` (show the flow, start over, finish with a session).
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar, Protocol

from phalanx.identity.model import Identity
from phalanx.selfservice.flow.base import FlowType
from phalanx.selfservice.flow.challenge import ChallengeActions, submitted_values
from phalanx.selfservice.flow.recovery.flow import RecoveryFlow
from phalanx.selfservice.request import FlowRequest, Outcome

__all__ = ["AdminRecovery", "RecoveryActions", "RecoveryStrategy", "submitted_values"]


@dataclass(slots=True)
class AdminRecovery:
    """What ``POST /admin/recovery/{code,link}`` answers."""

    flow_id: uuid.UUID
    recovery_link: str
    expires_at: Any
    recovery_code: str | None = None


class RecoveryActions(ChallengeActions[RecoveryFlow], Protocol):
    """The recovery flow's steps a strategy may take (implemented by the service)."""

    async def insert(self, flow: RecoveryFlow) -> None:
        """Store a new flow."""
        ...

    async def new_flow(
        self,
        req: FlowRequest,
        flow_type: FlowType,
        *,
        lifespan: timedelta | None = None,
        method: str | None = None,
    ) -> tuple[RecoveryFlow, str | None]:
        """A new flow (not stored) for ``method`` (default: ``use``) and the CSRF cookie
        to set, if the request had none."""
        ...

    async def complete(
        self,
        req: FlowRequest,
        flow: RecoveryFlow,
        identity: Identity,
        method: str,
        *,
        as_browser: bool = False,
    ) -> Outcome:
        """The challenge passed: session, settings flow, and the answer pointing there."""
        ...

    async def already_logged_in(self, req: FlowRequest) -> Outcome: ...


class RecoveryStrategy(ABC):
    """A recovery method (``code``, ``link``). One instance per server."""

    id: ClassVar[str]

    @abstractmethod
    def populate(self, flow: RecoveryFlow, csrf_token: str) -> None:
        """Add the first screen's nodes (CSRF, ``email``, ``method``) to a new flow."""

    @abstractmethod
    async def recover(
        self,
        req: FlowRequest,
        flow: RecoveryFlow,
        values: Mapping[str, Any],
        actions: RecoveryActions,
    ) -> Outcome:
        """Handle a submission; raise ``FlowValidationError`` for input errors."""

    async def create_for_identity(
        self,
        req: FlowRequest,
        identity: Identity,
        lifespan: timedelta,
        flow_type: FlowType,
        actions: RecoveryActions,
    ) -> AdminRecovery:
        """``POST /admin/recovery/<method>``; methods without it raise NotImplementedError."""
        raise NotImplementedError
