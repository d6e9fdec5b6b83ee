"""Node serialization follows Kratos's key order and omit rules."""

from __future__ import annotations

from typing import Any

import pytest

from phalanx.text import label_password, settings_totp_secret, validation_required
from phalanx.ui import (
    InputAttributes,
    NodeType,
    UiNode,
    anchor_node,
    csrf_node,
    div_node,
    image_node,
    input_from_value,
    input_node,
    script_node,
    text_node,
)


def test_csrf_node_matches_the_contract() -> None:
    assert csrf_node("tok").to_dict() == {
        "type": "input",
        "group": "default",
        "attributes": {
            "name": "csrf_token",
            "type": "hidden",
            "value": "tok",
            "required": True,
            "disabled": False,
            "node_type": "input",
        },
        "messages": [],
        "meta": {},
    }


def test_input_key_order_and_omissions() -> None:
    node = input_node(
        "password", "password", group="password", required=True, label=label_password()
    )
    data = node.to_dict()
    assert list(data) == ["type", "group", "attributes", "messages", "meta"]
    assert data["attributes"] == {
        "name": "password",
        "type": "password",
        "required": True,
        "disabled": False,
        "node_type": "input",
    }
    assert data["meta"] == {"label": {"id": 1070001, "text": "Password", "type": "info"}}
    full = InputAttributes(
        name="webauthn_register_trigger",
        type="button",
        value="",
        required=True,
        autocomplete="username webauthn",
        label=label_password(),
        pattern="^a$",
        disabled=True,
        onclick="x()",
        onclick_trigger="oryWebAuthnRegistration",
        onload="y()",
        onload_trigger="oryPasskeyLoginAutocompleteInit",
        maxlength=6,
        options=["a", 1],
    ).to_dict()
    assert list(full) == [
        "name",
        "type",
        "value",
        "required",
        "autocomplete",
        "label",
        "pattern",
        "disabled",
        "onclick",
        "onclickTrigger",
        "onload",
        "onloadTrigger",
        "maxlength",
        "options",
        "node_type",
    ]
    assert full["value"] == ""
    assert full["options"] == [{"value": "a"}, {"value": 1}]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("traits.age", 3, "number"),
        ("traits.age", 2.5, "number"),
        ("traits.ok", True, "checkbox"),
        ("traits.email", "a@b.c", "text"),
        ("password", "secret", "password"),
        ("csrf_token", "x", "hidden"),
        ("traits.x", None, "text"),
    ],
)
def test_input_from_value_guesses_the_type(name: str, value: Any, expected: str) -> None:
    assert input_from_value(name, value, group="profile").attributes.to_dict()["type"] == expected


def test_other_node_types() -> None:
    secret = settings_totp_secret("JBSWY3DP")
    assert text_node("totp_secret_key", secret, group="totp").to_dict() == {
        "type": "text",
        "group": "totp",
        "attributes": {"text": secret.to_dict(), "id": "totp_secret_key", "node_type": "text"},
        "messages": [],
        "meta": {},
    }
    assert image_node("totp_qr", "data:image/png;base64,AA", group="totp").to_dict()[
        "attributes"
    ] == {
        "src": "data:image/png;base64,AA",
        "id": "totp_qr",
        "width": 256,
        "height": 256,
        "node_type": "img",
    }
    link = anchor_node("a", "https://x", group="default", title=label_password()).to_dict()
    assert link["type"] == "a"
    assert list(link["attributes"]) == ["href", "title", "id", "node_type"]
    script = script_node(
        "webauthn_script",
        "https://x/webauthn.js",
        group="webauthn",
        integrity="sha512-x",
        nonce="n",
    )
    assert script.to_dict()["attributes"] == {
        "src": "https://x/webauthn.js",
        "async": True,
        "referrerpolicy": "no-referrer",
        "crossorigin": "anonymous",
        "integrity": "sha512-x",
        "type": "text/javascript",
        "id": "webauthn_script",
        "nonce": "n",
        "node_type": "script",
    }
    assert len(script_node("s", "x", group="webauthn").attributes.to_dict()["nonce"]) == 36
    assert div_node("d", group="default").to_dict()["attributes"] == {"id": "d", "node_type": "div"}
    assert div_node("d", group="default", class_="c", data={"k": "v"}).to_dict()["attributes"] == {
        "class": "c",
        "id": "d",
        "data": {"k": "v"},
        "node_type": "div",
    }


def test_round_trip_through_json() -> None:
    nodes = [
        csrf_node("tok"),
        input_node("traits.email", "email", group="profile", value="a@b.c", autocomplete="email"),
        text_node("t", settings_totp_secret("S"), group="totp"),
        image_node("i", "data:x", group="totp"),
        anchor_node("a", "https://x", group="default", title=label_password()),
        script_node("s", "https://x", group="webauthn", nonce="n"),
        div_node("d", group="default", data={}),
    ]
    nodes[1].messages.append(validation_required("email"))
    for node in nodes:
        again = UiNode.from_dict(node.to_dict())
        assert again.to_dict() == node.to_dict()
        assert again.type == node.type
    assert nodes[2].type is NodeType.TEXT
    with pytest.raises(ValueError, match="unexpected node type"):
        UiNode.from_dict({"type": "video", "group": "default", "attributes": {}})
