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
from phalanx.identity.credentials import FactorPolicy, count_first_factors
from phalanx.identity.model import Credential, Identity
from phalanx.identity.pool import IdentityPool
from phalanx.selfservice.flow.base import Flow
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.webauthnx import (
    CeremonyError,
    RelyingParty,
    ResponseParseError,
    WebAuthnConfig,
    WebAuthnKey,
    finish_registration,
)
from phalanx.webauthnx.ceremony import LoginResult

__all__ = [
    "creation_failed",
    "credential_config",
    "filled",
    "not_enough_credentials",
    "parse_error",
    "pop_session",
    "put_session",
    "random_delay",
    "register_key",
    "remove_key",
    "save_sign_count",
    "session_of",
    "store_config",
    "string_field",
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


def string_field(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    return value if isinstance(value, str) else ""


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


def creation_failed(reason: str) -> BadRequestError:
    """Kratos answers a failed ``CreateCredential`` with a 500; Phalanx with this 400
    (shown as 4000001 in the flow), see the README's deliberate differences."""
    return BadRequestError(f"Unable to create WebAuthn credential: {reason}")


def register_key(rp: RelyingParty, session: Mapping[str, Any] | None, response: Any) -> WebAuthnKey:
    """Verify an attestation against the flow's challenge; 400s for bad input."""
    try:
        return finish_registration(rp, session, response)
    except ResponseParseError as exc:
        raise BadRequestError(f"Unable to parse WebAuthn response: {exc}") from None
    except CeremonyError as exc:
        raise creation_failed(str(exc)) from None


def not_enough_credentials() -> FlowValidationError:
    """``webauthnx.ErrNotEnoughCredentials``: 4000001 on ``webauthn_remove`` (also for
    passkeys, as Kratos)."""
    reason = "unable to remove this security key because it would lock you out of your account"
    return FlowValidationError(node_messages=[("webauthn_remove", text.validation_generic(reason))])


def remove_key(
    identity: Identity,
    method: str,
    hex_id: str,
    *,
    factors: FactorPolicy,
    missing: str,
    last_factor_guard: bool,
) -> None:
    """Remove the key ``hex_id`` of ``method`` (the whole credential with its last key).

    ``missing`` is the reason for an unknown key; ``last_factor_guard`` refuses the removal
    when the identity has fewer than two first factors (Kratos's lock-out check)."""
    if identity.credentials.get(method) is None:
        raise BadRequestError("You tried to remove a WebAuthn but you have no WebAuthn set up.")
    config = credential_config(identity, method)
    kept = [k for k in config.keys if k.hex_id != hex_id]
    if len(kept) == len(config.keys):
        raise BadRequestError(missing)
    if last_factor_guard and count_first_factors(identity, factors) < 2:
        raise not_enough_credentials()
    if not kept:
        del identity.credentials[method]
        return
    config.keys = kept
    store_config(identity, method, config)
