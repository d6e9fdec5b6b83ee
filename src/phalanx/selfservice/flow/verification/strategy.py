"""The contract a method implements to join the verification flow, and what the flow
offers it (Kratos ``verification.Strategy``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from phalanx.identity.model import Identity, VerifiableAddress
from phalanx.selfservice.flow.challenge import ChallengeActions
from phalanx.selfservice.flow.verification.flow import VerificationFlow
from phalanx.selfservice.request import FlowRequest, Outcome

__all__ = ["VerificationActions", "VerificationStrategy"]


class VerificationActions(ChallengeActions[VerificationFlow], Protocol):
    """The verification flow's steps a strategy may take (implemented by the service)."""

    async def complete(
        self,
        req: FlowRequest,
        flow: VerificationFlow,
        address: VerifiableAddress,
        *,
        as_browser: bool = False,
    ) -> Outcome:
        """Mark ``address`` verified and show the flow in ``passed_challenge``
        (``as_browser``: a link was used, browsers go to the UI even for API flows)."""
        ...


class VerificationStrategy(ABC):
    """A verification method (``code``, ``link``). One instance per server."""

    id: ClassVar[str]

    @abstractmethod
    def populate(self, flow: VerificationFlow, csrf_token: str) -> None:
        """Add the first screen's nodes (``email``, ``method``, CSRF) to a new flow."""

    @abstractmethod
    def populate_sent(self, flow: VerificationFlow, csrf_token: str, address: str) -> None:
        """Nodes and message of a flow whose message was just sent to ``address`` (flows
        that registration, settings or login start)."""

    @abstractmethod
    async def send(
        self, flow: VerificationFlow, identity: Identity, address: VerifiableAddress
    ) -> None:
        """Create a code/token for ``address`` in ``flow`` and queue the message."""

    @abstractmethod
    async def verify(
        self,
        req: FlowRequest,
        flow: VerificationFlow,
        values: Mapping[str, Any],
        actions: VerificationActions,
    ) -> Outcome:
        """Handle a submission; raise ``FlowValidationError`` for input errors."""
