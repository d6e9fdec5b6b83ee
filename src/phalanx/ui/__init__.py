"""The UI node model exactly as Kratos serializes it (``ory/kratos:ui/node``, ``ui/container``).

* :class:`UiNode` with :class:`InputAttributes`, :class:`TextAttributes`,
  :class:`ImageAttributes`, :class:`AnchorAttributes`, :class:`ScriptAttributes`,
  :class:`DivAttributes`, and builders (:func:`input_node`, :func:`csrf_node`, ...);
* :class:`UiContainer` -- a flow's ``ui`` with Kratos's message and value helpers;
* :func:`nodes_from_schema` -- trait inputs generated from an identity schema;
* :func:`sort_nodes` -- the per-flow node order.
"""

from __future__ import annotations

from phalanx.ui.attributes import (
    AnchorAttributes,
    Attributes,
    DivAttributes,
    ImageAttributes,
    InputAttributes,
    ScriptAttributes,
    TextAttributes,
    attributes_from_dict,
)
from phalanx.ui.container import UiContainer, flatten_values
from phalanx.ui.from_schema import MAX_ENUM_OPTIONS, input_from_schema_path, nodes_from_schema
from phalanx.ui.node import (
    CSRF_TOKEN_NAME,
    Autocomplete,
    InputType,
    NodeGroup,
    NodeMeta,
    NodeType,
    UiNode,
    anchor_node,
    csrf_node,
    div_node,
    form_type_for,
    image_node,
    input_from_value,
    input_node,
    script_node,
    text_node,
)
from phalanx.ui.sort import FLOW_ORDERS, go_value_string, sort_nodes, sort_nodes_by

__all__ = [
    "CSRF_TOKEN_NAME",
    "FLOW_ORDERS",
    "MAX_ENUM_OPTIONS",
    "AnchorAttributes",
    "Attributes",
    "Autocomplete",
    "DivAttributes",
    "ImageAttributes",
    "InputAttributes",
    "InputType",
    "NodeGroup",
    "NodeMeta",
    "NodeType",
    "ScriptAttributes",
    "TextAttributes",
    "UiContainer",
    "UiNode",
    "anchor_node",
    "attributes_from_dict",
    "csrf_node",
    "div_node",
    "flatten_values",
    "form_type_for",
    "go_value_string",
    "image_node",
    "input_from_schema_path",
    "input_from_value",
    "input_node",
    "nodes_from_schema",
    "script_node",
    "sort_nodes",
    "sort_nodes_by",
    "text_node",
]
