"""Backup codes in settings (Kratos ``lookup/settings.go``): the four buttons
``lookup_secret_regenerate``, ``…_confirm``, ``…_reveal`` and ``…_disable``.

* regenerate: 12 new codes are shown (the flow goes back to the UI, ``show_form``); only
  their digests are kept, in ``internal_context.lookup_secret_regenerated``;
* confirm: those digests become the credential (success, message 1050001) and the
  session gains ``{method: lookup_secret, aal: aal2}``;
* reveal: back to the UI with the list of codes -- which are left and which were used;
  Phalanx stores digests only, so a code that is left shows as ``********`` (Kratos shows
  the code itself);
* disable: the credential goes (success).

Each needs a privileged session.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from phalanx import text
from phalanx.identity.model import CredentialType, Identity
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.settings.flow import SettingsFlow
from phalanx.selfservice.flow.settings.strategy import (
    SettingsContext,
    SettingsResult,
    SettingsStrategy,
)
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.strategy.lookup.codes import (
    HIDDEN,
    NUM_CODES,
    codes_node,
    credential_for,
    new_codes,
    recovery_codes,
    seal,
)
from phalanx.session.model import AAL, AuthenticationMethod
from phalanx.ui import NodeGroup, UiNode, input_node

__all__ = ["LookupSettings"]

REGENERATED = "lookup_secret_regenerated"
REVEALED = "lookup_secret_revealed"
_ACTIONS = ("confirm", "reveal", "disable", "regenerate")  # Kratos's order of precedence
_NODES = (
    "lookup_secret_reveal",
    "lookup_secret_regenerate",
    "lookup_secret_codes",
    "lookup_secret_confirm",
    "lookup_secret_disable",
)


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.lower() in ("true", "1", "on", "t")


def _button(action: str, label: text.UiText) -> UiNode:
    return input_node(
        f"lookup_secret_{action}",
        "submit",
        group=NodeGroup.LOOKUP_SECRET,
        value="true",
        label=label,
    )


def _regenerate() -> UiNode:
    return _button("regenerate", text.settings_regenerate_lookup())


def _reveal() -> UiNode:
    return _button("reveal", text.settings_reveal_lookup())


def _disable() -> UiNode:
    return _button("disable", text.settings_disable_lookup())


def _confirm() -> UiNode:
    return _button("confirm", text.settings_lookup_confirm())


def _has_codes(identity: Identity) -> bool:
    """Kratos counts the method when ``recovery_codes`` is not empty (even all used)."""
    return bool(recovery_codes(identity.credentials.get(CredentialType.LOOKUP_SECRET)))


class LookupSettings(SettingsStrategy):
    """The ``lookup_secret`` method's settings cell."""

    id = "lookup_secret"
    group = NodeGroup.LOOKUP_SECRET

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = list(keys)

    def populate(self, flow: SettingsFlow, identity: Identity) -> None:
        if _has_codes(identity):
            flow.ui.upsert(_reveal())
            flow.ui.upsert(_disable())
        else:
            flow.ui.upsert(_regenerate())

    def handles(self, body: dict[str, Any]) -> bool:
        """Any of the four buttons makes this the method, whatever ``method`` says; without
        one the strategy is not responsible (even with ``method: lookup_secret``)."""
        return any(_truthy(body.get(f"lookup_secret_{a}")) for a in _ACTIONS)

    def decode(self, req: FlowRequest, flow: SettingsFlow, body: dict[str, Any]) -> dict[str, Any]:
        action = next(a for a in _ACTIONS if _truthy(body.get(f"lookup_secret_{a}")))
        return {"method": self.id, "action": action}

    async def apply(self, ctx: SettingsContext, payload: dict[str, Any]) -> SettingsResult:
        ctx.require_privileged()
        action = payload.get("action")
        identity = copy.deepcopy(ctx.identity)
        flow = ctx.flow
        if action == "confirm":
            return self._confirm(flow, identity)
        if action == "reveal":
            return self._reveal(flow, identity)
        if action == "disable":
            identity.credentials.pop(CredentialType.LOOKUP_SECRET, None)
            flow.ui.remove(*_NODES)
            flow.ui.upsert(_regenerate())
            flow.internal_context[REVEALED] = False
            flow.internal_context[REGENERATED] = {}
            return SettingsResult(identity=identity)
        return self._regenerate(flow, identity)

    def _confirm(self, flow: SettingsFlow, identity: Identity) -> SettingsResult:
        digests = flow.internal_context.get(REGENERATED)
        if not isinstance(digests, list) or len(digests) != NUM_CODES:
            raise FlowValidationError(
                [
                    text.validation_generic(
                        "You must (re-)generate recovery backup codes before you can save them."
                    )
                ]
            )
        identity.credentials[CredentialType.LOOKUP_SECRET] = credential_for(
            identity, [str(d) for d in digests]
        )
        flow.internal_context.pop(REGENERATED, None)
        return SettingsResult(
            identity=identity,
            authenticated=AuthenticationMethod(method=self.id, aal=AAL.AAL2),
        )

    def _reveal(self, flow: SettingsFlow, identity: Identity) -> SettingsResult:
        codes = recovery_codes(identity.credentials.get(CredentialType.LOOKUP_SECRET))
        if not codes:
            raise FlowValidationError(
                [text.validation_generic("Can not reveal lookup codes because you have none.")]
            )
        flow.ui.remove(*_NODES)
        flow.ui.upsert(codes_node([(HIDDEN, c.get("used_at")) for c in codes]))
        flow.ui.upsert(_disable())
        flow.ui.upsert(_regenerate())
        flow.internal_context[REVEALED] = True
        return SettingsResult(identity=identity, return_to_ui=True)

    def _regenerate(self, flow: SettingsFlow, identity: Identity) -> SettingsResult:
        codes = new_codes()
        flow.ui.remove(*_NODES)
        flow.ui.upsert(codes_node([(code, None) for code in codes]))
        flow.ui.upsert(_confirm())
        flow.internal_context[REGENERATED] = [seal(code, self.keys[0]) for code in codes]
        return SettingsResult(identity=identity, return_to_ui=True)
