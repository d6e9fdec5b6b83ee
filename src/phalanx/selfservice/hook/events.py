"""What a hook sees and what it may do, shared by ``web_hook`` and Python hooks.

* :class:`HookEvent` -- the flow kind, phase (``before``/``after``), method, the request,
  the flow's public JSON, and (after-hooks) the identity and session;
* :class:`HookInterrupt` -- stop the flow with messages on form nodes (Kratos's web hook
  ``messages`` reply): ``instance_ptr`` ``#/traits/email`` names node ``traits.email``,
  ``#/`` the form itself; nothing is written;
* :func:`apply_identity_changes` -- a hook's identity changes (Kratos ``response.parse``):
  each present, non-empty field replaces the identity's value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.text import UiText

if TYPE_CHECKING:
    from phalanx.identity.model import Identity
    from phalanx.selfservice.request import FlowRequest

__all__ = [
    "CHANGEABLE_FIELDS",
    "FlowName",
    "HookEvent",
    "HookInterrupt",
    "HookMessage",
    "Phase",
    "apply_identity_changes",
    "node_name",
]

FlowName = Literal["login", "registration", "settings", "recovery", "verification"]
Phase = Literal["before", "after"]

#: Identity fields a hook reply may replace (Kratos ``parseWebhookResponse``).
CHANGEABLE_FIELDS = ("traits", "schema_id", "state", "metadata_public", "metadata_admin")


@dataclass(frozen=True, slots=True)
class HookMessage:
    """One message for one node: ``instance_ptr`` is a JSON pointer (``#/traits/email``)."""

    instance_ptr: str
    text: str
    id: int = 4000001
    type: str = "error"
    context: Mapping[str, Any] | None = None

    def ui_text(self) -> UiText:
        kind: Literal["error", "info"] = "error" if self.type == "error" else "info"
        return UiText(self.id, self.text, kind, dict(self.context) if self.context else None)


def node_name(instance_ptr: str) -> str:
    """``#/traits/email`` -> ``traits.email``; ``#/`` and ``""`` -> ``""`` (the form)."""
    pointer = instance_ptr.removeprefix("#")
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/") if p]
    return ".".join(parts)


class HookInterrupt(FlowValidationError):
    """Raised by a hook to stop the flow; the messages land on the named nodes."""

    def __init__(self, messages: Sequence[HookMessage]) -> None:
        form: list[UiText] = []
        nodes: list[tuple[str, UiText]] = []
        for message in messages:
            name = node_name(message.instance_ptr)
            if name:
                nodes.append((name, message.ui_text()))
            else:
                form.append(message.ui_text())
        super().__init__(form, nodes)
        self.hook_messages = list(messages)

    @classmethod
    def on(cls, instance_ptr: str, text: str, *, id: int = 4000001) -> HookInterrupt:
        """One error message on one node: ``HookInterrupt.on("#/traits/email", "Blocked")``."""
        return cls([HookMessage(instance_ptr, text, id=id)])


def apply_identity_changes(identity: Identity, changes: Mapping[str, Any]) -> None:
    """Replace each present, non-empty changeable field; ``external_id`` when present."""
    for name in CHANGEABLE_FIELDS:
        value = changes.get(name)
        if value:  # Kratos: len(x) > 0
            if name == "state":
                identity.set_state(str(value))
            else:
                setattr(identity, name, value)
    if "external_id" in changes:
        external = changes["external_id"]
        identity.external_id = str(external) if external else None


@dataclass(slots=True)
class HookEvent:
    """One hook call. Python hooks may edit ``identity`` (traits, metadata) on after-hooks
    of registration and settings, before it is stored, and raise :class:`HookInterrupt`."""

    flow: FlowName
    phase: Phase
    method: str | None
    request: FlowRequest
    flow_json: dict[str, Any]
    identity: Identity | None = None
    session_json: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
