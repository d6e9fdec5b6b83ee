"""Identity pages: the list (keyset pages, identifier search, state and schema filters),
one identity, and its deletion (a confirmation page, then the POST).

Reads and writes go through :class:`~phalanx.identity.manager.IdentityManager`, as
``GET/DELETE /admin/identities`` do.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from phalanx.console.credentials import credential_rows
from phalanx.console.forms import pretty_json
from phalanx.errors import KratosError
from phalanx.identity.pool import IdentityListQuery
from phalanx.web.sessions import display_name, flatten_traits, trait_label, trait_titles

if TYPE_CHECKING:
    from phalanx.console.endpoint import Console
    from phalanx.identity.model import Identity

__all__ = [
    "PAGE_SIZE",
    "confirm_delete",
    "delete_identity",
    "identity_id_of",
    "list_identities",
    "load_identity",
    "show_identity",
    "show_identity_page",
]

PAGE_SIZE = 50
STATES = ("active", "inactive")
MATCHES = ("prefix", "exact")
#: Flash notices after a redirect (``?done=``).
NOTICES = {
    "created": "The identity was created.",
    "updated": "The identity was saved.",
    "deleted": "The identity was deleted.",
    "credential": "The credential was deleted.",
}


@dataclass(frozen=True, slots=True)
class IdentityRow:
    id: str
    name: str
    schema_id: str
    state: str
    created_at: str


def identity_id_of(console: Console) -> uuid.UUID | None:
    try:
        return uuid.UUID(console.request.path_params["id"])
    except ValueError:
        return None


def _uuid(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


async def list_identities(console: Console) -> Response:
    """``GET /admin/ui/identities?q=&match=&state=&schema=&after=``."""
    params = console.request.query_params
    q = params.get("q", "").strip()
    match = params.get("match", "prefix")
    match = match if match in MATCHES else "prefix"
    state = params.get("state", "")
    state = state if state in STATES else ""
    schemas = [s.id for s in console.registry.config.identity.schemas]
    schema = params.get("schema", "")
    schema = schema if schema in schemas else ""
    query = IdentityListQuery(
        page_size=PAGE_SIZE,
        page_token=_uuid(params.get("after", "")),
        credentials_identifier=q if q and match == "exact" else None,
        credentials_identifier_similar=q if q and match == "prefix" else None,
        state=state or None,
        schema_id=schema or None,
    )
    page = await console.registry.identities.list(query)
    rows = [
        IdentityRow(
            id=str(i.id),
            name=display_name({"id": str(i.id), "traits": i.traits}),
            schema_id=i.schema_id,
            state=str(i.state),
            created_at=i.created_at.isoformat(),
        )
        for i in page.identities
    ]
    filters = {"q": q, "match": match, "state": state, "schema": schema}
    next_url = (
        console.url("identities", **filters, after=str(page.next_token))
        if page.next_token is not None
        else None
    )
    first_url = console.url("identities", **filters) if query.page_token is not None else None
    return console.page(
        "identities.html",
        "Identities",
        rows=rows,
        filters=filters,
        states=STATES,
        schemas=schemas,
        next_url=next_url,
        first_url=first_url,
        notice=NOTICES.get(params.get("done", "")),
    )


def _traits(console: Console, identity: Identity) -> list[tuple[str, str]]:
    try:
        titles = trait_titles(console.registry.schemas.get(identity.schema_id).raw)
    except KratosError:  # the identity's schema is no longer configured
        titles = {}
    return [(trait_label(p, titles), v) for p, v in flatten_traits(identity.traits)]


async def show_identity_page(
    console: Console,
    identity: Identity,
    *,
    status: int = 200,
    error: str | None = None,
    issued: dict[str, Any] | None = None,
) -> Response:
    """The identity page (also the answer of a failed action, with ``error``)."""
    recovery_methods = [m for m in ("link", "code") if m in console.registry.recovery.strategies]
    return console.page(
        "identity.html",
        display_name({"id": str(identity.id), "traits": identity.traits}),
        status=status,
        identity=identity,
        traits=_traits(console, identity),
        metadata_public=pretty_json(identity.metadata_public),
        metadata_admin=pretty_json(identity.metadata_admin),
        credentials=credential_rows(identity),
        recovery_methods=recovery_methods,
        notice=NOTICES.get(console.request.query_params.get("done", "")),
        error=error,
        issued=issued,
    )


async def load_identity(console: Console) -> Identity | None:
    """The identity the path names, or None (bad id, unknown identity)."""
    identity_id = identity_id_of(console)
    if identity_id is None:
        return None
    try:
        return await console.registry.identities.get(identity_id)
    except KratosError:
        return None


def not_found(console: Console) -> Response:
    return console.page("missing.html", "Not found", status=404)


async def show_identity(console: Console) -> Response:
    """``GET /admin/ui/identities/{id}``."""
    identity = await load_identity(console)
    if identity is None:
        return not_found(console)
    return await show_identity_page(console, identity)


async def confirm_delete(console: Console) -> Response:
    """``GET /admin/ui/identities/{id}/delete``: the confirmation step."""
    identity = await load_identity(console)
    if identity is None:
        return not_found(console)
    name = display_name({"id": str(identity.id), "traits": identity.traits})
    return console.page("delete.html", f"Delete {name}?", identity=identity, name=name)


async def delete_identity(console: Console) -> Response:
    """``POST /admin/ui/identities/{id}/delete`` (``DELETE /admin/identities/{id}``)."""
    identity_id = identity_id_of(console)
    if identity_id is None:
        return not_found(console)
    try:
        await console.registry.identities.delete(identity_id)
    except KratosError:
        return not_found(console)
    return console.redirect("identities", done="deleted")
