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
from phalanx.selfservice.form import decode_form_traits
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.traits import TraitForms
from phalanx.ui import NodeGroup, input_node

__all__ = ["ProfileSettings"]


class ProfileSettings(SettingsStrategy):
    """The ``profile`` cell of the settings flow."""

    id = "profile"
    group = NodeGroup.PROFILE

    def __init__(self, forms: TraitForms) -> None:
        self.forms = forms

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
        as_form = req.is_form or req.method == "GET"
        if "traits" not in body:
            if not as_form:
                raise FlowValidationError(
                    node_messages=[("traits", text.validation_required("traits"))]
                )
            body = {**body, "traits": {}}
        traits = body["traits"]
        if as_form:
            traits = decode_form_traits(self.forms.raw_schema(schema_id), traits)
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
