"""Trait updates in the settings flow (Kratos ``profile/strategy.go``).

Body: ``{"method": "profile", "traits": {...}}`` as JSON, or ``traits.<path>`` form fields
(typed by the identity schema: empty strings are left out, numbers and booleans parsed,
unknown fields dropped -- what Kratos's form decoder does). Only ``traits`` is read:
metadata, addresses and credentials cannot be written through this method.

The traits are validated against the identity schema first (errors land on the
``traits.*`` inputs, which keep the submitted values). Changing a trait that is a
credential identifier, a verifiable address or a recovery address then needs a
privileged session; other trait changes do not.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from phalanx import text
from phalanx.identity.model import Identity
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.settings.flow import SettingsFlow
from phalanx.selfservice.flow.settings.strategy import (
    SettingsContext,
    SettingsResult,
    SettingsStrategy,
)
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.traits import TraitForms
from phalanx.ui import NodeGroup, input_node

__all__ = ["ProfileSettings", "typed_form_traits"]

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _schema_type(schema: Mapping[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind if isinstance(kind, str) else None


def _parse_bool(value: str) -> bool | str:
    lowered = value.strip()
    if lowered in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if lowered in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return value


def _parse_number(value: str, integer: bool) -> float | int | str:
    try:
        number = float(value)
    except ValueError:
        return value
    if number.is_integer() and (integer or "." not in value):
        return int(number)
    return number


def typed_form_traits(schema: Mapping[str, Any], values: Any) -> Any:
    """Form-field traits typed by the identity schema (Kratos's form decoder).

    ``schema`` is the ``traits`` sub-schema. Strings stay strings (empty ones are dropped),
    ``number``/``integer`` and ``boolean`` leaves are parsed (unparseable values are kept so
    schema validation reports them), keys the schema does not know are dropped.
    """
    if not isinstance(values, Mapping):
        return values
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return dict(values)
    required = set(schema.get("required") or ())
    out: dict[str, Any] = {}
    for key, value in values.items():
        sub = properties.get(key)
        if not isinstance(sub, Mapping):
            continue
        kind = _schema_type(sub)
        if isinstance(value, Mapping):
            out[key] = typed_form_traits(sub, value)
            continue
        if not isinstance(value, str):
            out[key] = value
            continue
        if kind in ("number", "integer"):
            if value == "":
                if key in required:
                    out[key] = 0
                continue
            out[key] = _parse_number(value, kind == "integer")
        elif kind == "boolean":
            if value == "":
                if key in required:
                    out[key] = False
                continue
            out[key] = _parse_bool(value)
        elif value != "":
            out[key] = value
    return out


class ProfileSettings(SettingsStrategy):
    """The ``profile`` cell of the settings flow."""

    id = "profile"
    group = NodeGroup.PROFILE

    def __init__(self, forms: TraitForms) -> None:
        self.forms = forms

    def _traits_schema(self, schema_id: str) -> Mapping[str, Any]:
        raw = self.forms.schemas.get(schema_id or self.forms.identities.default_schema_id).raw
        traits = raw.get("properties", {}).get("traits", {})
        return traits if isinstance(traits, Mapping) else {}

    def populate(self, flow: SettingsFlow, identity: Identity) -> None:
        for node in self.forms.trait_nodes(group=self.group, schema_id=identity.schema_id):
            flow.ui.upsert(node)
        flow.ui.update_values(identity.traits, prefix="traits", group=self.group)
        flow.ui.append(
            input_node("method", "submit", group=self.group, label=text.label_save(), value=self.id)
        )

    def _hydrate(self, flow: SettingsFlow, traits: Any) -> None:
        """Kratos ``hydrateForm``: the trait inputs show what was submitted."""
        flow.ui.reset_values_with_prefix("traits.")
        flow.ui.update_values(traits, prefix="traits", group=self.group)

    def decode(self, req: FlowRequest, flow: SettingsFlow, body: dict[str, Any]) -> dict[str, Any]:
        assert flow.identity is not None
        schema_id = flow.identity.schema_id
        if "traits" not in body:
            content_type = req.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type not in _FORM_TYPES and req.method != "GET":
                raise FlowValidationError(
                    node_messages=[("traits", text.validation_required("traits"))]
                )
            body = {**body, "traits": {}}
        traits = body["traits"]
        content_type = req.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type in _FORM_TYPES or req.method == "GET":
            traits = typed_form_traits(self._traits_schema(schema_id), traits)
        self._hydrate(flow, traits)
        errors = self.forms.trait_errors(traits, schema_id=schema_id)
        if errors:
            raise FlowValidationError(node_messages=errors)
        return {"method": self.id, "traits": traits}

    async def apply(self, ctx: SettingsContext, payload: dict[str, Any]) -> SettingsResult:
        traits = payload.get("traits")
        if not traits and traits != {}:
            raise FlowValidationError(
                [text.validation_generic("Did not receive any value changes.")]
            )
        self._hydrate(ctx.flow, traits)
        before = ctx.identity
        updated = copy.deepcopy(before)
        updated.traits = traits if isinstance(traits, dict) else {}
        self.forms.apply_extension(updated)
        if self.forms.protected_fields_changed(before, updated):
            ctx.require_privileged()
        return SettingsResult(identity=updated)
