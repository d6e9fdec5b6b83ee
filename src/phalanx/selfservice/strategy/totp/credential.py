"""The ``totp`` credential: Kratos's ``{"totp_url": "otpauth://..."}`` config, identified by
the identity's UUID, plus Phalanx's replay guard.

``phalanx_last_step`` (a Phalanx addition, never rendered by the admin API) is the last time
step whose code was accepted. Each use is a compare-and-swap of the credential, so a code
works once, and of two concurrent submissions of one code only one succeeds.
"""

from __future__ import annotations

from typing import Any

from phalanx.identity.model import Credential, CredentialType, Identity
from phalanx.identity.pool import IdentityPool
from phalanx.selfservice.strategy.totp.key import TotpKey, parse_key_url

__all__ = ["LAST_STEP", "consume_step", "key_of", "new_credential"]

LAST_STEP = "phalanx_last_step"


def key_of(identity: Identity) -> TotpKey | None:
    """The identity's TOTP key, None without a usable TOTP credential."""
    credential = identity.credentials.get(CredentialType.TOTP)
    url = credential.config.get("totp_url") if credential is not None else None
    return parse_key_url(url) if isinstance(url, str) else None


def new_credential(identity: Identity, key: TotpKey, *, step: int | None = None) -> Credential:
    config: dict[str, Any] = {"totp_url": key.url}
    if step is not None:
        config[LAST_STEP] = step
    return Credential(type=CredentialType.TOTP, identifiers=[str(identity.id)], config=config)


async def consume_step(pool: IdentityPool, identity: Identity, step: int) -> bool:
    """Record ``step`` as used unless it (or a later one) was used before."""
    credential = identity.credentials[CredentialType.TOTP]
    last = credential.config.get(LAST_STEP)
    if isinstance(last, int) and not isinstance(last, bool) and step <= last:
        return False
    config = {**credential.config, LAST_STEP: step}
    return await pool.swap_credential_config(identity.id, credential, config)
