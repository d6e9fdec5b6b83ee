"""Login after-hooks (Kratos ``login.PostHookExecutor``s), run in configured order after the
credentials were verified and before the session is stored.

* ``revoke_active_sessions`` -- every other session of the identity is revoked;
* ``require_verified_address`` -- the login stops unless one verifiable address is verified.
  Kratos v25.4's default answer starts a verification flow and points the client at it
  (403 ``session_verified_address_required`` with ``details.continue_with`` for JSON
  clients, 303 to the verification UI for browsers); with
  ``feature_flags.legacy_require_verified_login_error`` the login form shows 4000010.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from phalanx.errors import KratosError, MisconfigurationError
from phalanx.identity.model import Identity, VerifiableAddress
from phalanx.selfservice.flow.login.flow import LoginFlow
from phalanx.selfservice.request import FlowRequest, Outcome, with_query
from phalanx.session.manager import SessionManager
from phalanx.session.model import Session

__all__ = ["AddressNotVerified", "LoginHooks", "VerificationStarter"]

VerificationStarter = Callable[
    [FlowRequest, LoginFlow, Identity, VerifiableAddress], Awaitable[dict[str, Any]]
]
"""Creates a verification flow for an address, sends its code and returns the
``show_verification_ui`` ``continue_with`` item (``flow.url`` set for browser clients)."""

_NOT_VERIFIED_MESSAGE = "your email or phone address is not yet verified"
_NOT_VERIFIED_REASON = (
    "Your account's email or phone address are not verified yet. Please check your email or "
    "phone inbox or re-request verification."
)


class AddressNotVerified(Exception):
    """``login.ErrAddressNotVerified`` in legacy mode: the service renders message 4000010."""


class LoginHooks:
    """Runs the hooks configured for a login method (``flows.login.after[.<method>].hooks``)."""

    def __init__(
        self,
        hooks_for: Callable[[str], Sequence[str]],
        sessions: SessionManager,
        *,
        legacy_verified_error: bool = False,
        verification_ui_url: str | None = None,
        start_verification: VerificationStarter | None = None,
    ) -> None:
        self.hooks_for = hooks_for
        self.sessions = sessions
        self.legacy_verified_error = legacy_verified_error
        self.verification_ui_url = verification_ui_url
        self.start_verification = start_verification

    async def run(
        self, req: FlowRequest, flow: LoginFlow, session: Session, identity: Identity, method: str
    ) -> Outcome | None:
        """Run the hooks; an Outcome means a hook answered the request itself (abort)."""
        for name in self.hooks_for(method):
            if name == "revoke_active_sessions":
                await self.sessions.revoke_others(identity.id, session.id)
            elif name == "require_verified_address":
                outcome = await self._require_verified(req, flow, identity, method)
                if outcome is not None:
                    return outcome
        return None

    async def _require_verified(
        self, req: FlowRequest, flow: LoginFlow, identity: Identity, method: str
    ) -> Outcome | None:
        if self.legacy_verified_error and method != "password":
            return None
        addresses = identity.verifiable_addresses
        if not addresses:
            raise MisconfigurationError(
                "A misconfiguration prevents login. Expected to find a verification address but "
                "this identity does not have one assigned."
            )
        if any(a.verified for a in addresses):
            return None
        if self.legacy_verified_error:
            raise AddressNotVerified()
        address = next((a for a in addresses if a.value), addresses[0])
        continue_with: list[dict[str, Any]] = []
        location = self.verification_ui_url
        if self.start_verification is not None:
            item = await self.start_verification(req, flow, identity, address)
            continue_with.append(item)
            started = item.get("flow", {})
            if started.get("url"):
                location = started["url"]
            elif location and started.get("id"):
                location = with_query(location, flow=str(started["id"]))
        if req.is_json:
            error = KratosError(
                _NOT_VERIFIED_REASON,
                message=_NOT_VERIFIED_MESSAGE,
                error_id="session_verified_address_required",
                status_code=400,
                details={"continue_with": continue_with} if continue_with else None,
            )
            # Kratos writes this 400 error with HTTP status 403 (WriteErrorCode).
            return Outcome(status=403, body={"error": error.to_dict()})
        if location:
            return Outcome.redirect(location)
        return Outcome(status=200)
