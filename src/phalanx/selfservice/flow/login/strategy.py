"""The contract a method implements to join the login flow.

``login`` returns a result, as every flow's strategies do: :class:`LoginResult` (who
signed in, with which method) or :class:`~phalanx.selfservice.flow.results.ShowFlow` (the
strategy moved the flow to its next step, e.g. "a code was sent").
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from phalanx.identity.model import Identity
from phalanx.selfservice.flow.login.flow import LoginFlow
from phalanx.selfservice.flow.results import ShowFlow
from phalanx.selfservice.request import FlowRequest
from phalanx.session.model import AuthenticationMethod, Session

__all__ = ["LoginOutcome", "LoginResult", "LoginStrategy", "ShowFlow"]


@dataclass(slots=True)
class LoginResult:
    identity: Identity
    method: AuthenticationMethod


LoginOutcome = LoginResult | ShowFlow


class LoginStrategy(ABC):
    """A login method (``password``, ``code``, ``oidc`` …). One instance per server."""

    id: ClassVar[str]

    @abstractmethod
    def populate(self, flow: LoginFlow, session: Session | None) -> None:
        """Add this method's nodes to a new flow (``session`` is set for refresh logins)."""

    def claims(self, flow: LoginFlow, body: Mapping[str, Any]) -> bool:
        """Whether this strategy handles the submission: by default when ``method`` names
        it (Kratos's "strategy not responsible" otherwise)."""
        return bool(body.get("method") == self.id)

    def check_payload(self, flow: LoginFlow, body: dict[str, Any]) -> None:
        """Validate the submitted body before CSRF is checked, as Kratos decodes it against
        the method's JSON schema first; raise FlowValidationError. Also puts the typed
        values back on the flow's nodes. Default: nothing to check."""
        return None

    @abstractmethod
    async def login(
        self, req: FlowRequest, flow: LoginFlow, body: dict[str, Any], session: Session | None
    ) -> LoginOutcome:
        """Authenticate (or take the flow one step further); raise FlowValidationError for
        wrong input or credentials."""
