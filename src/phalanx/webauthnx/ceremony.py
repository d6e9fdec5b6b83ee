"""Begin and finish WebAuthn ceremonies (go-webauthn's ``BeginRegistration``/``BeginLogin``/
``BeginDiscoverableLogin``, ``CreateCredential``/``ValidateLogin``), verification by
py_webauthn.

``begin_*`` return ``(options, session)``: the options JSON the browser gets, in the exact
shape of go-webauthn v0.11 (``{"publicKey": …}``, base64url fields, Kratos's alg list and
timeouts, no ``attestation``/``excludeCredentials``), and the session data the flow keeps in
its internal context (challenge, RP id, user id, allowed credentials, expiry), never sent to
the client. ``finish_*`` verify a browser response against that session data.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from webauthn import verify_authentication_response, verify_registration_response
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_attestation_object,
    parse_authentication_credential_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import AuthenticationCredential, RegistrationCredential

from phalanx.clock import isoformat, utcnow
from phalanx.webauthnx.credentials import WebAuthnKey, b64decode, b64encode
from phalanx.webauthnx.relying_party import RelyingParty

__all__ = [
    "CeremonyError",
    "LoginResult",
    "ResponseParseError",
    "begin_login",
    "begin_registration",
    "finish_login",
    "finish_registration",
    "parse_assertion",
    "response_user_handle",
]

#: ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384, PS512, EdDSA (go-webauthn order).
_ALGORITHMS = (-7, -35, -36, -257, -258, -259, -37, -38, -39, -8)


class ResponseParseError(Exception):
    """The browser's response is not a WebAuthn credential JSON."""


class CeremonyError(Exception):
    """The response does not verify (challenge, origin, RP, signature, counter, expiry)."""


def _challenge() -> bytes:
    return secrets.token_bytes(32)


def _session(
    rp: RelyingParty,
    challenge: bytes,
    user_id: bytes,
    allowed: Sequence[bytes] = (),
) -> dict[str, Any]:
    session: dict[str, Any] = {
        "challenge": bytes_to_base64url(challenge),
        "rpId": rp.id,
        "user_id": b64encode(user_id) if user_id else None,
        "expires": isoformat(utcnow() + timedelta(milliseconds=rp.timeout_ms)),
        "userVerification": rp.user_verification,
    }
    if allowed:
        session["allowed_credentials"] = [b64encode(a) for a in allowed]
    return session


def begin_registration(
    rp: RelyingParty, user_id: bytes, user_name: str = ""
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Creation options for a new credential of ``user_id`` (name falls back to the RP's)."""
    challenge = _challenge()
    name = user_name or rp.display_name
    public_key: dict[str, Any] = {
        "rp": {"name": rp.display_name, "id": rp.id},
        "user": {"name": name, "displayName": name, "id": bytes_to_base64url(user_id)},
        "challenge": bytes_to_base64url(challenge),
        "pubKeyCredParams": [{"type": "public-key", "alg": alg} for alg in _ALGORITHMS],
        "timeout": rp.timeout_ms,
        "authenticatorSelection": rp.authenticator_selection(),
    }
    return {"publicKey": public_key}, _session(rp, challenge, user_id)


def begin_login(
    rp: RelyingParty, user_id: bytes = b"", allowed: Sequence[bytes] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Request options; ``allowed=None`` is a discoverable (passkey) login."""
    challenge = _challenge()
    public_key: dict[str, Any] = {
        "challenge": bytes_to_base64url(challenge),
        "timeout": rp.timeout_ms,
        "rpId": rp.id,
    }
    if allowed:
        public_key["allowCredentials"] = [
            {"type": "public-key", "id": bytes_to_base64url(key_id)} for key_id in allowed
        ]
    public_key["userVerification"] = rp.user_verification
    return {"publicKey": public_key}, _session(rp, challenge, user_id, allowed or ())


def _expected_challenge(session: Mapping[str, Any] | None) -> bytes:
    if not isinstance(session, Mapping):
        raise CeremonyError("no WebAuthn challenge is pending for this flow")
    challenge = session.get("challenge")
    expires = session.get("expires")
    if not isinstance(challenge, str) or not challenge:
        raise CeremonyError("no WebAuthn challenge is pending for this flow")
    if isinstance(expires, str):
        try:
            deadline = datetime.fromisoformat(expires.replace("Z", "+00:00"))
        except ValueError:
            deadline = None
        if deadline is None or deadline < utcnow():
            raise CeremonyError("the WebAuthn challenge expired")
    try:
        return base64url_to_bytes(challenge)
    except ValueError as exc:
        raise CeremonyError("invalid stored challenge") from exc


def _json_text(response: Any) -> str:
    if not isinstance(response, str) or not response:
        raise ResponseParseError("the WebAuthn response must be a JSON string")
    return response


def parse_assertion(response: Any) -> AuthenticationCredential:
    """The assertion credential of ``navigator.credentials.get()`` (ResponseParseError)."""
    try:
        return parse_authentication_credential_json(_json_text(response))
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise ResponseParseError(str(exc)) from exc


def response_user_handle(credential: AuthenticationCredential) -> bytes:
    return bytes(credential.response.user_handle or b"")


def _parse_attestation(response: Any) -> RegistrationCredential:
    try:
        credential = parse_registration_credential_json(_json_text(response))
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise ResponseParseError(str(exc)) from exc
    return credential


def finish_registration(
    rp: RelyingParty, session: Mapping[str, Any] | None, response: Any
) -> WebAuthnKey:
    """Verify an attestation (``navigator.credentials.create()``) and return the new key."""
    credential = _parse_attestation(response)
    challenge = _expected_challenge(session)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=list(rp.origins),
            require_user_verification=False,
        )
        flags = parse_attestation_object(credential.response.attestation_object).auth_data.flags
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise CeremonyError(str(exc)) from exc
    try:
        aaguid = uuid.UUID(verified.aaguid).bytes
    except ValueError:
        aaguid = b"\x00" * 16
    return WebAuthnKey(
        id=bytes(verified.credential_id),
        public_key=bytes(verified.credential_public_key),
        attestation_type=str(getattr(verified.fmt, "value", verified.fmt)),
        aaguid=aaguid,
        sign_count=int(verified.sign_count),
        added_at=utcnow().replace(microsecond=0),
        user_present=bool(flags.up),
        user_verified=bool(flags.uv),
        backup_eligible=bool(flags.be),
        backup_state=bool(flags.bs),
    )


@dataclass(frozen=True, slots=True)
class LoginResult:
    key: WebAuthnKey
    sign_count: int
    user_verified: bool
    backup_state: bool


def finish_login(
    rp: RelyingParty,
    session: Mapping[str, Any] | None,
    credential: AuthenticationCredential,
    keys: Sequence[WebAuthnKey],
    *,
    user_handle: bytes,
    discoverable: bool = False,
) -> LoginResult:
    """Verify an assertion by one of ``keys`` (the identity's usable keys).

    ``user_handle`` is the identity's WebAuthn user handle: a discoverable login must carry
    it, any other login may carry only it (go-webauthn ``ValidateLogin``)."""
    challenge = _expected_challenge(session)
    raw_id = bytes(credential.raw_id)
    allowed = [b64decode(a) for a in (session or {}).get("allowed_credentials") or []]
    if allowed and raw_id not in allowed:
        raise CeremonyError("the credential was not among the allowed credentials")
    key = next((k for k in keys if k.id == raw_id), None)
    if key is None:
        raise CeremonyError("unknown credential")
    sent_handle = response_user_handle(credential)
    if discoverable and not sent_handle:
        raise CeremonyError("a discoverable login needs the user handle")
    if sent_handle and not hmac.compare_digest(sent_handle, user_handle):
        raise CeremonyError("the user handle does not belong to this credential")
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=list(rp.origins),
            credential_public_key=key.public_key,
            credential_current_sign_count=key.sign_count,
            require_user_verification=False,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise CeremonyError(str(exc)) from exc
    return LoginResult(
        key=key,
        sign_count=int(verified.new_sign_count),
        user_verified=bool(verified.user_verified),
        backup_state=bool(verified.credential_backed_up),
    )
