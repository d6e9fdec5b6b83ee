"""The contract a method implements to join the verification flow (Kratos
``verification.Strategy``). ``verify`` returns a result, as every flow's strategies do:
:class:`ShowFlow`, :class:`Retry`, or :class:`Verified` (the service marks the address
verified and shows the flow in ``passed_challenge``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from phalanx.identity.model import Identity, VerifiableAddress
from phalanx.selfservice.flow.environment import FlowEnvironment
from phalanx.selfservice.flow.results import Retry, ShowFlow
from phalanx.selfservice.flow.verification.flow import VerificationFlow
from phalanx.selfservice.request import FlowRequest

__all__ = ["VerificationResult", "VerificationStrategy", "Verified"]


@dataclass(frozen=True, slots=True)
class Verified:
    """``address`` was proven (``as_browser``: a link was used; browsers go to the UI
    even for API flows)."""

    address: VerifiableAddress
    as_browser: bool = False


VerificationResult = ShowFlow | Retry | Verified


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
        env: FlowEnvironment,
    ) -> VerificationResult:
        """Handle a submission; raise ``FlowValidationError`` for input errors."""
