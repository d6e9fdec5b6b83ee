"""The contract a method implements to join the login flow."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from phalanx.identity.model import Identity
from phalanx.selfservice.flow.login.flow import LoginFlow
from phalanx.selfservice.request import FlowRequest
from phalanx.session.model import AuthenticationMethod, Session

__all__ = ["LoginResult", "LoginStrategy"]


@dataclass(slots=True)
class LoginResult:
    identity: Identity
    method: AuthenticationMethod
    #: More AMR entries for the new session (a social profile linked on this login).
    extra_methods: list[AuthenticationMethod] = field(default_factory=list)


class LoginStrategy(ABC):
    """A login method (``password``, ``code``, ``oidc`` …). One instance per server."""

    id: ClassVar[str]

    @abstractmethod
    def populate(self, flow: LoginFlow, session: Session | None) -> None:
        """Add this method's nodes to a new flow (``session`` is set for refresh logins)."""

    def check_payload(self, flow: LoginFlow, body: dict[str, Any]) -> None:
        """Validate the submitted body before CSRF is checked, as Kratos decodes it against
        the method's JSON schema first; raise FlowValidationError. Also puts the typed
        values back on the flow's nodes. Default: nothing to check."""
        return None

    async def link_pending(self, flow: LoginFlow, identity: Identity) -> list[AuthenticationMethod]:
        """Kratos ``LinkableStrategy``: after a successful login in an account-linking flow,
        attach the credential that was refused at registration; the extra AMR entries."""
        return []

    @abstractmethod
    async def login(
        self, req: FlowRequest, flow: LoginFlow, body: dict[str, Any], session: Session | None
    ) -> LoginResult:
        """Authenticate; raise FlowValidationError for wrong input or credentials."""
