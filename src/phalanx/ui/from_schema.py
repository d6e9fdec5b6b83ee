"""Form fields generated from an identity schema (``NodesFromJSONSchema``).

One input per property path (objects themselves and JSON-typed leaves get none), named
``traits.<dot.path>``, with:

* ``type``: ``number`` for numbers/integers, ``checkbox`` for booleans, ``password`` for a
  path named ``password``, otherwise ``text``; then by ``format``: ``email`` (+ autocomplete
  ``email``), ``tel`` (+ ``tel``), ``date``, ``date-time`` -> ``datetime-local``, ``uri`` ->
  ``url`` (+ ``url``);
* ``required`` when the declaring object lists the property; ``pattern`` from ``pattern``;
* ``options`` (``[{"value": ...}]``, at most 500) from ``enum``;
* ``disabled`` from the custom ``"disableFormField": true``;
* ``meta.label`` = 1070002 with the ``title`` (context ``{title, name}``) when there is one.

Nodes come in path-name order, as Kratos lists them; sort them with :mod:`phalanx.ui.sort`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from phalanx.schema.paths import PathKind, SchemaPath, list_paths
from phalanx.text import label_generated
from phalanx.ui.attributes import InputAttributes
from phalanx.ui.container import flatten_values
from phalanx.ui.node import (
    Autocomplete,
    InputType,
    NodeMeta,
    UiNode,
    form_type_for,
    input_from_value,
)

__all__ = ["MAX_ENUM_OPTIONS", "input_from_schema_path", "nodes_from_schema"]

MAX_ENUM_OPTIONS = 500

_FORMATS: dict[str, tuple[str, str | None]] = {
    "date-time": (InputType.DATETIME_LOCAL, None),
    "email": (InputType.EMAIL, Autocomplete.EMAIL),
    "tel": (InputType.TEL, Autocomplete.TEL),
    "date": (InputType.DATE, None),
    "uri": (InputType.URL, Autocomplete.URL),
    "regex": (InputType.TEXT, None),
}

_PROTOTYPES: dict[PathKind, Any] = {
    PathKind.NUMBER: 0.0,
    PathKind.INTEGER: 0.0,
    PathKind.BOOLEAN: False,
}


def input_from_schema_path(
    path: SchemaPath, name: str, *, group: str, enum_options: bool = True
) -> UiNode:
    """The input for one schema path (``NewInputFieldFromSchema``)."""
    kind = path.kind if path.kind is not None else PathKind.STRING
    attributes = InputAttributes(
        name=name,
        type=str(form_type_for(path.name, _PROTOTYPES.get(kind, ""))),
        required=path.required,
    )
    if path.format in _FORMATS:
        input_type, autocomplete = _FORMATS[path.format]
        attributes.type = str(input_type)
        if autocomplete is not None:
            attributes.autocomplete = str(autocomplete)
    if enum_options and path.enum:
        attributes.options = list(path.enum[:MAX_ENUM_OPTIONS])
    if path.pattern is not None:
        attributes.pattern = path.pattern
    disabled = path.extensions.get("disableFormField")
    if isinstance(disabled, bool):
        attributes.disabled = disabled
    label = label_generated(path.title, name) if path.title else None
    return UiNode(group=str(group), attributes=attributes, meta=NodeMeta(label))


def nodes_from_schema(
    schema: Mapping[str, Any],
    *,
    group: str,
    prefix: str = "traits",
    values: Any = None,
    enum_options: bool = True,
) -> list[UiNode]:
    """Inputs for the properties under ``prefix`` of an identity schema.

    ``schema`` is the whole identity schema; with ``prefix="traits"`` the nodes are the
    trait fields (``traits.email``, ``traits.name.first``), with ``prefix=""`` every property
    path of the schema. ``values`` (the traits object) are flattened onto the nodes;
    values without a field get a plain input of their own, as Kratos does.
    """
    wanted = f"{prefix}." if prefix else ""
    nodes: list[UiNode] = []
    for path in list_paths(schema):
        if path.kind is PathKind.JSON or not path.name.startswith(wanted):
            continue
        nodes.append(
            input_from_schema_path(path, path.name, group=group, enum_options=enum_options)
        )
    if values is not None:
        for name, value in flatten_values(values, prefix).items():
            node = next((n for n in nodes if n.id == name), None)
            if node is not None:
                node.attributes.set_value(value)
            else:
                nodes.append(input_from_value(name, value, group=group))
    return nodes
