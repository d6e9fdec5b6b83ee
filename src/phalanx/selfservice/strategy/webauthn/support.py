"""What the ``webauthn`` and ``passkey`` cells share: the challenge kept in the flow's
internal context, the credential config on the identity, and the error answers."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Mapping
from typing import Any

from phalanx import text
from phalanx.errors import BadRequestError
from phalanx.identity.model import Credential, Identity
from phalanx.identity.pool import IdentityPool
from phalanx.selfservice.flow.base import Flow
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.webauthnx import WebAuthnConfig
from phalanx.webauthnx.ceremony import LoginResult

__all__ = [
    "credential_config",
    "filled",
    "parse_error",
    "pop_session",
    "put_session",
    "random_delay",
    "save_sign_count",
    "session_of",
    "store_config",
    "verifier_wrong",
]

log = logging.getLogger("phalanx.webauthn")

_SESSION_DATA = "session_data"


def _key(method: str) -> str:
    """``flow.PrefixInternalContextKey``: ``webauthn_session_data`` / ``passkey_session_data``."""
    return f"{method}_{_SESSION_DATA}"


def put_session(flow: Flow, method: str, session: dict[str, Any]) -> None:
    flow.internal_context[_key(method)] = session


def session_of(flow: Flow, method: str) -> Mapping[str, Any] | None:
    value = flow.internal_context.get(_key(method))
    return value if isinstance(value, Mapping) else None


def pop_session(flow: Flow, method: str) -> None:
    """Forget the challenge once it was answered: a replayed response finds none."""
    flow.internal_context.pop(_key(method), None)


def filled(body: Mapping[str, Any], name: str) -> bool:
    value = body.get(name)
    return isinstance(value, str) and value != ""


def parse_error() -> BadRequestError:
    """``herodot.ErrBadRequest`` "Unable to parse WebAuthn response." (shown as 4000001)."""
    return BadRequestError("Unable to parse WebAuthn response.")


def verifier_wrong() -> FlowValidationError:
    """``NewWebAuthnVerifierWrongError("#/")``: 4000008 in ``ui.messages`` (v25.4)."""
    return FlowValidationError([text.totp_verifier_wrong()])


def credential_config(identity: Identity | None, method: str) -> WebAuthnConfig:
    credential = identity.credentials.get(method) if identity is not None else None
    return WebAuthnConfig.from_json(credential.config if credential is not None else None)


def store_config(identity: Identity, method: str, config: WebAuthnConfig) -> Credential:
    """Write ``config`` into the identity's credential of ``method`` (created if needed)."""
    credential = identity.credentials.get(method)
    if credential is None:
        credential = Credential(type=method, version=1)
        identity.credentials[method] = credential
    credential.config = config.to_json()
    credential.version = 1
    return credential


async def save_sign_count(
    pool: IdentityPool, identity: Identity, method: str, result: LoginResult
) -> None:
    """Keep the authenticator's new signature counter (a cloned key then fails)."""
    config = credential_config(identity, method)
    key = config.find(result.key.id)
    if key is None or key.sign_count == result.sign_count:
        return
    key.sign_count = result.sign_count
    key.backup_state = result.backup_state
    store_config(identity, method, config)
    try:
        await pool.update(identity, with_credentials=True)
    except Exception as exc:  # the login itself succeeded
        log.warning("could not store the sign count of identity %s: %s", identity.id, exc)


async def random_delay(expected: float, deviation: float) -> None:
    """``x.RandomDelay``: hide whether an account exists behind a hash-like delay."""
    spread = max(deviation, 0.0)
    low = max(expected - spread, 0.0)
    jitter = secrets.randbelow(int(2 * spread * 1000) + 1) / 1000 if spread else 0.0
    await asyncio.sleep(low + jitter)
