"""Admin request bodies for identities, decoded like Kratos (identity/handler.go).

* ``createIdentityBody`` (``POST /admin/identities`` and each batch entry) uses a **strict**
  decoder: unknown keys anywhere -> 400 ``json: unknown field "x"``.
* ``updateIdentityBody`` (``PUT``) is lenient: unknown keys are ignored.
* ``identityWithCredentials`` holds the credentials to import: ``password``, ``oidc``, ``saml``
  (the v25.4 spec) plus ``totp``, ``lookup_secret``, ``webauthn`` and ``passkey`` (later Kratos).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from phalanx.errors import BadRequestError
from phalanx.identity.decoding import DecodeError, ObjectReader

__all__ = [
    "MAX_BATCH",
    "MAX_BATCH_PLAINTEXT",
    "AddressImport",
    "BatchPatch",
    "CreateIdentityBody",
    "CredentialsImport",
    "LookupCodeImport",
    "PasswordImport",
    "ProviderImport",
    "RecoveryAddressImport",
    "UpdateIdentityBody",
    "WebAuthnImport",
    "parse_batch_body",
    "parse_create_body",
    "parse_update_body",
]

MAX_BATCH = 1000
MAX_BATCH_PLAINTEXT = 200


@dataclass(slots=True)
class PasswordImport:
    hashed_password: str = ""
    password: str = ""
    use_password_migration_hook: bool = False


@dataclass(slots=True)
class ProviderImport:
    provider: str
    subject: str
    use_auto_link: bool = False
    organization: uuid.UUID | None = None


@dataclass(slots=True)
class LookupCodeImport:
    code: str
    used_at: datetime | None = None


@dataclass(slots=True)
class WebAuthnImport:
    credentials: list[dict[str, Any]] = field(default_factory=list)
    user_handle: str = ""


@dataclass(slots=True)
class CredentialsImport:
    """``identityWithCredentials``: each attribute is ``None`` when the type is not imported."""

    password: PasswordImport | None = None
    oidc: list[ProviderImport] | None = None
    saml: list[ProviderImport] | None = None
    totp_url: str | None = None
    lookup_codes: list[LookupCodeImport] | None = None
    webauthn: WebAuthnImport | None = None
    passkey: WebAuthnImport | None = None

    @property
    def has_plaintext_password(self) -> bool:
        return self.password is not None and bool(self.password.password)


@dataclass(slots=True)
class AddressImport:
    """A verifiable address supplied on create (kept only if the schema produces it)."""

    value: str
    via: str
    verified: bool = False
    status: str = ""
    verified_at: datetime | None = None


@dataclass(slots=True)
class RecoveryAddressImport:
    value: str
    via: str


@dataclass(slots=True)
class CreateIdentityBody:
    schema_id: str = ""
    traits: Any = None
    state: str = ""
    metadata_public: Any = None
    metadata_admin: Any = None
    verifiable_addresses: list[AddressImport] = field(default_factory=list)
    recovery_addresses: list[RecoveryAddressImport] = field(default_factory=list)
    organization_id: uuid.UUID | None = None
    external_id: str = ""
    credentials: CredentialsImport | None = None


@dataclass(slots=True)
class UpdateIdentityBody:
    schema_id: str = ""
    traits: Any = None
    state: str = ""
    metadata_public: Any = None
    metadata_admin: Any = None
    external_id: str = ""
    credentials: CredentialsImport | None = None


@dataclass(slots=True)
class BatchPatch:
    patch_id: uuid.UUID | None
    create: CreateIdentityBody


def _providers(reader: ObjectReader, struct: str, *, auto_link: bool) -> list[ProviderImport]:
    out: list[ProviderImport] = []
    for item in reader.objects("providers", struct):
        provider = ProviderImport(
            provider=item.string("provider"),
            subject=item.string("subject"),
            use_auto_link=item.boolean("use_auto_link") if auto_link else False,
            organization=item.uuid("organization"),
        )
        item.finish()
        if not provider.provider or not provider.subject:
            raise BadRequestError(
                "Both `provider` and `subject` must be set for every imported provider."
            )
        out.append(provider)
    return out


def _webauthn(reader: ObjectReader, struct: str) -> WebAuthnImport:
    config = reader.obj("config", f"{struct}Config")
    reader.finish()
    if config is None:
        return WebAuthnImport()
    credentials = []
    for item in config.array("credentials", "CredentialsWebAuthn"):
        if not isinstance(item, dict):
            raise DecodeError(
                "json: cannot unmarshal non-object into Go struct field "
                f"{struct}Config.credentials of type identity.CredentialWebAuthn"
            )
        credentials.append(item)
    imported = WebAuthnImport(credentials=credentials, user_handle=config.string("user_handle"))
    config.finish()
    return imported


def _credentials(reader: ObjectReader) -> CredentialsImport:
    creds = CredentialsImport()
    if (pw := reader.obj("password", "AdminIdentityImportCredentialsPassword")) is not None:
        config = pw.obj("config", "AdminIdentityImportCredentialsPasswordConfig")
        pw.finish()
        creds.password = PasswordImport()
        if config is not None:
            creds.password = PasswordImport(
                hashed_password=config.string("hashed_password"),
                password=config.string("password"),
                use_password_migration_hook=config.boolean("use_password_migration_hook"),
            )
            config.finish()
    for name, struct, auto_link in (
        ("oidc", "AdminIdentityImportCredentialsOIDC", True),
        ("saml", "AdminIdentityImportCredentialsSAML", False),
    ):
        sub = reader.obj(name, struct)
        if sub is None:
            continue
        config = sub.obj("config", f"{struct}Config")
        sub.finish()
        providers: list[ProviderImport] = []
        if config is not None:
            providers = _providers(
                config,
                f"AdminCreateIdentityImportCredentials{name.upper()}Provider",
                auto_link=auto_link,
            )
            config.finish()
        setattr(creds, name, providers)
    if (totp := reader.obj("totp", "AdminIdentityImportCredentialsTOTP")) is not None:
        config = totp.obj("config", "AdminIdentityImportCredentialsTOTPConfig")
        totp.finish()
        creds.totp_url = ""
        if config is not None:
            creds.totp_url = config.string("totp_url")
            config.finish()
    lookup = reader.obj("lookup_secret", "AdminIdentityImportCredentialsLookupSecret")
    if lookup is not None:
        config = lookup.obj("config", "AdminIdentityImportCredentialsLookupSecretConfig")
        lookup.finish()
        creds.lookup_codes = []
        if config is not None:
            for item in config.objects("codes", "RecoveryCode"):
                creds.lookup_codes.append(
                    LookupCodeImport(code=item.string("code"), used_at=item.time("used_at"))
                )
                item.finish()
            config.finish()
    if (wa := reader.obj("webauthn", "AdminIdentityImportCredentialsWebAuthn")) is not None:
        creds.webauthn = _webauthn(wa, "AdminIdentityImportCredentialsWebAuthn")
    if (pk := reader.obj("passkey", "AdminIdentityImportCredentialsPasskey")) is not None:
        creds.passkey = _webauthn(pk, "AdminIdentityImportCredentialsPasskey")
    reader.finish()
    return creds


def _create(reader: ObjectReader) -> CreateIdentityBody:
    body = CreateIdentityBody(
        schema_id=reader.string("schema_id"),
        traits=reader.raw("traits"),
        state=reader.string("state"),
        metadata_public=reader.raw("metadata_public"),
        metadata_admin=reader.raw("metadata_admin"),
        organization_id=reader.uuid("organization_id"),
        external_id=reader.string("external_id"),
    )
    for item in reader.objects("verifiable_addresses", "VerifiableAddress"):
        item.uuid("id")
        item.time("created_at")
        item.time("updated_at")
        body.verifiable_addresses.append(
            AddressImport(
                value=item.string("value").lower(),
                via=item.string("via"),
                verified=item.boolean("verified"),
                status=item.string("status"),
                verified_at=item.time("verified_at"),
            )
        )
        item.finish()
    for item in reader.objects("recovery_addresses", "RecoveryAddress"):
        item.uuid("id")
        item.time("created_at")
        item.time("updated_at")
        body.recovery_addresses.append(
            RecoveryAddressImport(value=item.string("value").lower(), via=item.string("via"))
        )
        item.finish()
    if (creds := reader.obj("credentials", "IdentityWithCredentials")) is not None:
        body.credentials = _credentials(creds)
    reader.finish()
    return body


def parse_create_body(data: Any) -> CreateIdentityBody:
    """Decode ``createIdentityBody`` strictly (unknown fields -> 400)."""
    return _create(ObjectReader(data, "identity.CreateIdentityBody", strict=True))


def parse_update_body(data: Any) -> UpdateIdentityBody:
    """Decode ``updateIdentityBody`` leniently (unknown fields ignored, as Kratos's decoderx)."""
    reader = ObjectReader(data, "identity.UpdateIdentityBody", strict=False)
    body = UpdateIdentityBody(
        schema_id=reader.string("schema_id"),
        traits=reader.raw("traits"),
        state=reader.string("state"),
        metadata_public=reader.raw("metadata_public"),
        metadata_admin=reader.raw("metadata_admin"),
        external_id=reader.string("external_id"),
    )
    if (creds := reader.obj("credentials", "IdentityWithCredentials")) is not None:
        body.credentials = _credentials(creds)
    return body


def parse_batch_body(data: Any) -> list[BatchPatch]:
    """Decode ``patchIdentitiesBody`` strictly and enforce the 1000-entries limit."""
    reader = ObjectReader(data, "identity.BatchPatchIdentitiesBody", strict=True)
    items = reader.array("identities", "[]*identity.BatchIdentityPatch")
    reader.finish()
    if len(items) > MAX_BATCH:
        raise BadRequestError(
            "The maximum number of identities per request that can be created or deleted at "
            f"once is {MAX_BATCH}."
        )
    patches: list[BatchPatch] = []
    for index, item in enumerate(items):
        if item is None:
            # Kratos dereferences the nil patch (a 500); its response schema has no room
            # for a null result, so the request is refused.
            raise BadRequestError(
                f"The identity patch at index {index} is null: every patch must be an object "
                'with "create".'
            )
        entry = ObjectReader(
            item,
            "identity.BatchIdentityPatch",
            strict=True,
            field_path="BatchPatchIdentitiesBody.identities",
        )
        patch_id = entry.uuid("patch_id")
        create = entry.obj("create", "identity.CreateIdentityBody")
        entry.finish()
        if create is None:
            # Kratos answers such a patch with a null result, which its response schema
            # does not allow; a patch that does nothing is refused instead.
            raise BadRequestError(
                f'The identity patch at index {index} has nothing to do: "create" is missing.'
            )
        patches.append(BatchPatch(patch_id=patch_id, create=_create(create)))
    return patches
