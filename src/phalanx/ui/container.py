"""The ``ui`` object of every flow (``ory/kratos:ui/container/container.go``).

``{"action", "method", "nodes": [...], "messages": [...]}`` -- ``messages`` (form-wide) is
left out when empty. The helpers mirror Kratos's container operations:

* :meth:`UiContainer.add_message` -- a form-wide message;
* :meth:`UiContainer.add_node_message` -- a message on the node with that name; like Kratos's
  ``AddMessage``, when no such node exists a ``default``-group text input of that name is
  appended to carry it (an empty name means form-wide);
* :meth:`UiContainer.attach_trait_errors` -- schema validation errors by pointer;
* :meth:`UiContainer.reset_messages`, :meth:`UiContainer.reset`,
  :meth:`UiContainer.reset_values`, :meth:`UiContainer.clear_passwords` -- clean up before
  re-rendering a form after an error; typed values stay, password values never do;
* :meth:`UiContainer.update_values` -- ``UpdateNodeValuesFromJSON``: flattened JSON values onto
  the nodes of those names (and their group), new inputs for unknown names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from phalanx.schema.traits import TraitError
from phalanx.text import UiText
from phalanx.ui.attributes import InputAttributes
from phalanx.ui.node import (
    InputType,
    NodeGroup,
    UiNode,
    csrf_node,
    input_from_value,
    input_node,
)
from phalanx.ui.sort import sort_nodes

__all__ = ["UiContainer", "flatten_values"]


def flatten_values(value: Any, prefix: str = "") -> dict[str, Any]:
    """Dot-notation leaves of a JSON object (``jsonx.Flatten``); array items by index.

    Dots inside keys are escaped as ``\\.``; empty objects and arrays contribute nothing.
    """
    out: dict[str, Any] = {}

    def walk(node: Any, parents: list[str]) -> None:
        if isinstance(node, Mapping):
            for key, item in node.items():
                walk(item, [*parents, str(key).replace(".", "\\.")])
        elif isinstance(node, list | tuple):
            for index, item in enumerate(node):
                walk(item, [*parents, str(index)])
        else:
            out[".".join(parents)] = node

    if not isinstance(value, Mapping):
        return out
    walk(value, [prefix] if prefix else [])
    return out


@dataclass(slots=True)
class UiContainer:
    """A flow's form: where to post, how, its nodes and form-wide messages."""

    action: str
    method: str = "POST"
    nodes: list[UiNode] = field(default_factory=list)
    messages: list[UiText] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "action": self.action,
            "method": self.method,
            "nodes": [n.to_dict() for n in self.nodes],
        }
        if self.messages:
            out["messages"] = [m.to_dict() for m in self.messages]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UiContainer:
        return cls(
            action=str(data.get("action", "")),
            method=str(data.get("method", "POST")),
            nodes=[UiNode.from_dict(n) for n in data.get("nodes") or []],
            messages=[UiText.from_dict(m) for m in data.get("messages") or []],
        )

    # -- nodes -------------------------------------------------------------------------------

    def find(self, name: str) -> UiNode | None:
        """The first node named ``name`` (input name or element id)."""
        return next((n for n in self.nodes if n.id == name), None)

    def upsert(self, node: UiNode) -> None:
        """Replace the node of the same name, or append (``Nodes.Upsert``)."""
        for index, existing in enumerate(self.nodes):
            if existing.id == node.id:
                self.nodes[index] = node
                return
        self.nodes.append(node)

    def append(self, node: UiNode) -> None:
        self.nodes.append(node)

    def remove(self, *names: str) -> None:
        """Drop every node with one of ``names``."""
        self.nodes = [n for n in self.nodes if n.id not in names]

    def remove_matching(self, node: UiNode) -> None:
        """``Nodes.RemoveMatching``: drop nodes with ``node``'s name, group and value."""
        self.nodes = [
            n
            for n in self.nodes
            if not (n.id == node.id and n.group == node.group and n.value == node.value)
        ]

    def set_csrf(self, token: str) -> None:
        """Set (or replace) the ``csrf_token`` node (``SetCSRF``)."""
        self.upsert(csrf_node(token))

    def set_value(self, name: str, value: Any, *, group: str | None = None) -> bool:
        """Set the value of node ``name``; if there is none and ``group`` is given, add one.

        Returns whether the node existed.
        """
        node = self.find(name)
        if node is not None:
            node.attributes.set_value(value)
            return True
        if group is not None:
            self.nodes.append(input_from_value(name, value, group=group))
        return False

    def update_values(self, values: Any, *, prefix: str = "", group: str) -> None:
        """``UpdateNodeValuesFromJSON``: flatten ``values``, set them, move nodes to ``group``."""
        for name, value in flatten_values(values, prefix).items():
            node = self.find(name)
            if node is not None:
                node.attributes.set_value(value)
                node.group = str(group)
            else:
                self.upsert(input_from_value(name, value, group=group))

    # -- messages ----------------------------------------------------------------------------

    def add_message(self, text: UiText) -> None:
        """Add a form-wide message (``ui.messages``)."""
        self.messages.append(text)

    def add_node_message(self, name: str, text: UiText) -> None:
        """Add ``text`` to node ``name`` (form-wide if ``name`` is empty).

        A missing node is created as a ``default``-group text input carrying the message,
        exactly as Kratos's ``Container.AddMessage`` does.
        """
        if not name.strip():
            self.add_message(text)
            return
        node = self.find(name)
        if node is None:
            node = input_node(name, InputType.TEXT, group=NodeGroup.DEFAULT)
            self.nodes.append(node)
        node.messages.append(text)

    def attach_trait_errors(self, errors: Iterable[TraitError]) -> None:
        """Attach schema errors to the nodes their pointers name (``ParseError``)."""
        for error in errors:
            self.add_node_message(error.pointer, error.message)

    def reset_messages(self, *exclude: str) -> None:
        """Clear form-wide messages and those of every node not in ``exclude``."""
        self.messages = []
        for node in self.nodes:
            if node.id not in exclude:
                node.messages = []

    def reset(self, *exclude: str) -> None:
        """Clear all messages and every value except those of ``exclude`` (``Reset``)."""
        self.messages = []
        for node in self.nodes:
            node.messages = []
            if node.id not in exclude:
                node.attributes.reset()

    def reset_values(self, *names: str) -> None:
        """Clear the values of ``names`` (``ResetNodes``); of every input if none is given."""
        for node in self.nodes:
            if not names or node.id in names:
                node.attributes.reset()

    def reset_values_with_prefix(self, prefix: str) -> None:
        """Clear the values of nodes whose name starts with ``prefix``."""
        for node in self.nodes:
            if node.id.startswith(prefix):
                node.attributes.reset()

    def clear_passwords(self) -> None:
        """Never echo a password: clear the value of every ``type=password`` input."""
        for node in self.nodes:
            attributes = node.attributes
            if isinstance(attributes, InputAttributes) and attributes.type == InputType.PASSWORD:
                attributes.reset()

    # -- order -------------------------------------------------------------------------------

    def sort(self, flow: str, *, schema_keys: Sequence[str] = ()) -> None:
        """Sort the nodes in place as Kratos does for ``flow`` (see :mod:`phalanx.ui.sort`)."""
        self.nodes = sort_nodes(self.nodes, flow=flow, schema_keys=schema_keys)
