"""Node order per flow (``SortBySchema``)."""

from __future__ import annotations

from phalanx.text import label_save, settings_totp_secret
from phalanx.ui import UiNode, csrf_node, input_node, sort_nodes, text_node


def _names(nodes: list[UiNode]) -> list[tuple[str, str]]:
    return [(n.group, n.id) for n in nodes]


def test_login_order() -> None:
    nodes = [
        input_node("method", "submit", group="password", value="password"),
        input_node("password", "password", group="password"),
        input_node("identifier", group="default"),
        input_node("provider", "submit", group="oidc", value="google"),
        input_node("provider", "submit", group="oidc", value="github"),
        csrf_node("t"),
        input_node("totp_code", group="totp"),
    ]
    assert _names(sort_nodes(nodes, flow="login")) == [
        ("oidc", "provider"),  # github < google by value
        ("oidc", "provider"),
        ("default", "csrf_token"),
        ("default", "identifier"),
        ("password", "password"),
        ("password", "method"),
        ("totp", "totp_code"),
    ]
    assert [n.value for n in sort_nodes(nodes, flow="login")[:2]] == ["github", "google"]


def test_registration_order_uses_password_login_order() -> None:
    nodes = [
        input_node("method", "submit", group="password", value="password"),
        input_node("traits.name.last", group="password"),
        input_node("password", "password", group="password"),
        input_node("traits.email", group="password"),
        input_node("traits.name.first", group="password"),
        csrf_node("t"),
    ]
    keys = ["traits.email", "traits.name.first", "traits.name.last"]
    assert [n.id for n in sort_nodes(nodes, flow="registration", schema_keys=keys)] == [
        "csrf_token",
        "traits.email",
        "password",
        "traits.name.first",
        "traits.name.last",
        "method",
    ]


def test_settings_order_and_unknown_groups_first() -> None:
    nodes = [
        input_node("totp_code", group="totp"),
        text_node("totp_secret_key", settings_totp_secret("S"), group="totp"),
        input_node("method", "submit", group="password", value="password", label=label_save()),
        input_node("password", "password", group="password"),
        input_node("method", "submit", group="profile", value="profile"),
        input_node("traits.name.first", group="profile"),
        input_node("traits.email", group="profile"),
        input_node("x", group="identifier_first"),
        csrf_node("t"),
    ]
    keys = ["traits.email", "traits.name.first"]
    assert _names(sort_nodes(nodes, flow="settings", schema_keys=keys)) == [
        ("identifier_first", "x"),
        ("default", "csrf_token"),
        ("profile", "traits.email"),
        ("profile", "traits.name.first"),
        ("profile", "method"),
        ("password", "password"),
        ("password", "method"),
        ("totp", "totp_secret_key"),
        ("totp", "totp_code"),
    ]


def test_recovery_keeps_order() -> None:
    nodes = [input_node("method", "submit", group="code", value="code"), csrf_node("t")]
    assert sort_nodes(nodes, flow="recovery") == nodes


def test_large_lists_follow_go_symmerge() -> None:
    # More than 20 nodes exercises the block merge; within a group, key order then value.
    nodes = [input_node(f"k{i % 7}", group="profile", value=str(i)) for i in range(45)]
    keys = [f"k{i}" for i in range(7)]
    out = sort_nodes(nodes, flow="settings", schema_keys=keys)
    expected = sorted(nodes, key=lambda n: (int(n.id[1:]), str(n.value)))
    assert [(n.id, n.value) for n in out] == [(n.id, n.value) for n in expected]
