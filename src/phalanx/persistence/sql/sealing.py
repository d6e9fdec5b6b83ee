"""Credential secrets encrypted at rest (a Phalanx addition).

Kratos stores a TOTP credential as ``{"totp_url": "otpauth://...&secret=<BASE32>"}`` in
plain text. Phalanx keeps the same shape everywhere above the database -- strategies, the
admin API, imports -- but stores ``totp_url`` sealed with AES-256-GCM
(``phalanx.cipher``): ``"phalanx-sealed:" + hex(nonce || ciphertext || tag)``. The identity
pool seals on every write and opens on every read, so nothing else knows.

Keys: the 32-character ``secrets.cipher`` entries, then one key derived from each
``secrets.default`` entry (HMAC-SHA256, so a deployment without cipher secrets is still
protected). The first key seals; every key is tried when opening, so secrets can rotate. A
value stored before sealing existed (plain ``otpauth://``) is read as is and sealed at the
next write. A sealed value no key opens reads as an empty URL: the TOTP credential is then
unusable (and no longer counts as a second factor) instead of failing every request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from phalanx.cipher import AESCipher, CipherError

__all__ = ["SEALED_PREFIX", "CredentialSealer", "derived_keys"]

log = logging.getLogger("phalanx.sealing")

SEALED_PREFIX = "phalanx-sealed:"
#: credential type -> the config keys whose string values are sealed
_SEALED_FIELDS: Mapping[str, tuple[str, ...]] = {"totp": ("totp_url",)}
_LABEL = b"phalanx credential sealing v1"


def derived_keys(secrets: Sequence[str]) -> list[str]:
    """A 32-character AES key per secret (base64url of HMAC-SHA256(secret, label))."""
    out = []
    for secret in secrets:
        digest = hmac.new(secret.encode(), _LABEL, hashlib.sha256).digest()
        out.append(base64.urlsafe_b64encode(digest).decode()[:32])
    return out


class CredentialSealer:
    """Seals and opens the secret fields of credential configs."""

    def __init__(self, keys: Sequence[str]) -> None:
        usable = [k for k in keys if len(k.encode()) == 32]
        if not usable:
            raise ValueError("credential sealing needs at least one 32-character key")
        self._cipher = AESCipher(usable)

    def seal(self, ctype: str, config: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(config)
        for name in _SEALED_FIELDS.get(ctype, ()):
            value = out.get(name)
            if isinstance(value, str) and value and not value.startswith(SEALED_PREFIX):
                out[name] = SEALED_PREFIX + self._cipher.encrypt(value.encode())
        return out

    def open(self, ctype: str, config: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(config)
        for name in _SEALED_FIELDS.get(ctype, ()):
            value = out.get(name)
            if isinstance(value, str) and value.startswith(SEALED_PREFIX):
                try:
                    out[name] = self._cipher.decrypt(value[len(SEALED_PREFIX) :]).decode()
                except (CipherError, UnicodeDecodeError):
                    log.warning("a sealed %s credential could not be opened with any key", ctype)
                    out[name] = ""
        return out
