"""The relying party of a method, from ``selfservice.methods.<webauthn|passkey>.config.rp``
(Kratos ``driver/config`` ``WebAuthnConfig``/``PasskeyConfig``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from phalanx.config import Config

__all__ = ["RelyingParty", "passkey_party", "webauthn_party"]

#: go-webauthn's default timeouts: user verification discouraged / otherwise.
_TIMEOUT_DISCOURAGED_MS = 120_000
_TIMEOUT_MS = 300_000


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """What a ceremony needs: RP id and name, the accepted origins and the authenticator
    selection (WebAuthn: user verification ``discouraged``; passkeys: a platform,
    discoverable credential, user verification ``preferred``)."""

    id: str
    display_name: str
    origins: tuple[str, ...]
    passkey: bool = False

    @property
    def user_verification(self) -> str:
        return "preferred" if self.passkey else "discouraged"

    @property
    def timeout_ms(self) -> int:
        return _TIMEOUT_DISCOURAGED_MS if not self.passkey else _TIMEOUT_MS

    def authenticator_selection(self) -> dict[str, Any]:
        """``authenticatorSelection`` in go-webauthn's key order (omitempty fields left out)."""
        if self.passkey:
            return {
                "authenticatorAttachment": "platform",
                "requireResidentKey": True,
                "residentKey": "required",
                "userVerification": "preferred",
            }
        return {"userVerification": "discouraged"}


def _default_origins(config: Config, rp_id: str) -> tuple[str, ...]:
    scheme = urlsplit(config.public_base_url).scheme or "https"
    return (f"{scheme}://{rp_id}",)


def webauthn_party(config: Config) -> RelyingParty | None:
    """The ``webauthn`` method's relying party (None when it has no ``config.rp``)."""
    method = config.selfservice.methods.webauthn
    rp = method.config.rp if method.config is not None else None
    if rp is None:
        return None
    if rp.origins:
        origins = tuple(str(o) for o in rp.origins)
    elif rp.origin:
        origins = (str(rp.origin),)
    else:
        origins = _default_origins(config, rp.id)
    return RelyingParty(id=rp.id, display_name=rp.display_name, origins=origins)


def passkey_party(config: Config) -> RelyingParty | None:
    """The ``passkey`` method's relying party (None when it has no ``config.rp``)."""
    method = config.selfservice.methods.passkey
    rp = method.config.rp if method.config is not None else None
    if rp is None:
        return None
    origins = tuple(str(o) for o in rp.origins) if rp.origins else _default_origins(config, rp.id)
    return RelyingParty(id=rp.id, display_name=rp.display_name, origins=origins, passkey=True)
