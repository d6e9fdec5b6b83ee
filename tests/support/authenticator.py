"""A software WebAuthn authenticator for API-level tests.

It answers the options JSON a flow carries (``{"publicKey": …}``, base64url fields) the way
``webauthn.js`` posts a browser's answer: ``navigator.credentials.create()`` →
attestation JSON (``none`` attestation), ``navigator.credentials.get()`` → assertion JSON.
Structures come from Yubico's ``fido2`` (authenticator data, attestation object, client
data), keys and signatures from ``cryptography`` (P-256, ES256).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.cose import ES256
from fido2.webauthn import (
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorData,
    CollectedClientData,
)

__all__ = ["SoftAuthenticator", "StoredCredential", "b64url", "unb64url"]

AAGUID = bytes.fromhex("0123456789abcdef0123456789abcdef")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _public_key(options: Any) -> dict[str, Any]:
    if isinstance(options, str):
        options = json.loads(options)
    key = options.get("credentialOptions", options)["publicKey"]
    assert isinstance(key, dict)
    return key


@dataclass
class StoredCredential:
    id: bytes
    private_key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0


@dataclass
class SoftAuthenticator:
    """Resident credentials per RP; ``origin`` is what the "browser" puts in client data."""

    origin: str
    credentials: list[StoredCredential] = field(default_factory=list)
    user_verified: bool = False

    def _flags(self, *, attested: bool) -> AuthenticatorData.FLAG:
        flags = AuthenticatorData.FLAG.UP
        if self.user_verified:
            flags |= AuthenticatorData.FLAG.UV
        if attested:
            flags |= AuthenticatorData.FLAG.AT
        return flags

    def create(self, options: Any, *, origin: str | None = None) -> str:
        """Register a new credential; returns the attestation JSON ``webauthn.js`` posts."""
        public_key = _public_key(options)
        rp_id = public_key["rp"]["id"]
        user_handle = unb64url(public_key["user"]["id"])
        challenge = unb64url(public_key["challenge"])
        private_key = ec.generate_private_key(ec.SECP256R1())
        credential_id = secrets.token_bytes(32)
        cose = ES256.from_cryptography_key(private_key.public_key())
        attested = AttestedCredentialData.create(AAGUID, credential_id, cose)
        auth_data = AuthenticatorData.create(
            hashlib.sha256(rp_id.encode()).digest(),
            self._flags(attested=True),
            0,
            attested,
        )
        attestation = AttestationObject.create("none", auth_data, {})
        client_data = CollectedClientData.create(
            "webauthn.create", challenge, origin or self.origin
        )
        self.credentials.append(StoredCredential(credential_id, private_key, rp_id, user_handle))
        return json.dumps(
            {
                "id": b64url(credential_id),
                "rawId": b64url(credential_id),
                "type": "public-key",
                "response": {
                    "attestationObject": b64url(bytes(attestation)),
                    "clientDataJSON": b64url(bytes(client_data)),
                },
            }
        )

    def get(
        self,
        options: Any,
        *,
        origin: str | None = None,
        credential: StoredCredential | None = None,
        tamper: bool = False,
        with_user_handle: bool = True,
    ) -> str:
        """Sign the challenge with an allowed (or any resident) credential of the RP."""
        public_key = _public_key(options)
        rp_id = public_key["rpId"]
        allowed = {unb64url(c["id"]) for c in public_key.get("allowCredentials") or []}
        if credential is None:
            candidates = [
                c for c in self.credentials if c.rp_id == rp_id and (not allowed or c.id in allowed)
            ]
            assert candidates, "no credential for this RP"
            credential = candidates[-1]
        credential.sign_count += 1
        auth_data = AuthenticatorData.create(
            hashlib.sha256(rp_id.encode()).digest(),
            self._flags(attested=False),
            credential.sign_count,
        )
        client_data = CollectedClientData.create(
            "webauthn.get", unb64url(public_key["challenge"]), origin or self.origin
        )
        signed = bytes(auth_data) + hashlib.sha256(bytes(client_data)).digest()
        if tamper:  # a well-formed signature over other bytes
            signed += b"tampered"
        signature = credential.private_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return json.dumps(
            {
                "id": b64url(credential.id),
                "rawId": b64url(credential.id),
                "type": "public-key",
                "response": {
                    "authenticatorData": b64url(bytes(auth_data)),
                    "clientDataJSON": b64url(bytes(client_data)),
                    "signature": b64url(signature),
                    "userHandle": b64url(credential.user_handle) if with_user_handle else "",
                },
            }
        )
