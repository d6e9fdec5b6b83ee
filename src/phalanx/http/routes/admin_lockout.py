"""``DELETE /admin/identities/{id}/lockout`` (Phalanx only): lift a sign-in lockout.

Clears the lockout state, the failure count and the per-identifier sign-in budget of
every identifier the identity signs in with (credential identifiers, verifiable and
recovery addresses) and of its second factors. 204 on success, Kratos's 404 envelope
for an unknown identity. A no-op when nothing is locked.
"""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from phalanx.audit import EventType
from phalanx.http.responses import NO_CACHE
from phalanx.http.state import registry_of
from phalanx.identity.manager import IdentityNotFoundError
from phalanx.identity.model import Identity
from phalanx.limits.keys import identity_subject

__all__ = ["identity_subjects", "routes", "unlock_identity"]


def identity_subjects(identity: Identity) -> list[str]:
    """Everything the limiter may have counted sign-ins of ``identity`` under."""
    subjects = [identity_subject(identity.id)]
    for credential in identity.credentials.values():
        subjects.extend(credential.identifiers)
    subjects.extend(a.value for a in identity.verifiable_addresses)
    subjects.extend(a.value for a in identity.recovery_addresses)
    return list(dict.fromkeys(s for s in subjects if s))


async def unlock_identity(request: Request) -> Response:
    try:
        identity_id = uuid.UUID(request.path_params["id"])
    except ValueError:
        raise IdentityNotFoundError() from None
    registry = registry_of(request)
    identity = await registry.identities.get(identity_id)
    await registry.limiter.unlock(identity_subjects(identity))
    await registry.audit.record(
        EventType.LOCKOUT_ENDED, identity_id=identity.id, details={"by": "admin_api"}
    )
    return Response(status_code=204, headers={"Cache-Control": NO_CACHE})


routes: list[BaseRoute] = [
    Route(
        "/admin/identities/{id}/lockout",
        unlock_identity,
        methods=["DELETE"],
        name="admin:identity:lockout",
    ),
]
