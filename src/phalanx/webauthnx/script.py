"""``/.well-known/ory/webauthn.js``: the bytes served and the ``webauthn_script`` node whose
``integrity`` is the SHA-512 of exactly those bytes (Kratos ``webauthnx.NewWebAuthnScript``)."""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib import resources
from urllib.parse import urljoin

from phalanx.ui import UiNode
from phalanx.ui import script_node as _script_node

__all__ = ["SCRIPT_ID", "SCRIPT_PATH", "script_bytes", "script_integrity", "script_node"]

SCRIPT_PATH = "/.well-known/ory/webauthn.js"
SCRIPT_ID = "webauthn_script"


@cache
def script_bytes() -> bytes:
    return resources.files("phalanx.webauthnx").joinpath("webauthn.js").read_bytes()


@cache
def script_integrity() -> str:
    digest = hashlib.sha512(script_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode("ascii")


def script_node(public_url: str) -> UiNode:
    """The script node; its group is ``webauthn`` in passkey flows too."""
    src = urljoin(public_url, SCRIPT_PATH.lstrip("/"))
    return _script_node(SCRIPT_ID, src, group="webauthn", integrity=script_integrity())
