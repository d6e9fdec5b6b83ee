"""Login after-hooks: ``require_verified_address`` (before the session is issued) and
``revoke_active_sessions`` (after)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from phalanx.errors import VerifiedAddressRequiredError
from phalanx.identity.model import Identity
from phalanx.selfservice.flow.login.flow import LoginFlow
from phalanx.selfservice.request import FlowRequest
from phalanx.session.manager import SessionManager
from phalanx.session.model import Session

__all__ = ["LoginHooks"]


class LoginHooks:
    def __init__(self, hooks_for: Callable[[str], Sequence[str]], sessions: SessionManager) -> None:
        self.hooks_for = hooks_for
        self.sessions = sessions

    async def before_session(
        self, req: FlowRequest, flow: LoginFlow, identity: Identity, method: str
    ) -> None:
        if "require_verified_address" in self.hooks_for(method):
            identifier = str(req.body.get("identifier") or "").strip().lower()
            addresses = identity.verifiable_addresses
            relevant = [a for a in addresses if a.value == identifier] or addresses
            if not any(a.verified for a in relevant):
                raise VerifiedAddressRequiredError(
                    "Account not active yet. Did you forget to verify your email address?"
                )

    async def after_session(
        self, req: FlowRequest, flow: LoginFlow, session: Session, method: str
    ) -> None:
        if "revoke_active_sessions" in self.hooks_for(method):
            await self.sessions.revoke_others(session.identity_id, session.id)
