"""The contract a method implements to join the login flow.

A login flow asks for one authenticator assurance level (``requested_aal``). A strategy
joins the flows of the levels it serves (:attr:`LoginStrategy.levels`): first factors
(password, oidc, passkey, passwordless webauthn, code) serve ``aal1``; second factors (totp,
lookup_secret, webauthn as 2FA, code as MFA) serve ``aal2`` and derive from
:class:`SecondFactorLogin`. A strategy that does not serve the flow's level adds no nodes
and is not responsible for a submission naming it (Kratos ``login.CheckAAL``), so a second
factor can never start a session and a first factor can never complete an aal2 flow.

``login`` returns a result, as every flow's strategies do: :class:`LoginResult` (who
signed in, with which method) or :class:`~phalanx.selfservice.flow.results.ShowFlow` (the
strategy moved the flow to its next step, e.g. "a code was sent").
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from phalanx.errors import AAL1RequiredError
from phalanx.identity.model import Identity
from phalanx.selfservice.flow.login.flow import LoginFlow
from phalanx.selfservice.flow.results import ExternalRedirect, ShowFlow
from phalanx.selfservice.request import FlowRequest
from phalanx.session.model import AAL, AuthenticationMethod, Session

__all__ = ["LoginOutcome", "LoginResult", "LoginStrategy", "SecondFactorLogin", "ShowFlow"]


@dataclass(slots=True)
class LoginResult:
    identity: Identity
    method: AuthenticationMethod
    #: More AMR entries for the new session (a social profile linked on this login).
    extra_methods: list[AuthenticationMethod] = field(default_factory=list)


LoginOutcome = LoginResult | ShowFlow | ExternalRedirect


class LoginStrategy(ABC):
    """A login method (``password``, ``code``, ``oidc`` …). One instance per server."""

    id: ClassVar[str]
    #: The ``requested_aal`` values of the flows this strategy joins.
    levels: frozenset[str] = frozenset({AAL.AAL1})

    def serves(self, flow: LoginFlow) -> bool:
        return flow.requested_aal in self.levels

    @abstractmethod
    def populate(self, flow: LoginFlow, session: Session | None) -> None:
        """Add this method's nodes to a new flow. ``session`` is set for refresh logins and
        for aal2 flows; then ``session.identity`` carries its credentials."""

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
    ) -> LoginOutcome:
        """Authenticate (or take the flow one step further); raise FlowValidationError for
        wrong input or credentials."""


class SecondFactorLogin(LoginStrategy):
    """A second factor: joins ``aal2`` flows only, proves the *session's* identity.

    Subclasses say which credential they need (:meth:`has_credential`), render their nodes
    for an identity that has it (:meth:`populate_second_factor`) and check a submission
    (:meth:`verify`, raising FlowValidationError; a factor that consumes something, like a
    backup code, stores that itself). The login service then appends
    ``{method: id, aal: aal2}`` to the existing session.
    """

    levels = frozenset({AAL.AAL2})

    @abstractmethod
    def has_credential(self, identity: Identity) -> bool:
        """Whether ``identity`` has this factor set up (Kratos: the credential exists)."""

    @abstractmethod
    def populate_second_factor(self, flow: LoginFlow, identity: Identity) -> None:
        """The nodes asking ``identity`` for this factor."""

    @abstractmethod
    async def verify(
        self, req: FlowRequest, flow: LoginFlow, body: dict[str, Any], identity: Identity
    ) -> None:
        """Check the submitted factor for ``identity``; raise FlowValidationError."""

    def populate(self, flow: LoginFlow, session: Session | None) -> None:
        identity = session.identity if session is not None else None
        if identity is None or not self.has_credential(identity):
            return
        self.populate_second_factor(flow, identity)

    async def login(
        self, req: FlowRequest, flow: LoginFlow, body: dict[str, Any], session: Session | None
    ) -> LoginOutcome:
        if session is None or session.identity is None:
            raise AAL1RequiredError()
        identity = session.identity
        await self.verify(req, flow, body, identity)
        return LoginResult(
            identity=identity, method=AuthenticationMethod(method=self.id, aal=AAL.AAL2)
        )
