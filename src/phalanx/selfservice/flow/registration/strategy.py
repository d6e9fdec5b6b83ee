"""The contract a method implements to join the registration flow.

``register`` returns a result, as every flow's strategies do: the new :class:`Identity`
(not stored yet), :class:`~phalanx.selfservice.flow.results.ShowFlow` (the strategy moved
the flow to its next step, e.g. "a code was sent"), or :class:`NextScreen` (two-step
registration: the service hydrates the profile or the credential screen with every
strategy's ``populate_profile`` / ``populate_credentials``).

Forms, as Kratos's hydrators: ``populate`` renders the one-step (``unified``) form;
with ``selfservice.flows.registration.style: profile_first`` a new flow gets every
strategy's ``populate_profile`` (traits only), and the credential step every
``populate_credentials``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from phalanx.identity.model import Identity
from phalanx.selfservice.flow.registration.flow import RegistrationFlow
from phalanx.selfservice.flow.results import ExternalRedirect, ShowFlow
from phalanx.selfservice.request import FlowRequest

__all__ = [
    "NextScreen",
    "RegistrationOutcome",
    "RegistrationStrategy",
    "ShowFlow",
    "first_value",
]


@dataclass(frozen=True, slots=True)
class NextScreen:
    """Two-step registration: show the ``credentials`` (method choice) or the ``profile``
    screen, filled with ``traits``."""

    screen: Literal["profile", "credentials"]
    traits: Any = None


RegistrationOutcome = Identity | ShowFlow | NextScreen | ExternalRedirect


def first_value(value: Any) -> Any:
    """A form field posted twice (a hidden ``method`` and a ``method`` button) counts
    once, with its first value (Kratos's schema-driven form decoder)."""
    if isinstance(value, list) and value and isinstance(value[0], str):
        return value[0]
    return value


class RegistrationStrategy(ABC):
    id: ClassVar[str]

    def handles(self, body: dict[str, Any]) -> bool:
        """Whether this strategy takes the submission (default: ``method`` is its id)."""
        return bool(first_value(body.get("method")) == self.id)

    @abstractmethod
    def populate(self, flow: RegistrationFlow) -> None:
        """Add this method's nodes to a new one-step (``unified``) flow."""

    def populate_profile(self, flow: RegistrationFlow, traits: Any) -> None:
        """Two-step registration, profile screen: drop this method's credential nodes."""
        return None

    def populate_credentials(self, flow: RegistrationFlow, traits: Any) -> None:
        """Two-step registration, credential screen: add this method's nodes."""
        return None

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
