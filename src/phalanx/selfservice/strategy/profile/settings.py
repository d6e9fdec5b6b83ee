"""Trait updates in the settings flow (Kratos ``profile/strategy.go``).

Changing a trait that is a credential identifier, a verifiable address or a recovery
address is privileged; other trait changes are not.
"""

from __future__ import annotations

import copy
from typing import Any

from phalanx import text
from phalanx.identity.model import Identity
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.settings.flow import SettingsFlow
from phalanx.selfservice.flow.settings.strategy import SettingsResult, SettingsStrategy
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.traits import TraitForms
from phalanx.session.model import Session
from phalanx.ui import input_node

__all__ = ["ProfileSettings"]


class ProfileSettings(SettingsStrategy):
    id = "profile"

    def __init__(self, forms: TraitForms) -> None:
        self.forms = forms

    def populate(self, flow: SettingsFlow, identity: Identity) -> None:
        flow.ui.nodes.extend(
            self.forms.trait_nodes(
                group="profile", values=identity.traits, schema_id=identity.schema_id
            )
        )
        flow.ui.nodes.append(
            input_node(
                "method", "submit", group="profile", label=text.label_save(), value="profile"
            )
        )

    async def update(
        self, req: FlowRequest, flow: SettingsFlow, body: dict[str, Any], session: Session
    ) -> SettingsResult:
        assert session.identity is not None
        traits = body.get("traits")
        if not isinstance(traits, dict) or not traits:
            raise FlowValidationError(
                [text.validation_generic("Did not receive any value changes.")]
            )
        flow.ui.update_values(traits, prefix="traits", group="profile")
        before = copy.deepcopy(session.identity)
        self.forms.apply_extension(before)
        errors = self.forms.trait_errors(traits, schema_id=before.schema_id)
        if errors:
            raise FlowValidationError(node_messages=errors)
        identity = copy.deepcopy(before)
        identity.traits = traits
        self.forms.apply_extension(identity)
        privileged = self.forms.protected_fields_changed(before, identity)
        return SettingsResult(identity=identity, privileged=privileged, update_credentials=True)
