"""An identity's sessions: devices (IP, user agent, location), AAL and methods; revoke
one, revoke all, extend.

The same calls as the admin API: ``GET /admin/identities/{id}/sessions``
(``session_store.page_for_identity``), ``DELETE /admin/sessions/{id}``
(``sessions.revoke``), ``DELETE /admin/identities/{id}/sessions``
(``sessions.delete_for_identity``) and ``PATCH /admin/sessions/{id}/extend``
(``sessions.extend``). Rows are drawn by the welcome page's :func:`describe_session`.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from starlette.responses import Response

from phalanx.console.identities import identity_id_of, not_found
from phalanx.errors import KratosError
from phalanx.web.sessions import describe_session, display_name

if TYPE_CHECKING:
    from phalanx.console.endpoint import Console

__all__ = ["extend_session", "identity_sessions", "revoke_all", "revoke_session"]

#: The most sessions one page lists (newest first).
MAX_SESSIONS = 100
NOTICES = {
    "revoked": "The session was revoked.",
    "revoked_all": "All sessions were revoked.",
    "extended": "The session was extended.",
    "not_extended": (
        "The session was not extended: sessions can be extended only within "
        "session.earliest_possible_extend of their expiry."
    ),
}


async def identity_sessions(console: Console) -> Response:
    """``GET /admin/ui/identities/{id}/sessions``."""
    identity_id = identity_id_of(console)
    if identity_id is None:
        return not_found(console)
    registry = console.registry
    try:
        identity = await registry.identities.get(identity_id, with_credentials=False)
    except KratosError:
        return not_found(console)
    items, total = await registry.session_store.page_for_identity(
        identity_id, active=None, offset=0, limit=MAX_SESSIONS
    )
    renderer = registry.session_renderer
    rows = []
    for session in items:
        wire = renderer.session(session, include_identity=False)
        rows.append((describe_session(wire), bool(wire.get("active"))))
    name = display_name({"id": str(identity.id), "traits": identity.traits})
    return console.page(
        "sessions.html",
        f"Sessions of {name}",
        identity=identity,
        rows=rows,
        total=total,
        notice=NOTICES.get(console.request.query_params.get("done", "")),
    )


def _session_id(console: Console) -> uuid.UUID | None:
    try:
        return uuid.UUID(console.value("session"))
    except ValueError:
        return None


async def revoke_session(console: Console) -> Response:
    """``POST /admin/ui/identities/{id}/sessions/revoke`` (``session``)."""
    identity_id, session_id = identity_id_of(console), _session_id(console)
    if identity_id is None or session_id is None:
        return not_found(console)
    session = await console.registry.session_store.get(session_id, with_identity=False)
    if session is None or session.identity_id != identity_id:
        return not_found(console)
    await console.registry.sessions.revoke(session_id)
    return console.redirect(f"identities/{identity_id}/sessions", done="revoked")


async def revoke_all(console: Console) -> Response:
    """``POST /admin/ui/identities/{id}/sessions/revoke-all``."""
    identity_id = identity_id_of(console)
    if identity_id is None:
        return not_found(console)
    await console.registry.sessions.delete_for_identity(identity_id)
    return console.redirect(f"identities/{identity_id}/sessions", done="revoked_all")


async def extend_session(console: Console) -> Response:
    """``POST /admin/ui/identities/{id}/sessions/extend`` (``session``)."""
    identity_id, session_id = identity_id_of(console), _session_id(console)
    if identity_id is None or session_id is None:
        return not_found(console)
    registry = console.registry
    session = await registry.session_store.get(session_id, with_identity=True)
    if session is None or session.identity_id != identity_id:
        return not_found(console)
    before = session.expires_at
    extended = await registry.sessions.extend(session)
    done = "extended" if extended.expires_at != before else "not_extended"
    return console.redirect(f"identities/{identity_id}/sessions", done=done)
