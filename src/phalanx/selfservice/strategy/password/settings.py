"""Password change in the settings flow (Kratos ``password/settings.go``).

Body: ``{"method": "password", "password": "..."}`` (JSON or form). The body's shape is
checked first (``Property password is missing.``, ``length must be >= 1, but got 0``),
then -- as in Kratos -- the session must be privileged before the password policy, the
"same as the old password" check and hashing run, so a stale session learns nothing
about the new password.
"""

from __future__ import annotations

import copy
from typing import Any

from phalanx import text
from phalanx.hash import PasswordHashing
from phalanx.identity.model import Credential, CredentialType, Identity
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.settings.flow import SettingsFlow
from phalanx.selfservice.flow.settings.strategy import (
    SettingsContext,
    SettingsResult,
    SettingsStrategy,
)
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.strategy.password.policy import PasswordPolicy
from phalanx.selfservice.traits import TraitForms
from phalanx.text.validation import validation_wrong_type
from phalanx.ui import Autocomplete, InputType, NodeGroup, input_node

__all__ = ["PasswordSettings"]

_JSON_TYPES = {bool: "boolean", int: "number", float: "number", list: "array", dict: "object"}


class PasswordSettings(SettingsStrategy):
    """The ``password`` cell of the settings flow."""

    id = "password"
    group = NodeGroup.PASSWORD

    def __init__(self, forms: TraitForms, hashing: PasswordHashing, policy: PasswordPolicy) -> None:
        self.forms = forms
        self.hashing = hashing
        self.policy = policy

    def populate(self, flow: SettingsFlow, identity: Identity) -> None:
        flow.ui.upsert(
            input_node(
                "password",
                InputType.PASSWORD,
                group=self.group,
                label=text.label_password(),
                required=True,
                autocomplete=Autocomplete.NEW_PASSWORD,
            )
        )
        flow.ui.append(
            input_node("method", "submit", group=self.group, label=text.label_save(), value=self.id)
        )

    def decode(self, req: FlowRequest, flow: SettingsFlow, body: dict[str, Any]) -> dict[str, Any]:
        """The settings password schema: ``password`` required, a string, ``minLength: 1``."""
        password = body.get("password")
        if "password" not in body:
            raise FlowValidationError(
                node_messages=[("password", text.validation_required("password"))]
            )
        if not isinstance(password, str):
            actual = "null" if password is None else _JSON_TYPES.get(type(password), "string")
            raise FlowValidationError(
                node_messages=[("password", validation_wrong_type(["string"], actual))]
            )
        if password == "":
            raise FlowValidationError(
                node_messages=[("password", text.validation_min_length(1, 0))]
            )
        return {"method": self.id, "password": password}

    async def apply(self, ctx: SettingsContext, payload: dict[str, Any]) -> SettingsResult:
        ctx.require_privileged()
        password = payload.get("password")
        if not isinstance(password, str) or not password:
            raise FlowValidationError(
                node_messages=[("password", text.validation_required("password"))]
            )
        identity = copy.deepcopy(ctx.identity)
        identifiers = self.forms.password_identifiers(identity)
        if not identifiers:
            raise FlowValidationError([text.identifier_missing()])
        violation = await self.policy.check(password, identifiers)
        if violation is not None:
            raise FlowValidationError(node_messages=[("password", violation)])
        existing = identity.credentials.get(CredentialType.PASSWORD)
        old_hash = existing.config.get("hashed_password") if existing else None
        if isinstance(old_hash, str) and old_hash and await self.hashing.verify(password, old_hash):
            raise FlowValidationError(node_messages=[("password", text.password_same_as_old())])
        hashed = await self.hashing.hash(password)
        if existing is None:
            identity.credentials[CredentialType.PASSWORD] = Credential(
                type=CredentialType.PASSWORD,
                identifiers=identifiers,
                config={"hashed_password": hashed},
                version=1,
            )
        else:
            # Replaced wholesale, as Kratos does: an imported hash's migration-hook flag
            # no longer applies to a password the user chose here.
            existing.config = {"hashed_password": hashed}
        return SettingsResult(identity=identity)
