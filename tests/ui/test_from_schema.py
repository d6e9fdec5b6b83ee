"""Inputs generated from identity schemas (``NodesFromJSONSchema``)."""

from __future__ import annotations

from typing import Any

from phalanx.ui import nodes_from_schema


def _schema(traits: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": "object", "properties": traits}
    if required:
        spec["required"] = required
    return {"type": "object", "properties": {"traits": spec}}


def test_types_formats_and_attributes() -> None:
    schema = _schema(
        {
            "email": {"type": "string", "format": "email", "title": "E-Mail"},
            "phone": {"type": "string", "format": "tel"},
            "site": {"type": "string", "format": "uri"},
            "born": {"type": "string", "format": "date"},
            "at": {"type": "string", "format": "date-time"},
            "re": {"type": "string", "format": "regex"},
            "age": {"type": "integer"},
            "score": {"type": "number"},
            "ok": {"type": "boolean"},
            "code": {"type": "string", "pattern": "^[0-9]{6}$"},
            "plan": {"type": "string", "enum": ["free", "pro"]},
            "locked": {"type": "string", "disableFormField": True},
            "password": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "meta": {"type": "object", "properties": {"x": {"type": "string"}}},
            "blob": {"type": "object"},
        },
        required=["email"],
    )
    nodes = {n.id: n.to_dict() for n in nodes_from_schema(schema, group="profile")}
    assert list(nodes) == sorted(nodes)  # path-name order, as Kratos lists paths
    assert "traits.meta" not in nodes and "traits.blob" not in nodes
    assert nodes["traits.email"] == {
        "type": "input",
        "group": "profile",
        "attributes": {
            "name": "traits.email",
            "type": "email",
            "required": True,
            "autocomplete": "email",
            "disabled": False,
            "node_type": "input",
        },
        "messages": [],
        "meta": {
            "label": {
                "id": 1070002,
                "text": "E-Mail",
                "type": "info",
                "context": {"name": "traits.email", "title": "E-Mail"},
            }
        },
    }

    def attrs(name: str) -> dict[str, Any]:
        result: dict[str, Any] = nodes[f"traits.{name}"]["attributes"]
        return result

    assert (attrs("phone")["type"], attrs("phone")["autocomplete"]) == ("tel", "tel")
    assert (attrs("site")["type"], attrs("site")["autocomplete"]) == ("url", "url")
    assert attrs("born")["type"] == "date"
    assert attrs("at")["type"] == "datetime-local"
    assert attrs("re")["type"] == "text"
    assert attrs("age")["type"] == attrs("score")["type"] == "number"
    assert attrs("ok")["type"] == "checkbox"
    assert attrs("code")["pattern"] == "^[0-9]{6}$"
    assert attrs("plan")["options"] == [{"value": "free"}, {"value": "pro"}]
    assert attrs("locked")["disabled"] is True
    assert attrs("password")["type"] == "text"  # only a top-level "password" path is secret
    assert attrs("tags")["type"] == "text"
    assert attrs("meta.x")["type"] == "text"
    assert nodes["traits.age"]["meta"] == {}


def test_enum_options_are_capped_and_optional() -> None:
    schema = _schema({"n": {"type": "integer", "enum": list(range(600))}})
    (node,) = nodes_from_schema(schema, group="profile")
    assert len(node.attributes.to_dict()["options"]) == 500
    (plain,) = nodes_from_schema(schema, group="profile", enum_options=False)
    assert "options" not in plain.attributes.to_dict()


def test_values_fill_nodes_and_extra_values_get_inputs() -> None:
    schema = _schema(
        {"email": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}}
    )
    nodes = nodes_from_schema(
        schema, group="profile", values={"email": "a@b.c", "tags": ["x"], "legacy": 3}
    )
    by_name = {n.id: n for n in nodes}
    assert by_name["traits.email"].value == "a@b.c"
    assert by_name["traits.tags"].value is None
    assert by_name["traits.tags.0"].value == "x"
    assert by_name["traits.legacy"].attributes.to_dict()["type"] == "number"


def test_prefix_selects_the_subtree() -> None:
    schema = {
        "type": "object",
        "properties": {
            "password": {"type": "string"},
            "traits": {"type": "object", "properties": {"a": {"type": "string"}}},
        },
    }
    assert [n.id for n in nodes_from_schema(schema, group="default")] == ["traits.a"]
    everything = nodes_from_schema(schema, group="default", prefix="")
    assert [(n.id, n.attributes.to_dict()["type"]) for n in everything] == [
        ("password", "password"),
        ("traits.a", "text"),
    ]
