"""The OAuth ``state`` parameter: the flow, the provider, the PKCE verifier and the hash of
a native app's token-exchange code, sealed (Kratos ``oidcv1.State`` encrypted with
``secrets.cipher``).

Phalanx always seals the state with an AEAD: with ``ciphers.algorithm`` ``aes`` or
``xchacha20-poly1305`` the configured cipher, otherwise AES-256-GCM under a key derived
from ``secrets.cookie`` (Kratos's ``noop`` cipher would show the PKCE verifier to the
provider). The state is opaque to clients, so only Phalanx reads it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from phalanx.cipher import AESCipher, Cipher, CipherError, NoopCipher

__all__ = ["OAuthState", "StateSealer", "exchange_code_digest"]


def exchange_code_digest(init_code: str) -> str:
    """SHA-512 of a native app's ``session_token_exchange_code`` (hex)."""
    return hashlib.sha512(init_code.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class OAuthState:
    flow_id: uuid.UUID
    provider_id: str
    pkce_verifier: str = ""
    #: SHA-512 of the token-exchange init code (random when the flow has none).
    exchange_digest: str = ""

    def code_matches(self, init_code: str) -> bool:
        return hmac.compare_digest(self.exchange_digest, exchange_code_digest(init_code))


class StateSealer:
    """Seal and open :class:`OAuthState` values."""

    def __init__(self, cipher: Cipher, cookie_secrets: Sequence[str]) -> None:
        if isinstance(cipher, NoopCipher):
            keys = [
                hmac.new(s.encode(), b"phalanx/oidc-state", hashlib.sha256).hexdigest()[:32]
                for s in cookie_secrets
            ]
            cipher = AESCipher(keys)
        self.cipher = cipher

    def seal(self, state: OAuthState) -> str:
        payload = {
            "f": str(state.flow_id),
            "p": state.provider_id,
            "v": state.pkce_verifier,
            "x": state.exchange_digest or exchange_code_digest(secrets.token_hex(16)),
        }
        return self.cipher.encrypt(orjson.dumps(payload))

    def open(self, sealed: str) -> OAuthState | None:
        """The state, or None when it does not decrypt or is malformed."""
        try:
            data = orjson.loads(self.cipher.decrypt(sealed))
            return OAuthState(
                flow_id=uuid.UUID(str(data["f"])),
                provider_id=str(data["p"]),
                pkce_verifier=str(data.get("v") or ""),
                exchange_digest=str(data.get("x") or ""),
            )
        except (CipherError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None
