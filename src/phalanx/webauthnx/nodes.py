"""The flow UI nodes of WebAuthn and passkeys (Kratos ``x/webauthnx/nodes.go`` and
``passkey/nodes.go``), with the trigger names ``webauthn.js`` defines."""

from __future__ import annotations

import json
from typing import Any

from phalanx import text
from phalanx.clock import utcnow
from phalanx.text import UiText
from phalanx.ui import UiNode, input_node
from phalanx.webauthnx.credentials import WebAuthnKey

__all__ = [
    "go_json",
    "passkey_challenge",
    "passkey_create_data",
    "passkey_login_input",
    "passkey_login_trigger",
    "passkey_register_input",
    "passkey_register_trigger",
    "passkey_remove",
    "passkey_settings_register_input",
    "passkey_settings_register_trigger",
    "webauthn_display_name",
    "webauthn_login_input",
    "webauthn_login_trigger",
    "webauthn_register_input",
    "webauthn_register_trigger",
    "webauthn_remove",
]

_WEBAUTHN = "webauthn"
_PASSKEY = "passkey"


def go_json(value: Any) -> str:
    """``json.Marshal``: compact, with ``<``, ``>``, ``&``, U+2028/9 escaped."""
    out = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        out = out.replace(char, escaped)
    return out


def _trigger(name: str, group: str, function: str, label: UiText, options: str | None) -> UiNode:
    call = f"window.{function}({options or ''})"
    return input_node(
        name,
        "button",
        group=group,
        value=options if options is not None else None,
        label=label,
        onclick=call,
        onclick_trigger=function,
    )


# -- webauthn ----------------------------------------------------------------------------
def webauthn_login_trigger(options: str, label: UiText) -> UiNode:
    return _trigger("webauthn_login_trigger", _WEBAUTHN, "oryWebAuthnLogin", label, options)


def webauthn_login_input() -> UiNode:
    return input_node("webauthn_login", "hidden", group=_WEBAUTHN, value="")


def webauthn_register_trigger(options: str, label: UiText) -> UiNode:
    return _trigger(
        "webauthn_register_trigger", _WEBAUTHN, "oryWebAuthnRegistration", label, options
    )


def webauthn_register_input() -> UiNode:
    return input_node("webauthn_register", "hidden", group=_WEBAUTHN, value="")


def webauthn_display_name() -> UiNode:
    return input_node(
        "webauthn_register_displayname",
        "text",
        group=_WEBAUTHN,
        value="",
        label=text.settings_webauthn_display_name(),
    )


def webauthn_remove(key: WebAuthnKey, *, disabled: bool) -> UiNode:
    label = text.settings_remove_webauthn(key.display_name or "unnamed", key.added_at or utcnow())
    return input_node(
        "webauthn_remove",
        "submit",
        group=_WEBAUTHN,
        value=key.hex_id,
        label=label,
        disabled=disabled,
    )


# -- passkey -----------------------------------------------------------------------------
def passkey_challenge(options: str) -> UiNode:
    return input_node("passkey_challenge", "hidden", group=_PASSKEY, value=options)


def passkey_login_input(*, autocomplete: bool = True) -> UiNode:
    if not autocomplete:
        return input_node("passkey_login", "hidden", group=_PASSKEY)
    return input_node(
        "passkey_login",
        "hidden",
        group=_PASSKEY,
        onload="window.oryPasskeyLoginAutocompleteInit()",
        onload_trigger="oryPasskeyLoginAutocompleteInit",
    )


def passkey_login_trigger() -> UiNode:
    return input_node(
        "passkey_login_trigger",
        "button",
        group=_PASSKEY,
        value="",
        label=text.login_passkey(),
        onclick="window.oryPasskeyLogin()",
        onclick_trigger="oryPasskeyLogin",
    )


def passkey_create_data(value: str) -> UiNode:
    return input_node("passkey_create_data", "hidden", group=_PASSKEY, value=value)


def passkey_register_trigger() -> UiNode:
    return input_node(
        "passkey_register_trigger",
        "button",
        group=_PASSKEY,
        label=text.registration_passkey(),
        onclick="window.oryPasskeyRegistration()",
        onclick_trigger="oryPasskeyRegistration",
    )


def passkey_register_input() -> UiNode:
    return input_node("passkey_register", "hidden", group=_PASSKEY)


def passkey_settings_register_trigger() -> UiNode:
    return input_node(
        "passkey_register_trigger",
        "button",
        group=_PASSKEY,
        value="",
        label=text.settings_register_passkey(),
        onclick="window.oryPasskeySettingsRegistration()",
        onclick_trigger="oryPasskeySettingsRegistration",
    )


def passkey_settings_register_input() -> UiNode:
    return input_node("passkey_settings_register", "hidden", group=_PASSKEY)


def passkey_remove(key: WebAuthnKey, *, disabled: bool) -> UiNode:
    label = text.settings_remove_passkey(key.display_name or "unnamed", key.added_at or utcnow())
    return input_node(
        "passkey_remove",
        "submit",
        group=_PASSKEY,
        value=key.hex_id,
        label=label,
        disabled=disabled,
    )
