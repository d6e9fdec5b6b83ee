"""The contract a method implements to join the settings flow."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from phalanx.identity.model import Identity
from phalanx.selfservice.flow.settings.flow import SettingsFlow
from phalanx.selfservice.request import FlowRequest
from phalanx.session.model import Session

__all__ = ["SettingsResult", "SettingsStrategy"]


@dataclass(slots=True)
class SettingsResult:
    """The identity to save and whether the change needs a privileged session."""

    identity: Identity
    privileged: bool
    update_credentials: bool = False
    continue_with: list[dict[str, Any]] = field(default_factory=list)


class SettingsStrategy(ABC):
    id: ClassVar[str]

    @abstractmethod
    def populate(self, flow: SettingsFlow, identity: Identity) -> None:
        """Add this method's nodes for ``identity`` to a new flow."""

    @abstractmethod
    async def update(
        self, req: FlowRequest, flow: SettingsFlow, body: dict[str, Any], session: Session
    ) -> SettingsResult:
        """Validate and apply the change to a copy of the identity; raise FlowValidationError."""
