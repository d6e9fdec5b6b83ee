"""The contract a method implements to join the registration flow.

``register`` returns a result, as every flow's strategies do: the new :class:`Identity`
(not stored yet) or :class:`~phalanx.selfservice.flow.results.ShowFlow` (the strategy
moved the flow to its next step, e.g. "a code was sent").
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from phalanx.identity.model import Identity
from phalanx.selfservice.flow.registration.flow import RegistrationFlow
from phalanx.selfservice.flow.results import ExternalRedirect, ShowFlow
from phalanx.selfservice.request import FlowRequest

RegistrationOutcome = Identity | ShowFlow | ExternalRedirect

__all__ = ["RegistrationOutcome", "RegistrationStrategy", "ShowFlow"]


class RegistrationStrategy(ABC):
    id: ClassVar[str]

    @abstractmethod
    def populate(self, flow: RegistrationFlow) -> None:
        """Add this method's nodes to a new flow."""

    def check_payload(self, flow: RegistrationFlow, body: dict[str, Any]) -> None:
        """Validate the submitted body before CSRF is checked (Kratos decodes it against the
        method's JSON schema first) and put the typed values back on the flow's nodes;
        raise FlowValidationError. Default: nothing to check."""
        return None

    @abstractmethod
    async def register(
        self, req: FlowRequest, flow: RegistrationFlow, body: dict[str, Any]
    ) -> RegistrationOutcome:
        """Build and validate the new identity (not yet stored), or take the flow one step
        further; raise FlowValidationError."""
