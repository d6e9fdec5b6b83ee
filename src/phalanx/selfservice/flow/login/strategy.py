"""The contract a method implements to join the login flow.

``login`` returns a result, as every flow's strategies do: :class:`LoginResult` (who
signed in, with which method), :class:`~phalanx.selfservice.flow.results.ShowFlow` (the
strategy moved the flow to its next step, e.g. "a code was sent"), or :class:`Identified`
(identifier-first login: the service lets every strategy add its step-2 nodes with
``populate_identified``, then hands the flow back to ``finish_identified``).

Forms, as Kratos's hydrators: ``populate`` renders the one-step form (and refresh/aal2
forms); with ``selfservice.flows.login.style: identifier_first`` a new aal1 flow gets
every strategy's ``populate_identification`` instead.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from phalanx.identity.model import Identity
from phalanx.selfservice.flow.login.flow import LoginFlow
from phalanx.selfservice.flow.results import ShowFlow
from phalanx.selfservice.request import FlowRequest
from phalanx.session.model import AuthenticationMethod, Session

__all__ = ["Identified", "LoginOutcome", "LoginResult", "LoginStrategy", "ShowFlow"]


@dataclass(slots=True)
class LoginResult:
    identity: Identity
    method: AuthenticationMethod


@dataclass(frozen=True, slots=True)
class Identified:
    """Identifier-first login, step 1 done: ``identity`` is who ``identifier`` names
    (None: nobody, or not looked at because of account enumeration mitigation)."""

    identifier: str
    identity: Identity | None
    mitigate: bool


LoginOutcome = LoginResult | ShowFlow | Identified


class LoginStrategy(ABC):
    """A login method (``password``, ``code``, ``oidc`` …). One instance per server."""

    id: ClassVar[str]

    def handles(self, body: dict[str, Any]) -> bool:
        """Whether this strategy takes the submission (default: ``method`` is its id; a
        field posted twice counts with its first value)."""
        method = body.get("method")
        if isinstance(method, list) and method:
            method = method[0]
        return bool(method == self.id)

    @abstractmethod
    def populate(self, flow: LoginFlow, session: Session | None) -> None:
        """Add this method's nodes to a new flow (``session`` is set for refresh logins)."""

    def populate_identification(self, flow: LoginFlow) -> None:
        """Identifier-first login, step 1: this method's nodes (most add none)."""
        return None

    def populate_identified(
        self, flow: LoginFlow, identity: Identity | None, mitigate: bool
    ) -> bool:
        """Identifier-first login, step 2: add this method's nodes if ``identity`` can use
        it (or always, with ``mitigate``); whether ``identity`` has such a credential."""
        return False

    def finish_identified(self, flow: LoginFlow, populated: bool, mitigate: bool) -> ShowFlow:
        """After every strategy's ``populate_identified`` (only the strategy that
        returned :class:`Identified` is asked)."""
        raise NotImplementedError

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
