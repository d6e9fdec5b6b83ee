"""Settings after-hooks, run once the updated identity is stored (Kratos
``PostSettingsPostPersistHooks``).

Order, as Kratos wires it: the verification sender first (when
``selfservice.flows.verification.enabled``), then the hooks configured under
``selfservice.flows.settings.after.<method>.hooks`` -- or, when the method has none,
``selfservice.flows.settings.after.hooks``:

* ``revoke_active_sessions`` -- every other session of the identity is revoked;
* ``show_verification_ui`` -- the verification flow the sender created goes into
  ``continue_with`` (``show_verification_ui``). With
  ``feature_flags.legacy_continue_with_verification_ui`` it is added without the hook.

The verification sender is a hook point for the verification flow:
:data:`SendVerification` gets the updated identity and returns ``continue_with`` items
(``{"action": "show_verification_ui", "flow": {...}}``), one per verification flow it
started for a newly added (``pending``) address.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from phalanx.identity.model import Identity
from phalanx.selfservice.flow.base import FlowType
from phalanx.selfservice.flow.settings.flow import SettingsFlow
from phalanx.selfservice.request import FlowRequest
from phalanx.session.manager import SessionManager
from phalanx.session.model import Session

__all__ = ["SendVerification", "SettingsHooks"]

log = logging.getLogger("phalanx.settings")

#: ``send_verification(req, identity, flow_type) -> continue_with items``.
SendVerification = Callable[[FlowRequest, Identity, FlowType], Awaitable[list[dict[str, Any]]]]


class SettingsHooks:
    """The after-hooks of the settings flow for one configuration."""

    def __init__(
        self,
        hooks_for: Callable[[str], Sequence[str]],
        sessions: SessionManager,
        *,
        send_verification: SendVerification | None = None,
        verification_enabled: bool = False,
        legacy_show_verification_ui: bool = False,
    ) -> None:
        self.hooks_for = hooks_for
        self.sessions = sessions
        self.send_verification = send_verification
        self.verification_enabled = verification_enabled
        self.legacy_show_verification_ui = legacy_show_verification_ui

    async def __call__(
        self,
        req: FlowRequest,
        flow: SettingsFlow,
        identity: Identity,
        session: Session,
        method: str,
    ) -> None:
        items: list[dict[str, Any]] = []
        if self.verification_enabled and self.send_verification is not None:
            items = list(await self.send_verification(req, identity, flow.type))
            if items and self.legacy_show_verification_ui:
                flow.continue_with.extend(items)
        for name in self.hooks_for(method):
            if name == "revoke_active_sessions":
                await self.sessions.revoke_others(session.identity_id, session.id)
            elif name == "show_verification_ui":
                if items and not self.legacy_show_verification_ui:
                    flow.continue_with.append(items[0])
            elif name != "web_hook":  # web hooks run at the flow's hook points
                log.warning("settings after-hook %r is not supported and was skipped", name)
