"""Registration after-hooks (Kratos ``registration.HookExecutor``).

Kratos v25.4 activates and stores a session for every new identity before the post-persist
hooks run ("so that subsequent hooks (like verification) can use it"); the ``session`` hook
is what hands it to the client (token for native apps, cookie for browsers). Without that
hook the stored session's token is never revealed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from phalanx.identity.model import Identity
from phalanx.selfservice.flow.registration.flow import RegistrationFlow
from phalanx.selfservice.request import FlowRequest
from phalanx.session.manager import SessionManager
from phalanx.session.model import AuthenticationMethod, Session

__all__ = ["RegistrationHookResult", "RegistrationHooks", "VerificationSender"]

VerificationSender = Callable[[FlowRequest, Identity, str], Awaitable[list[dict[str, Any]]]]
"""Sends verification messages for a new identity; returns ``continue_with`` items."""


@dataclass(slots=True)
class RegistrationHookResult:
    """What the hooks produced: the stored session (exposed only with the ``session`` hook),
    ``continue_with`` items and, for browsers, where to go instead of ``return_to``."""

    session: Session
    expose_session: bool = False
    continue_with: list[dict[str, Any]] = field(default_factory=list)
    browser_location: str | None = None


class RegistrationHooks:
    """Runs what follows a stored identity: the session, then the configured hooks."""

    def __init__(
        self,
        hooks_for: Callable[[str], Sequence[str]],
        sessions: SessionManager,
        send_verification: VerificationSender | None = None,
    ) -> None:
        self.hooks_for = hooks_for
        self.sessions = sessions
        self.send_verification = send_verification

    async def after_registration(
        self,
        req: FlowRequest,
        flow: RegistrationFlow,
        identity: Identity,
        method: str,
        provider: str | None = None,
    ) -> RegistrationHookResult:
        amr = AuthenticationMethod(method=method, provider=provider)
        session = await self.sessions.issue(identity, amr, req)
        result = RegistrationHookResult(session=session)
        names = self.hooks_for(method)
        if self.send_verification is not None:
            result.continue_with.extend(await self.send_verification(req, identity, str(flow.type)))
            if "show_verification_ui" in names and flow.is_browser:
                for item in result.continue_with:
                    url = item.get("flow", {}).get("url")
                    if item.get("action") == "show_verification_ui" and url:
                        result.browser_location = url
                        break
        result.expose_session = "session" in names
        return result
