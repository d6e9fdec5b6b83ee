"""WebAuthn ceremonies shared by the ``webauthn`` and ``passkey`` methods (Kratos
``x/webauthnx``): the relying party from config, options JSON in go-webauthn's shape, the
challenge kept server-side, verification with py_webauthn, the stored credential JSON, the
``/.well-known/ory/webauthn.js`` script and the trigger nodes. Framework-free."""

from __future__ import annotations

from phalanx.webauthnx.ceremony import (
    CeremonyError,
    ResponseParseError,
    begin_login,
    begin_registration,
    finish_login,
    finish_registration,
    parse_assertion,
    response_user_handle,
)
from phalanx.webauthnx.credentials import WebAuthnConfig, WebAuthnKey
from phalanx.webauthnx.relying_party import RelyingParty, passkey_party, webauthn_party
from phalanx.webauthnx.script import SCRIPT_PATH, script_bytes, script_integrity, script_node

__all__ = [
    "SCRIPT_PATH",
    "CeremonyError",
    "RelyingParty",
    "ResponseParseError",
    "WebAuthnConfig",
    "WebAuthnKey",
    "begin_login",
    "begin_registration",
    "finish_login",
    "finish_registration",
    "parse_assertion",
    "passkey_party",
    "response_user_handle",
    "script_bytes",
    "script_integrity",
    "script_node",
    "webauthn_party",
]
