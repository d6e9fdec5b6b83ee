"""Container helpers behave like Kratos's ``container.Container``."""

from __future__ import annotations

from phalanx.schema import TraitError
from phalanx.text import label_save, settings_saved, validation_generic, validation_required
from phalanx.ui import UiContainer, csrf_node, flatten_values, input_node


def _container() -> UiContainer:
    ui = UiContainer(action="https://x/self-service/settings?flow=1")
    ui.append(input_node("traits.email", "email", group="profile", value="a@b.c"))
    ui.append(input_node("password", "password", group="password", value="secret"))
    ui.append(input_node("method", "submit", group="profile", value="profile", label=label_save()))
    return ui


def test_messages_are_omitted_when_empty() -> None:
    ui = UiContainer(action="https://x")
    assert ui.to_dict() == {"action": "https://x", "method": "POST", "nodes": []}
    ui.add_message(settings_saved())
    assert ui.to_dict()["messages"] == [settings_saved().to_dict()]
    assert UiContainer.from_dict(ui.to_dict()) == ui


def test_node_messages_and_missing_nodes() -> None:
    ui = _container()
    ui.add_node_message("traits.email", validation_generic("bad"))
    ui.add_node_message("", validation_generic("form-wide"))
    ui.add_node_message("traits.website", validation_required("website"))
    email = ui.find("traits.email")
    assert email is not None and email.messages == [validation_generic("bad")]
    assert ui.messages == [validation_generic("form-wide")]
    created = ui.find("traits.website")
    assert created is not None
    assert created.to_dict() == {
        "type": "input",
        "group": "default",
        "attributes": {
            "name": "traits.website",
            "type": "text",
            "disabled": False,
            "node_type": "input",
        },
        "messages": [validation_required("website").to_dict()],
        "meta": {},
    }


def test_attach_trait_errors() -> None:
    ui = _container()
    ui.attach_trait_errors(
        [
            TraitError("traits.email", validation_generic("x")),
            TraitError("", validation_generic("y")),
        ]
    )
    email = ui.find("traits.email")
    assert email is not None and [m.text for m in email.messages] == ["x"]
    assert [m.text for m in ui.messages] == ["y"]


def test_resets_keep_typed_values_but_never_passwords() -> None:
    ui = _container()
    ui.add_node_message("traits.email", validation_generic("x"))
    ui.add_message(validation_generic("y"))
    ui.reset_messages()
    assert ui.messages == [] and all(n.messages == [] for n in ui.nodes)
    ui.clear_passwords()
    password, email = ui.find("password"), ui.find("traits.email")
    assert password is not None and password.value is None
    assert email is not None and email.value == "a@b.c"
    ui.reset("method")
    method = ui.find("method")
    assert email.value is None and method is not None and method.value == "profile"
    ui.set_value("traits.email", "b@c.d")
    ui.reset_values("traits.email")
    assert email.value is None


def test_set_value_upsert_and_csrf() -> None:
    ui = _container()
    assert ui.set_value("traits.email", "new@b.c")
    assert not ui.set_value("traits.unknown", 1)
    assert ui.find("traits.unknown") is None
    assert not ui.set_value("traits.age", 3, group="profile")
    age = ui.find("traits.age")
    assert age is not None and age.attributes.to_dict()["type"] == "number"
    ui.set_csrf("a")
    ui.set_csrf("b")
    assert [n.to_dict() for n in ui.nodes if n.id == "csrf_token"] == [csrf_node("b").to_dict()]
    ui.remove("traits.age", "csrf_token")
    assert ui.find("traits.age") is None and ui.find("csrf_token") is None


def test_update_values_flattens_and_moves_groups() -> None:
    ui = _container()
    ui.append(input_node("traits.name.first", group="default"))
    ui.update_values(
        {"email": "x@y.z", "name": {"first": "A"}, "tags": ["a", "b"], "ok": True},
        prefix="traits",
        group="profile",
    )
    first = ui.find("traits.name.first")
    assert first is not None and first.value == "A" and first.group == "profile"
    tag = ui.find("traits.tags.1")
    assert tag is not None and tag.value == "b"
    ok = ui.find("traits.ok")
    assert ok is not None and ok.attributes.to_dict()["type"] == "checkbox"


def test_flatten_values() -> None:
    assert flatten_values({"a": {"b.c": 1, "d": []}, "e": [{"f": None}]}) == {
        "a.b\\.c": 1,
        "e.0.f": None,
    }
    assert flatten_values("x") == {}
    assert flatten_values({"a": 1}, "traits") == {"traits.a": 1}
