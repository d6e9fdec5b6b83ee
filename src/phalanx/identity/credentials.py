"""What an identity's credentials allow: counting active factors, the available AAL, and
removing a credential through the admin API.

Kratos asks every strategy -- enabled or not (``ActiveCredentialsCounterStrategies``) -- to
count "active first factor" and "active multi factor" credentials
(``CountActiveFirstFactorCredentials`` in each strategy); the sums decide ``available_aal``
and whether the admin API may remove a first factor. So a TOTP credential keeps an identity
at aal2 after ``selfservice.methods.totp`` was switched off. :class:`FactorPolicy` carries
the few config bits those counts depend on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from phalanx.errors import BadRequestError, NotFoundError
from phalanx.identity.model import Credential, CredentialType, Identity

__all__ = [
    "MULTI_FACTOR_TYPES",
    "FactorPolicy",
    "available_aal",
    "count_first_factors",
    "count_multi_factors",
    "oidc_identifier",
    "remove_credential",
]


def oidc_identifier(provider: str, subject: str) -> str:
    """Kratos's ``OIDCUniqueID``: ``provider:subject`` (case-sensitive)."""
    return f"{provider}:{subject}"


@dataclass(frozen=True, slots=True)
class FactorPolicy:
    """Config that changes what counts as an active credential.

    ``password_migration_hook`` is ``selfservice.methods.password.config.migrate_hook.enabled``;
    ``code_passwordless`` / ``code_mfa`` are the code method's ``passwordless_enabled`` and
    ``mfa_enabled``.
    """

    password_migration_hook: bool = False
    code_passwordless: bool = False
    code_mfa: bool = False


def _config(credential: Credential | None) -> Mapping[str, Any]:
    if credential is None or not isinstance(credential.config, dict):
        return {}
    return credential.config


def _has_identifier(credential: Credential) -> bool:
    return any(credential.identifiers)


def _webauthn_keys(credential: Credential | None) -> list[Mapping[str, Any]]:
    keys = _config(credential).get("credentials") or []
    return [k for k in keys if isinstance(k, dict)]


def _providers(credential: Credential, *, with_orgs: bool | None) -> int:
    count = 0
    providers = [p for p in _config(credential).get("providers") or [] if isinstance(p, dict)]
    for identifier in credential.identifiers:
        provider, sep, subject = identifier.partition(":")
        if not sep:
            continue
        for p in providers:
            has_org = bool(p.get("organization"))
            if with_orgs is not None and has_org != with_orgs:
                continue
            if p.get("provider") == provider and p.get("subject") == subject and subject:
                count += 1
    return count


def count_first_factors(identity: Identity, policy: FactorPolicy) -> int:
    """Active first-factor credentials, summed over every method (enabled or not)."""
    creds = identity.credentials
    count = 0
    pw = creds.get(CredentialType.PASSWORD)
    if pw is not None and _has_identifier(pw):
        conf = _config(pw)
        if conf.get("hashed_password") or (
            policy.password_migration_hook and conf.get("use_password_migration_hook")
        ):
            count += 1
    oidc = creds.get(CredentialType.OIDC)
    if oidc is not None:
        count += _providers(oidc, with_orgs=False)
    saml = creds.get(CredentialType.SAML)
    if saml is not None:
        count += _providers(saml, with_orgs=None)
    wa = creds.get(CredentialType.WEBAUTHN)
    if wa is not None and _has_identifier(wa):
        count += sum(1 for k in _webauthn_keys(wa) if k.get("is_passwordless"))
    pk = creds.get(CredentialType.PASSKEY)
    if pk is not None and _has_identifier(pk):
        count += len(_webauthn_keys(pk))
    if policy.code_passwordless:
        count += 1
    return count


#: The credential types :func:`count_multi_factors` looks at.
MULTI_FACTOR_TYPES = (
    CredentialType.TOTP,
    CredentialType.LOOKUP_SECRET,
    CredentialType.WEBAUTHN,
    CredentialType.CODE,
)


def count_multi_factors(identity: Identity, policy: FactorPolicy) -> int:
    """Active second-factor credentials, summed over every method (enabled or not)."""
    creds = identity.credentials
    count = 0
    if _config(creds.get(CredentialType.TOTP)).get("totp_url"):
        count += 1
    if _config(creds.get(CredentialType.LOOKUP_SECRET)).get("recovery_codes"):
        count += 1
    count += sum(
        1
        for k in _webauthn_keys(creds.get(CredentialType.WEBAUTHN))
        if not k.get("is_passwordless")
    )
    code = _config(creds.get(CredentialType.CODE))
    if policy.code_mfa and code.get("addresses"):
        count += 1
    return count


def available_aal(identity: Identity, policy: FactorPolicy) -> str:
    """Kratos's ``SetAvailableAAL``: aal2 with any second factor (a first factor is not
    needed for that), else aal1 with any first factor, else aal0."""
    if count_multi_factors(identity, policy) > 0:
        return "aal2"
    if count_first_factors(identity, policy) > 0:
        return "aal1"
    return "aal0"


def _remove_provider(identity: Identity, ctype: str, identifier: str) -> None:
    if not identifier:
        raise BadRequestError("You must provide an identifier to delete this credential.")
    credential = identity.credentials[ctype]
    providers = [p for p in _config(credential).get("providers") or [] if isinstance(p, dict)]
    kept = [
        p
        for p in providers
        if oidc_identifier(str(p.get("provider", "")), str(p.get("subject", ""))) != identifier
    ]
    if len(kept) == len(providers):
        raise NotFoundError(f"The identifier `{identifier}` was not found among OIDC credentials.")
    credential.config = {**_config(credential), "providers": kept}
    credential.identifiers = [
        oidc_identifier(str(p.get("provider", "")), str(p.get("subject", ""))) for p in kept
    ]


def remove_credential(
    identity: Identity, ctype: str, *, identifier: str, policy: FactorPolicy
) -> None:
    """Kratos's ``deleteIdentityCredentials`` on the loaded identity (caller saves it).

    ``lookup_secret``/``totp``: the whole type goes; ``webauthn``: only MFA keys go;
    ``password``/``oidc``/``saml``: refused when fewer than two first factors are active;
    anything else cannot be deleted.
    """
    if ctype not in identity.credentials:
        raise NotFoundError(f"You tried to remove a {ctype} but this user have no {ctype} set up.")
    if ctype in (CredentialType.LOOKUP_SECRET, CredentialType.TOTP):
        del identity.credentials[ctype]
        return
    if ctype == CredentialType.WEBAUTHN:
        credential = identity.credentials[ctype]
        keep = [k for k in _webauthn_keys(credential) if k.get("is_passwordless")]
        if not keep:
            del identity.credentials[ctype]
        else:
            credential.config = {**_config(credential), "credentials": keep}
        return
    if ctype in (CredentialType.PASSWORD, CredentialType.OIDC, CredentialType.SAML):
        if count_first_factors(identity, policy) < 2:
            raise BadRequestError("You cannot remove the last first factor credential.")
        if ctype == CredentialType.PASSWORD:
            identity.credentials[ctype].config = {}
        else:
            _remove_provider(identity, ctype, identifier)
        return
    raise BadRequestError(f"Credentials type {ctype} cannot be deleted.")
