"""Identity forms of the console, generated from the identity schema.

The trait inputs are the same ``traits.*`` nodes registration and settings draw
(:meth:`TraitForms.trait_nodes`), rendered by the built-in UI's :func:`render_ui`;
submitted traits are typed by the schema as Kratos's form decoder does
(:func:`decode_form_traits`). What the form posts becomes the JSON body of the admin API
(``createIdentity`` / ``updateIdentity``) and goes through the same parser and manager.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from phalanx.selfservice.form import decode_form_traits
from phalanx.web.render import FlowView, render_ui

if TYPE_CHECKING:
    from phalanx.selfservice.traits import TraitForms
    from phalanx.text import UiText

__all__ = ["JsonFieldError", "json_field", "pretty_json", "submitted_traits", "trait_form"]


class JsonFieldError(ValueError):
    """A metadata field that is not JSON (its name and the parser's complaint)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def trait_form(
    forms: TraitForms,
    schema_id: str,
    *,
    values: Any = None,
    errors: list[tuple[str, UiText]] | None = None,
) -> FlowView:
    """The ``traits.*`` inputs of ``schema_id`` (with ``values`` and per-field ``errors``)."""
    nodes = forms.trait_nodes(group="default", values=values, schema_id=schema_id)
    by_name = {node.id: node for node in nodes}
    for name, message in errors or []:
        node = by_name.get(name)
        if node is not None:
            node.messages.append(message)
    ui = {"action": "", "method": "POST", "nodes": [n.to_dict() for n in nodes]}
    return render_ui(ui, flow="registration")


def submitted_traits(forms: TraitForms, schema_id: str, form: Mapping[str, Any] | None) -> Any:
    """The ``traits`` object of a decoded console form, typed by the identity schema."""
    traits = (form or {}).get("traits")
    return decode_form_traits(forms.raw_schema(schema_id), traits if traits is not None else {})


def json_field(name: str, raw: str) -> Any:
    """A metadata textarea: empty is ``null``, anything else must be JSON."""
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise JsonFieldError(name, str(exc)) from None


def pretty_json(value: Any) -> str:
    """Metadata as the textarea shows it (empty for ``null``)."""
    if value is None:
        return ""
    if isinstance(value, Mapping) and not value:
        return "{}"
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
