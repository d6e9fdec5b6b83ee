"""The ``oidc`` group's nodes (Kratos ``form.go`` ``AddProvider`` and ``nodes.go``)."""

from __future__ import annotations

from phalanx import text
from phalanx.text import UiText
from phalanx.ui import UiContainer, UiNode, input_node

__all__ = ["GROUP", "add_provider", "link_node", "unlink_node"]

GROUP = "oidc"


def add_provider(ui: UiContainer, provider_id: str, label: UiText) -> None:
    """A ``provider`` submit button (replacing one with the same value)."""
    node = input_node("provider", "submit", group=GROUP, value=provider_id, label=label)
    ui.nodes = [
        n
        for n in ui.nodes
        if not (n.group == GROUP and n.id == "provider" and n.value == provider_id)
    ]
    ui.append(node)


def link_node(provider_id: str, label: str) -> UiNode:
    """``oidc/link`` with 1050002 "Link <label>"."""
    return input_node(
        "link", "submit", group=GROUP, value=provider_id, label=text.settings_link_oidc(label)
    )


def unlink_node(provider_id: str, label: str) -> UiNode:
    """``oidc/unlink`` with 1050003 "Unlink <label>"."""
    return input_node(
        "unlink", "submit", group=GROUP, value=provider_id, label=text.settings_unlink_oidc(label)
    )
