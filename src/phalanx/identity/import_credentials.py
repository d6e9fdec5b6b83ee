"""Importing credentials through the admin API (Kratos identity/handler_import.go).

:func:`import_credentials` applies an ``identityWithCredentials`` payload to an identity:

* ``password``: the migration-hook flag wins (only the flag is stored); a plaintext password
  is hashed with the configured hasher off the event loop (password policy deliberately not
  applied); otherwise ``hashed_password`` must be a known, bounded, parsable hash. Identifiers
  come later from the schema extension.
* ``oidc`` / ``saml``: providers are merged into the existing credential (same provider and
  subject replaces), each adding the identifier ``provider:subject``.
* ``totp``, ``lookup_secret``: stored as given (lookup codes appended, each as its keyed
  digest, as Phalanx stores backup codes); identified by the identity id, like Kratos's
  persister defaults them.
* ``webauthn`` / ``passkey``: credentials merged by ``id``; a passkey needs a user handle,
  which becomes its identifier.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from phalanx.errors import BadRequestError
from phalanx.hash import HashError, PasswordHashing, PasswordTooLongError, validate_hash
from phalanx.identity.credentials import oidc_identifier
from phalanx.identity.model import Credential, CredentialType, Identity, utcnow
from phalanx.identity.payloads import (
    CredentialsImport,
    PasswordImport,
    ProviderImport,
    WebAuthnImport,
)

__all__ = ["PASSWORD_VERSION", "WEBAUTHN_VERSION", "import_credentials", "import_password"]

#: Version of password credentials Kratos writes.
PASSWORD_VERSION = 1
#: Version of webauthn/passkey credentials Kratos writes.
WEBAUTHN_VERSION = 1


def _set(
    identity: Identity,
    ctype: str,
    config: dict[str, Any],
    *,
    identifiers: list[str] | None = None,
    version: int = 0,
) -> Credential:
    """Replace the config (and identifiers, when given) of one credential type."""
    existing = identity.credentials.get(ctype)
    now = utcnow()
    if existing is None:
        existing = Credential(type=ctype, created_at=now)
        identity.credentials[ctype] = existing
    existing.config = config
    existing.version = version
    if identifiers is not None:
        existing.identifiers = list(dict.fromkeys(identifiers))
    existing.updated_at = now
    return existing


async def import_password(
    identity: Identity, payload: PasswordImport, hashing: PasswordHashing
) -> None:
    """Kratos's ``ImportPasswordCredentials``."""
    if payload.use_password_migration_hook:
        _set(
            identity,
            CredentialType.PASSWORD,
            {"use_password_migration_hook": True},
            version=PASSWORD_VERSION,
        )
        return
    hashed = payload.hashed_password
    if payload.password:
        try:
            hashed = await hashing.hash(payload.password)
        except PasswordTooLongError as exc:
            raise BadRequestError(
                f"The password can not be imported: it is {exc.actual_length} bytes long but the "
                f"configured hasher accepts at most {exc.max_length} bytes."
            ) from exc
    try:
        validate_hash(hashed)
    except HashError as exc:
        raise BadRequestError(exc.reason) from exc
    _set(identity, CredentialType.PASSWORD, {"hashed_password": hashed}, version=PASSWORD_VERSION)


def _provider_config(provider: ProviderImport, *, with_auto_link: bool) -> dict[str, Any]:
    config: dict[str, Any] = {
        "subject": provider.subject,
        "provider": provider.provider,
        "initial_id_token": "",
        "initial_access_token": "",
        "initial_refresh_token": "",
    }
    if provider.organization is not None:
        config["organization"] = str(provider.organization)
    if with_auto_link and provider.use_auto_link:
        config["use_auto_link"] = True
    return config


def _import_providers(identity: Identity, ctype: str, providers: list[ProviderImport]) -> None:
    existing = identity.credentials.get(ctype)
    current: list[dict[str, Any]] = []
    identifiers: list[str] = []
    if existing is not None:
        raw = existing.config.get("providers") if isinstance(existing.config, dict) else None
        current = [p for p in raw or [] if isinstance(p, dict)]
        identifiers = list(existing.identifiers)
    for provider in providers:
        config = _provider_config(provider, with_auto_link=ctype == CredentialType.OIDC)
        key = (provider.provider, provider.subject)
        for index, old in enumerate(current):
            if (old.get("provider"), old.get("subject")) == key:
                current[index] = config
                break
        else:
            current.append(config)
        identifiers.append(oidc_identifier(provider.provider, provider.subject))
    _set(identity, ctype, {"providers": current}, identifiers=identifiers)


def _merge_webauthn(
    identity: Identity, ctype: str, payload: WebAuthnImport
) -> tuple[list[dict[str, Any]], str, list[str]]:
    existing = identity.credentials.get(ctype)
    if existing is None or not isinstance(existing.config, dict):
        return list(payload.credentials), "", []
    merged = [c for c in existing.config.get("credentials") or [] if isinstance(c, dict)]
    for new in payload.credentials:
        for index, old in enumerate(merged):
            if old.get("id") is not None and old.get("id") == new.get("id"):
                merged[index] = new
                break
        else:
            merged.append(new)
    previous_handle = existing.config.get("user_handle")
    return (
        merged,
        previous_handle if isinstance(previous_handle, str) else "",
        list(existing.identifiers),
    )


def _user_handle_identifier(user_handle: str) -> str:
    """Kratos identifies a passkey by ``string(userHandle)``: the decoded bytes.

    Handles that are not UTF-8 once decoded (or not base64) are used as given.
    """
    try:
        return base64.b64decode(user_handle, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return user_handle


def _import_webauthn(identity: Identity, payload: WebAuthnImport) -> None:
    credentials, previous_handle, identifiers = _merge_webauthn(
        identity, CredentialType.WEBAUTHN, payload
    )
    handle = payload.user_handle or previous_handle
    _set(
        identity,
        CredentialType.WEBAUTHN,
        {"credentials": credentials, "user_handle": handle},
        identifiers=identifiers,
        version=WEBAUTHN_VERSION,
    )


def _import_passkey(identity: Identity, payload: WebAuthnImport) -> None:
    credentials, previous_handle, identifiers = _merge_webauthn(
        identity, CredentialType.PASSKEY, payload
    )
    handle = payload.user_handle or previous_handle
    if not handle:
        raise BadRequestError(
            "Passkey credential import requires a non-empty user_handle. It must match the "
            "WebAuthn user handle stored on the authenticator."
        )
    if not credentials:
        raise BadRequestError(
            "Passkey credential import requires at least one entry in "
            "credentials.passkey.config.credentials."
        )
    identifiers.append(_user_handle_identifier(handle))
    _set(
        identity,
        CredentialType.PASSKEY,
        {"credentials": credentials, "user_handle": handle},
        identifiers=identifiers,
        version=WEBAUTHN_VERSION,
    )


async def import_credentials(
    identity: Identity,
    payload: CredentialsImport | None,
    hashing: PasswordHashing,
    *,
    seal_code: Callable[[str], str] | None = None,
) -> None:
    """Apply every credential of ``payload`` to ``identity`` (in Kratos's order).
    ``seal_code`` turns an imported backup code into what is stored (its keyed digest)."""
    if payload is None:
        return
    if payload.password is not None:
        await import_password(identity, payload.password, hashing)
    if payload.oidc is not None:
        _import_providers(identity, CredentialType.OIDC, payload.oidc)
    if payload.saml is not None:
        _import_providers(identity, CredentialType.SAML, payload.saml)
    if payload.webauthn is not None:
        _import_webauthn(identity, payload.webauthn)
    if payload.passkey is not None:
        _import_passkey(identity, payload.passkey)
    if payload.lookup_codes is not None:
        existing = identity.credentials.get(CredentialType.LOOKUP_SECRET)
        codes: list[Any] = []
        if existing is not None and isinstance(existing.config, dict):
            codes = list(existing.config.get("recovery_codes") or [])
        for code in payload.lookup_codes:
            stored = seal_code(code.code) if seal_code is not None else code.code
            used_at = code.used_at.isoformat().replace("+00:00", "Z") if code.used_at else None
            codes.append({"code": stored, "used_at": used_at})
        _set(
            identity,
            CredentialType.LOOKUP_SECRET,
            {"recovery_codes": codes},
            identifiers=[str(identity.id)],
        )
    if payload.totp_url is not None:
        _set(
            identity,
            CredentialType.TOTP,
            {"totp_url": payload.totp_url},
            identifiers=[str(identity.id)],
        )
