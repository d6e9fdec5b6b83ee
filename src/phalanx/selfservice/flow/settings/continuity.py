"""Resume a settings change after a refresh login (Kratos's ``continuity`` containers).

When a browser submits a privileged change with a session that is too old, Kratos
pauses the submitted payload, sends the browser to ``login/browser?refresh=true`` and,
when the browser comes back to ``GET /self-service/settings?flow=<id>``, applies the
paused payload. Kratos keeps the payload in a ``continuity_containers`` row referenced
by an ``ory_kratos_continuity`` cookie; Phalanx keeps it in the settings flow's
``internal_context``, bound to the session (the session cookie is the browser binding)
and to the identity, for 15 minutes.

The payload may hold a new password, so it is sealed: encrypted with an HMAC-SHA256
keystream and authenticated with HMAC-SHA256 (encrypt-then-MAC), keys derived from
``secrets.cookie``; the flow id, method and session id are bound into the tag.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import orjson

from phalanx.clock import utcnow
from phalanx.selfservice.flow.settings.flow import SettingsFlow
from phalanx.session.model import Session

__all__ = ["CONTINUITY_LIFESPAN", "Continuity"]

#: How long a paused change can be resumed (Kratos ``settings.ContinuityOptions``).
CONTINUITY_LIFESPAN = timedelta(minutes=15)
_KEY = "settings_continuity"
_NONCE = 16
_TAG = 32


def _derive(secret: str, purpose: bytes) -> bytes:
    return hmac.new(
        secret.encode(), b"phalanx/settings-continuity/" + purpose, hashlib.sha256
    ).digest()


def _keystream(key: bytes, nonce: bytes, size: int) -> bytes:
    blocks = []
    for counter in range((size + 31) // 32):
        blocks.append(hmac.new(key, nonce + counter.to_bytes(8, "big"), hashlib.sha256).digest())
    return b"".join(blocks)[:size]


def _xor(data: bytes, stream: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, stream, strict=True))


class Continuity:
    """Pause and resume settings payloads on a flow. ``keys``: ``secrets.cookie``
    (``[0]`` seals, all unseal, so rotating the secret keeps pending changes)."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one secret is needed")
        self.keys = list(keys)

    @staticmethod
    def _bound(flow: SettingsFlow, method: str, session: Session) -> bytes:
        return f"{flow.id}|{method}|{session.id}|{session.identity_id}".encode()

    def _seal(self, plaintext: bytes, bound: bytes) -> str:
        secret = self.keys[0]
        nonce = secrets.token_bytes(_NONCE)
        body = _xor(plaintext, _keystream(_derive(secret, b"enc"), nonce, len(plaintext)))
        tag = hmac.new(_derive(secret, b"mac"), bound + b"|" + nonce + body, hashlib.sha256)
        return base64.urlsafe_b64encode(nonce + body + tag.digest()).decode()

    def _unseal(self, sealed: str, bound: bytes) -> bytes | None:
        try:
            raw = base64.urlsafe_b64decode(sealed.encode())
        except (ValueError, TypeError):
            return None
        if len(raw) < _NONCE + _TAG:
            return None
        nonce, body, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
        for secret in self.keys:
            expected = hmac.new(
                _derive(secret, b"mac"), bound + b"|" + nonce + body, hashlib.sha256
            )
            if hmac.compare_digest(expected.digest(), tag):
                return _xor(body, _keystream(_derive(secret, b"enc"), nonce, len(body)))
        return None

    def pause(
        self, flow: SettingsFlow, method: str, session: Session, payload: dict[str, Any]
    ) -> None:
        """Remember ``payload`` for ``method`` until the session has been refreshed."""
        containers = dict(flow.internal_context.get(_KEY) or {})
        containers[method] = {
            "expires_at": int((utcnow() + CONTINUITY_LIFESPAN).timestamp()),
            "sealed": self._seal(orjson.dumps(payload), self._bound(flow, method, session)),
        }
        flow.internal_context[_KEY] = containers

    def resume(self, flow: SettingsFlow, method: str, session: Session) -> dict[str, Any] | None:
        """Take (and forget) the payload paused for ``method`` by this session, if any.

        A container sealed for another session stays untouched; an expired one is dropped.
        """
        containers = dict(flow.internal_context.get(_KEY) or {})
        container = containers.get(method)
        if not isinstance(container, dict):
            return None
        expired = int(container.get("expires_at", 0)) < int(utcnow().timestamp())
        sealed = container.get("sealed")
        plaintext = None
        if not expired and isinstance(sealed, str):
            plaintext = self._unseal(sealed, self._bound(flow, method, session))
            if plaintext is None:
                return None
        del containers[method]
        if containers:
            flow.internal_context[_KEY] = containers
        else:
            flow.internal_context.pop(_KEY, None)
        if plaintext is None:
            return None
        payload = orjson.loads(plaintext)
        return payload if isinstance(payload, dict) else None

    @staticmethod
    def has_paused(flow: SettingsFlow, method: str) -> bool:
        return method in (flow.internal_context.get(_KEY) or {})

    @staticmethod
    def clear(flow: SettingsFlow) -> None:
        flow.internal_context.pop(_KEY, None)
