"""The contract a method implements to join the registration flow."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from phalanx.identity.model import Identity
from phalanx.selfservice.flow.registration.flow import RegistrationFlow
from phalanx.selfservice.request import FlowRequest

__all__ = ["RegistrationStrategy"]


class RegistrationStrategy(ABC):
    id: ClassVar[str]

    @abstractmethod
    def populate(self, flow: RegistrationFlow) -> None:
        """Add this method's nodes to a new flow."""

    @abstractmethod
    async def register(
        self, req: FlowRequest, flow: RegistrationFlow, body: dict[str, Any]
    ) -> Identity:
        """Build and validate the new identity (not yet stored); raise FlowValidationError."""
