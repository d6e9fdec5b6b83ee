"""The settings flow of the seed document, rebuilt from the identity schema.

The seed (``seeds/003_*.txt`` of the reference set, see :mod:`tests.support.reference`;
the tests skip without it) was captured from an older Kratos. Phalanx answers
as Kratos v25.4 does; the only differences, applied to the seed JSON by :func:`as_v25_4`
before comparing, are:

* empty ``messages`` are ``[]`` (v25.4 never sends ``null``);
* attributes mirror the node type in ``node_type``;
* ``format: email`` inputs carry ``autocomplete: "email"``;
* generated labels (1070002) carry ``context: {"name", "title"}``;
* the format error reads ``"notanemail" is not valid "email"`` (ory/jsonschema's text since
  2023; the seed shows ``isn't valid``) and, like every 4000001, carries ``context.reason``;
* "Your changes have been saved!" (1050001) has type ``success``.

Everything else -- names, types, values, ``required``, ``disabled``, labels, order -- must be
exactly the seed's.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from phalanx.schema import keys_in_order, validate_traits
from phalanx.text import label_password, label_save, settings_saved
from phalanx.ui import UiContainer, UiNode, input_node, nodes_from_schema
from tests.support.openapi import load_spec, to_json_schema
from tests.support.reference import SETTINGS_SEED, require

SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "traits": {
            "type": "object",
            "properties": {
                "email": {
                    "type": "string",
                    "format": "email",
                    "title": "E-Mail",
                    "ory.sh/kratos": {
                        "credentials": {"password": {"identifier": True}},
                        "verification": {"via": "email"},
                    },
                },
                "name": {
                    "type": "object",
                    "properties": {
                        "first": {"type": "string", "title": "First Name"},
                        "last": {"type": "string", "title": "Last Name"},
                    },
                },
            },
        }
    },
}


def _seed_text() -> str:
    return require(SETTINGS_SEED).read_text(encoding="utf-8")


def _seed_objects() -> list[tuple[int, Any]]:
    text = _seed_text()
    decoder, found, pos, end = json.JSONDecoder(), [], 0, -1
    for line in text.split("\n"):
        if line == "{" and pos > end:
            try:
                value, end = decoder.raw_decode(text, pos)
            except json.JSONDecodeError:  # examples elided with /* ... */
                pass
            else:
                found.append((pos, value))
        pos += len(line) + 1
    return found


def _seed_nodes_between(start: str, stop: str) -> list[dict[str, Any]]:
    text = _seed_text()
    a = text.index(start)
    b = text.index(stop, a)
    return [v for pos, v in _seed_objects() if a < pos < b and "attributes" in v]


def _seed_flow() -> dict[str, Any]:
    flow: dict[str, Any] = next(
        v for _, v in _seed_objects() if "ui" in v and v["ui"].get("messages")
    )
    return flow


def _upgrade_message(message: dict[str, Any]) -> dict[str, Any]:
    out = dict(message)
    if out["id"] == 4000001:
        out["text"] = out["text"].replace(" isn't valid ", " is not valid ")
        out["context"] = {"reason": out["text"]}
    if out["id"] == 1050001:
        out["type"] = "success"
    return out


def as_v25_4(seed: dict[str, Any]) -> dict[str, Any]:
    """The seed node as Kratos v25.4 renders it (see the module docstring)."""
    node = copy.deepcopy(seed)
    old = node["attributes"]
    attrs = {k: old[k] for k in ("name", "type", "value", "required") if k in old}
    if old["type"] == "email":
        attrs["autocomplete"] = "email"
    attrs["disabled"] = old["disabled"]
    attrs["node_type"] = node["type"]
    node["attributes"] = attrs
    node["messages"] = [_upgrade_message(m) for m in node["messages"] or []]
    label = node["meta"].get("label")
    if label and label["id"] == 1070002:
        label["context"] = {"name": attrs["name"], "title": label["text"]}
    return node


def _profile_nodes(traits: dict[str, Any], *, validate: bool) -> list[UiNode]:
    ui = UiContainer(action="https://x")
    for node in nodes_from_schema(SCHEMA, group="profile", values=traits):
        ui.upsert(node)
    ui.append(input_node("method", "submit", group="profile", value="profile", label=label_save()))
    if validate:
        ui.attach_trait_errors(validate_traits(SCHEMA, traits))
    ui.sort(flow="settings", schema_keys=keys_in_order(SCHEMA))
    return ui.nodes


def _assert_same(ours: list[dict[str, Any]], seed: list[dict[str, Any]]) -> None:
    expected = [as_v25_4(n) for n in seed]
    assert ours == expected
    assert json.dumps(ours) == json.dumps(expected)  # key order too


def test_profile_nodes_with_a_format_error() -> None:
    seed = _seed_nodes_between("- Not An Email", "To change the password")
    assert [n["attributes"]["name"] for n in seed] == [
        "traits.email",
        "traits.name.first",
        "traits.name.last",
        "method",
    ]
    traits = {"email": "notanemail", "name": {"first": "", "last": ""}}
    _assert_same([n.to_dict() for n in _profile_nodes(traits, validate=True)], seed)


def test_profile_nodes_of_a_fresh_flow() -> None:
    seed = _seed_nodes_between("Update Profile", "The form fields depend")
    schema_email_only = copy.deepcopy(SCHEMA)
    del schema_email_only["properties"]["traits"]["properties"]["name"]
    ui = UiContainer(action="https://x")
    ui.nodes = nodes_from_schema(
        schema_email_only, group="profile", values={"email": "dev+docs.1625828760@ory.sh"}
    )
    ui.append(input_node("method", "submit", group="profile", value="profile", label=label_save()))
    _assert_same([n.to_dict() for n in ui.nodes], seed)


def _full_container(csrf: str, action: str) -> UiContainer:
    ui = UiContainer(action=action)
    # Strategies add their nodes in any order; sorting puts them where Kratos does.
    ui.append(
        input_node("method", "submit", group="password", value="password", label=label_save())
    )
    ui.append(
        input_node("password", "password", group="password", required=True, label=label_password())
    )
    for node in _profile_nodes(
        {"email": "notanemail", "name": {"first": "", "last": ""}}, validate=False
    ):
        if node.id == "method":
            ui.append(node)
        else:
            ui.upsert(node)
    ui.set_csrf(csrf)
    ui.add_message(settings_saved())
    ui.sort(flow="settings", schema_keys=keys_in_order(SCHEMA))
    return ui


def test_whole_settings_ui_after_a_successful_update() -> None:
    seed_ui = _seed_flow()["ui"]
    csrf = next(n for n in seed_ui["nodes"] if n["attributes"]["name"] == "csrf_token")
    ours = _full_container(csrf["attributes"]["value"], seed_ui["action"]).to_dict()
    assert ours["action"] == seed_ui["action"] and ours["method"] == seed_ui["method"]
    _assert_same(ours["nodes"], seed_ui["nodes"])
    assert ours["messages"] == [_upgrade_message(m) for m in seed_ui["messages"]]


@pytest.fixture(scope="module")
def ui_container_validator() -> Draft202012Validator:
    components = to_json_schema(load_spec()["components"])
    return Draft202012Validator(
        {"$ref": "#/components/schemas/uiContainer", "components": components}
    )


def test_rendered_ui_matches_the_openapi_schema(
    ui_container_validator: Draft202012Validator,
) -> None:
    ours = _full_container("tok", "https://x/self-service/settings?flow=1")
    ours.attach_trait_errors(validate_traits(SCHEMA, {"email": "nope"}))
    errors = list(ui_container_validator.iter_errors(ours.to_dict()))
    assert errors == []
