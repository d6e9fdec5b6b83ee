"""Settings after-hooks: ``revoke_active_sessions`` (others than the current one)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from phalanx.selfservice.flow.settings.flow import SettingsFlow
from phalanx.selfservice.request import FlowRequest
from phalanx.session.manager import SessionManager
from phalanx.session.model import Session

__all__ = ["SettingsHooks"]


class SettingsHooks:
    def __init__(self, hooks_for: Callable[[str], Sequence[str]], sessions: SessionManager) -> None:
        self.hooks_for = hooks_for
        self.sessions = sessions

    async def __call__(
        self, req: FlowRequest, flow: SettingsFlow, session: Session, method: str
    ) -> None:
        if "revoke_active_sessions" in self.hooks_for(method):
            await self.sessions.revoke_others(session.identity_id, session.id)
