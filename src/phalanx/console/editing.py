"""Creating and editing identities from forms generated from the identity schema.

Both forms become the admin API's JSON bodies and go through its parsers
(:func:`parse_create_body`, :func:`parse_update_body`) and the manager
(``from_create_body`` + ``create``; ``apply_update_body`` + ``update``), exactly as
``POST /admin/identities`` and ``PUT /admin/identities/{id}``. Trait violations are shown
at their fields, other refusals (a taken identifier, bad metadata JSON) above the form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from phalanx.console.forms import (
    JsonFieldError,
    json_field,
    pretty_json,
    submitted_traits,
    trait_form,
)
from phalanx.console.identities import STATES, load_identity, not_found
from phalanx.errors import KratosError
from phalanx.http.guard import check_document
from phalanx.identity.payloads import parse_create_body, parse_update_body
from phalanx.web.sessions import display_name

if TYPE_CHECKING:
    from phalanx.console.endpoint import Console
    from phalanx.identity.model import Identity
    from phalanx.text import UiText

__all__ = ["create_form", "create_identity", "edit_form", "update_identity"]


def _schema_ids(console: Console) -> list[str]:
    return [s.id for s in console.registry.config.identity.schemas]


def _chosen_schema(console: Console, raw: str) -> str:
    ids = _schema_ids(console)
    default = console.registry.config.identity.default_schema_id
    return raw if raw in ids else (default if default in ids else ids[0])


def _error_text(error: KratosError) -> str:
    return error.reason or error.message


def _form_page(
    console: Console,
    template: str,
    title: str,
    *,
    schema_id: str,
    traits: Any,
    errors: list[tuple[str, UiText]] | None = None,
    error: str | None = None,
    status: int = 200,
    **context: Any,
) -> Response:
    return console.page(
        template,
        title,
        status=status,
        schema_id=schema_id,
        schema_ids=_schema_ids(console),
        states=STATES,
        view=trait_form(console.registry.forms, schema_id, values=traits, errors=errors),
        error=error,
        **context,
    )


async def create_form(console: Console) -> Response:
    """``GET /admin/ui/identities/new?schema=``."""
    schema_id = _chosen_schema(console, console.request.query_params.get("schema", ""))
    return _form_page(
        console,
        "create.html",
        "New identity",
        schema_id=schema_id,
        traits=None,
        state="active",
        metadata_public="",
        metadata_admin="",
    )


async def create_identity(console: Console) -> Response:
    """``POST /admin/ui/identities/new``: ``createIdentity`` from the form."""
    schema_id = _chosen_schema(console, console.value("schema_id"))
    forms = console.registry.forms
    traits = submitted_traits(forms, schema_id, console.form)
    again: dict[str, Any] = {
        "state": console.value("state") or "active",
        "metadata_public": console.value("metadata_public"),
        "metadata_admin": console.value("metadata_admin"),
    }
    errors = forms.trait_errors(traits, schema_id=schema_id)
    error: str | None = None
    if not errors:
        try:
            body: dict[str, Any] = {
                "schema_id": schema_id,
                "traits": traits,
                "state": again["state"],
                "metadata_public": json_field("metadata_public", again["metadata_public"]),
                "metadata_admin": json_field("metadata_admin", again["metadata_admin"]),
            }
            password = console.value("password")
            if password:
                body["credentials"] = {"password": {"config": {"password": password}}}
            check_document(body)  # the admin API's edge limits (depth, NUL characters)
            manager = console.registry.identities
            identity = await manager.create(await manager.from_create_body(parse_create_body(body)))
        except JsonFieldError as exc:
            error = f"{exc.field} is not valid JSON: {exc.reason}"
        except KratosError as exc:
            error = _error_text(exc)
        else:
            return console.redirect(f"identities/{identity.id}", done="created")
    return _form_page(
        console,
        "create.html",
        "New identity",
        status=400,
        schema_id=schema_id,
        traits=traits,
        errors=errors,
        error=error,
        **again,
    )


def _edit_page(console: Console, identity: Identity, **overrides: Any) -> Response:
    context: dict[str, Any] = {
        "traits": identity.traits,
        "state": str(identity.state),
        "metadata_public": pretty_json(identity.metadata_public),
        "metadata_admin": pretty_json(identity.metadata_admin),
        **overrides,
    }
    name = display_name({"id": str(identity.id), "traits": identity.traits})
    return _form_page(
        console,
        "edit.html",
        f"Edit {name}",
        schema_id=identity.schema_id,
        identity=identity,
        **context,
    )


async def edit_form(console: Console) -> Response:
    """``GET /admin/ui/identities/{id}/edit``."""
    identity = await load_identity(console)
    if identity is None:
        return not_found(console)
    return _edit_page(console, identity)


async def update_identity(console: Console) -> Response:
    """``POST /admin/ui/identities/{id}/edit``: ``updateIdentity`` (PUT) from the form."""
    identity = await load_identity(console)
    if identity is None:
        return not_found(console)
    forms = console.registry.forms
    traits = submitted_traits(forms, identity.schema_id, console.form)
    submitted = {
        "traits": traits,
        "state": console.value("state"),
        "metadata_public": console.value("metadata_public"),
        "metadata_admin": console.value("metadata_admin"),
    }
    errors = forms.trait_errors(traits, schema_id=identity.schema_id)
    if errors:
        return _edit_page(console, identity, errors=errors, status=400, **submitted)
    try:
        body = {
            "schema_id": identity.schema_id,
            "traits": traits,
            "state": submitted["state"],
            "metadata_public": json_field("metadata_public", submitted["metadata_public"]),
            "metadata_admin": json_field("metadata_admin", submitted["metadata_admin"]),
            "external_id": identity.external_id or "",
        }
        check_document(body)
        manager = console.registry.identities
        await manager.apply_update_body(identity, parse_update_body(body))
        await manager.update(identity)
    except JsonFieldError as exc:
        error = f"{exc.field} is not valid JSON: {exc.reason}"
    except KratosError as exc:
        error = _error_text(exc)
    else:
        return console.redirect(f"identities/{identity.id}", done="updated")
    fresh = await load_identity(console)
    return _edit_page(console, fresh or identity, error=error, status=400, **submitted)
