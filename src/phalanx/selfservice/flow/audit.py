"""What the self-service flows write to the audit log (``FlowEnvironment.audit``).

The flow services call it at their single success point and
:func:`~phalanx.selfservice.flow.handling.handle_submit_error` for failed sign-ins, so no
strategy records anything itself:

* login: ``login.succeeded`` (method, the session's AAL, refresh) / ``login.failed``
  (method, requested AAL, message or error ids);
* registration: ``registration.succeeded`` (method);
* settings: ``settings.updated`` (method, changed field names and credential types, never
  values), plus ``credential.added`` / ``credential.removed`` per credential type;
* recovery: ``recovery.succeeded`` (method);
* verification: ``verification.succeeded`` (method, channel ``email``/``sms``);
* admin recovery: ``recovery.code_issued`` / ``recovery.link_issued`` (method, lifespan).

Sessions issued, extended and revoked are recorded by the session manager, not here.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from phalanx.audit import AuditLog, EventType
from phalanx.audit.diff import identity_changes
from phalanx.errors import KratosError
from phalanx.selfservice.flow.base import Flow, FlowKind
from phalanx.selfservice.flow.errors import FlowValidationError

if TYPE_CHECKING:
    from phalanx.identity.model import Identity
    from phalanx.selfservice.request import FlowRequest
    from phalanx.session.model import Session

__all__ = ["FlowAudit"]

_SUCCEEDED = {
    FlowKind.LOGIN: EventType.LOGIN_SUCCEEDED,
    FlowKind.REGISTRATION: EventType.REGISTRATION_SUCCEEDED,
    FlowKind.RECOVERY: EventType.RECOVERY_SUCCEEDED,
    FlowKind.VERIFICATION: EventType.VERIFICATION_SUCCEEDED,
}


def _error_ids(error: Exception) -> list[Any]:
    if isinstance(error, FlowValidationError):
        ids: list[Any] = [m.id for m in error.messages]
        ids.extend(m.id for _, m in error.node_messages)
        return ids
    if isinstance(error, KratosError):
        return [error.error_id or error.code]
    return [type(error).__name__]


class FlowAudit:
    """Flow events; a no-op without an audit log."""

    def __init__(self, log: AuditLog | None = None) -> None:
        self.log = log

    async def succeeded(
        self,
        flow: Flow,
        identity_id: uuid.UUID,
        method: str | None,
        *,
        session: Session | None = None,
        **details: Any,
    ) -> None:
        """A login, registration, recovery or verification that succeeded."""
        if self.log is None:
            return
        if session is not None:
            details["aal"] = str(session.aal)
        await self.log.record(
            _SUCCEEDED[flow.kind],
            identity_id=identity_id,
            session_id=session.id if session is not None else None,
            flow_id=flow.id,
            details={"method": method, **details},
        )

    async def login_failed(self, req: FlowRequest, flow: Flow, error: Exception) -> None:
        if self.log is None or flow.kind != FlowKind.LOGIN:
            return
        method = req.body.get("method")
        await self.log.record(
            EventType.LOGIN_FAILED,
            outcome="failure",
            flow_id=flow.id,
            details={
                "method": method[:64] if isinstance(method, str) else None,
                "aal": getattr(flow, "requested_aal", None),
                "errors": _error_ids(error),
            },
        )

    async def recovery_issued(
        self, flow: Flow, identity_id: uuid.UUID, method: str, lifespan: timedelta
    ) -> None:
        """``POST /admin/recovery/{code,link}``: a recovery code or link was issued."""
        if self.log is None:
            return
        event = (
            EventType.RECOVERY_CODE_ISSUED if method == "code" else EventType.RECOVERY_LINK_ISSUED
        )
        await self.log.record(
            event,
            identity_id=identity_id,
            flow_id=flow.id,
            details={"method": method, "expires_in": str(lifespan)},
        )

    async def settings_updated(
        self, flow: Flow, before: Identity, after: Identity, method: str, session: Session
    ) -> None:
        """``settings.updated`` plus one ``credential.added``/``removed`` per type."""
        if self.log is None:
            return
        changes = identity_changes(before, after)
        events = [(EventType.SETTINGS_UPDATED, {"method": method, **changes.details()})]
        events += [
            (EventType.CREDENTIAL_ADDED, {"type": kind, "method": method})
            for kind in changes.credentials_added
        ]
        events += [
            (EventType.CREDENTIAL_REMOVED, {"type": kind, "method": method})
            for kind in changes.credentials_removed
        ]
        for event, details in events:
            await self.log.record(
                event,
                identity_id=after.id,
                session_id=session.id,
                flow_id=flow.id,
                details=details,
            )
