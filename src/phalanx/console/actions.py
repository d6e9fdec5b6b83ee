"""Actions on one identity: delete a credential, issue a recovery link or code.

* deleting a credential is ``DELETE /admin/identities/{id}/credentials/{type}``
  (:meth:`IdentityManager.delete_credential`, Kratos's rules included);
* recovery is ``POST /admin/recovery/{link,code}``
  (:meth:`RecoveryService.create_for_identity` with the method's configured lifespan).
  The link (and code) are shown once, in the answer to the POST, which is never cached and
  never redirected to: reloading the identity page does not show them again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import Response

from phalanx.clock import isoformat
from phalanx.console.identities import identity_id_of, not_found, show_identity_page
from phalanx.errors import KratosError
from phalanx.http.adapter import flow_request
from phalanx.selfservice.flow.base import FlowType

if TYPE_CHECKING:
    from phalanx.console.endpoint import Console

__all__ = ["delete_credential", "issue_recovery"]


async def delete_credential(console: Console) -> Response:
    """``POST /admin/ui/identities/{id}/credentials`` (``type``, ``identifier``)."""
    identity_id = identity_id_of(console)
    if identity_id is None:
        return not_found(console)
    manager = console.registry.identities
    try:
        await manager.delete_credential(
            identity_id, console.value("type"), identifier=console.value("identifier")
        )
    except KratosError as exc:
        try:
            identity = await manager.get(identity_id)
        except KratosError:
            return not_found(console)
        return await show_identity_page(
            console, identity, status=exc.code, error=exc.reason or exc.message
        )
    return console.redirect(f"identities/{identity_id}", done="credential")


async def issue_recovery(console: Console) -> Response:
    """``POST /admin/ui/identities/{id}/recovery`` (``method`` = ``link`` or ``code``)."""
    identity_id = identity_id_of(console)
    if identity_id is None:
        return not_found(console)
    registry = console.registry
    try:
        identity = await registry.identities.get(identity_id)
    except KratosError:
        return not_found(console)
    method = console.value("method")
    methods = registry.config.selfservice.methods
    lifespan = methods.code.config.lifespan if method == "code" else methods.link.config.lifespan
    try:
        req = await flow_request(console.request)
        result = await registry.recovery.create_for_identity(
            req, method, identity, lifespan, FlowType.BROWSER
        )
    except KratosError as exc:
        return await show_identity_page(
            console, identity, status=exc.code, error=exc.reason or exc.message
        )
    issued = {
        "method": method,
        "link": result.recovery_link,
        "code": result.recovery_code,
        "expires_at": isoformat(result.expires_at),
    }
    response = await show_identity_page(console, identity, issued=issued)
    response.headers["Cache-Control"] = "no-store"
    return response
