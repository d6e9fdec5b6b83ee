"""The contract a method implements to join the settings flow (Kratos ``settings.Strategy``).

A submission runs in two steps, as in Kratos:

1. :meth:`SettingsStrategy.decode` turns the request body into the method's payload and
   validates its *shape* (``Property password is missing.``, schema errors on ``traits``).
   These errors are shown even when the session is too old to change anything.
2. :meth:`SettingsStrategy.apply` checks the rest (privileges, password policy, ...) and
   returns the identity to save. A payload paused for a refresh login is later fed to
   ``apply`` again without step 1 (Kratos's continuity container).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from phalanx.identity.model import Identity
from phalanx.selfservice.flow.results import ExternalRedirect
from phalanx.selfservice.flow.settings.flow import SettingsFlow
from phalanx.selfservice.request import FlowRequest
from phalanx.session.model import AuthenticationMethod, Session

__all__ = [
    "PrivilegedSessionRequired",
    "SettingsContext",
    "SettingsResult",
    "SettingsStrategy",
]


class PrivilegedSessionRequired(Exception):
    """Raised by a strategy when the change needs a session younger than
    ``privileged_session_max_age`` (Kratos ``FlowNeedsReAuth``). The flow service turns it
    into ``session_refresh_required`` and remembers the payload for after the refresh."""


@dataclass(slots=True)
class SettingsContext:
    """What a strategy gets to apply a change (Kratos ``UpdateContext``).

    ``identity`` is a private copy of the session's identity *with* credentials; the
    strategy may change it and return it. ``privileged`` tells whether the session was
    authenticated recently enough for privileged changes.
    """

    req: FlowRequest
    flow: SettingsFlow
    session: Session
    identity: Identity
    privileged: bool

    def require_privileged(self) -> None:
        if not self.privileged:
            raise PrivilegedSessionRequired()


@dataclass(slots=True)
class SettingsResult:
    """The identity to save (credentials included). ``authenticated``: the change proved a
    factor (a TOTP code, confirmed backup codes, a new security key), so the current
    session gains that method (Kratos ``SessionAddAuthenticationMethods``)."""

    identity: Identity
    continue_with: list[dict[str, Any]] = field(default_factory=list)
    authenticated: AuthenticationMethod | None = None
    #: Kratos ``ErrStrategyAsksToReturnToUI``: nothing is saved; the strategy changed the
    #: flow's nodes (e.g. shows new backup codes) and the client goes back to the form.
    return_to_ui: bool = False


class SettingsStrategy(ABC):
    """One method's cell in the settings column of the method-by-flow matrix.

    ``id`` is the ``method`` value that selects the strategy; ``group`` is the UI node
    group its form-level errors belong to.
    """

    id: ClassVar[str]
    group: ClassVar[str]

    @abstractmethod
    def populate(self, flow: SettingsFlow, identity: Identity) -> None:
        """Add this method's nodes for ``identity`` to a new (or re-rendered) flow."""

    def handles(self, body: dict[str, Any]) -> bool:
        """Whether a submission is for this strategy: ``method`` names it (some methods
        also claim submissions by their own fields, e.g. ``totp_unlink: true``)."""
        return body.get("method") == self.id

    @abstractmethod
    def decode(self, req: FlowRequest, flow: SettingsFlow, body: dict[str, Any]) -> dict[str, Any]:
        """The JSON-serializable payload of this submission; raise FlowValidationError."""

    @abstractmethod
    async def apply(
        self, ctx: SettingsContext, payload: dict[str, Any]
    ) -> SettingsResult | ExternalRedirect:
        """Apply ``payload``; raise FlowValidationError or PrivilegedSessionRequired."""
