"""Settings texts of ``ory/kratos:text/message_settings.go`` (``1050xxx``, ``4050xxx``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from phalanx.text.gofmt import go_time_string
from phalanx.text.ids import MessageId
from phalanx.text.message import UiText, make_text, minutes_between, unix_seconds, utc_now

__all__ = [
    "settings_disable_lookup",
    "settings_flow_expired",
    "settings_link_oidc",
    "settings_lookup_confirm",
    "settings_lookup_secret",
    "settings_lookup_secret_list",
    "settings_lookup_secret_used",
    "settings_lookup_secrets_label",
    "settings_managed_by_organization",
    "settings_regenerate_lookup",
    "settings_register_passkey",
    "settings_register_webauthn",
    "settings_remove_passkey",
    "settings_remove_webauthn",
    "settings_reveal_lookup",
    "settings_saved",
    "settings_too_many_address_changes",
    "settings_totp_qr_code",
    "settings_totp_secret",
    "settings_totp_secret_label",
    "settings_unlink_oidc",
    "settings_unlink_totp",
    "settings_webauthn_display_name",
]


def settings_link_oidc(provider: str) -> UiText:
    """1050002: ``NewInfoSelfServiceSettingsUpdateLinkOIDC`` -- "Link <provider>"."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_SETTINGS_UPDATE_LINK_OIDC,
        f"Link {provider}",
        {"provider": provider},
    )


def settings_unlink_oidc(provider: str) -> UiText:
    """1050003: ``NewInfoSelfServiceSettingsUpdateUnlinkOIDC`` -- "Unlink <provider>"."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_SETTINGS_UPDATE_UNLINK_OIDC,
        f"Unlink {provider}",
        {"provider": provider},
    )


def settings_totp_secret(secret: str) -> UiText:
    """1050006: ``NewInfoSelfServiceSettingsTOTPSecret`` -- the text is the raw secret."""
    return make_text(MessageId.INFO_SELF_SERVICE_SETTINGS_TOTP_SECRET, secret, {"secret": secret})


def settings_lookup_secret(secret: str) -> UiText:
    """1050009: ``NewInfoSelfServiceSettingsLookupSecret`` -- one backup code."""
    return make_text(MessageId.INFO_SELF_SERVICE_SETTINGS_LOOKUP_SECRET, secret, {"secret": secret})


def settings_lookup_secret_used(used_at: datetime) -> UiText:
    """1050014: ``NewInfoSelfServiceSettingsLookupSecretUsed`` -- Go's ``%s`` of the time."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_SETTINGS_LOOKUP_SECRET_USED,
        f"Secret was used at {go_time_string(used_at)}",
        {"used_at": used_at, "used_at_unix": unix_seconds(used_at)},
    )


def settings_lookup_secret_list(shown: Sequence[str], secrets: Sequence[UiText]) -> UiText:
    """1050015: ``NewInfoSelfServiceSettingsLookupSecretList``.

    The text joins ``shown`` (each code, or ``"used"``) with ``", "``; the context carries
    the per-code messages (1050009 or 1050014) whole under ``secrets``.
    """
    return make_text(
        MessageId.INFO_SELF_SERVICE_SETTINGS_LOOKUP_SECRET_LIST,
        ", ".join(shown),
        {"secrets": [s.to_dict() for s in secrets]},
    )


def settings_remove_webauthn(display_name: str, added_at: datetime) -> UiText:
    """1050018: ``NewInfoSelfServiceRemoveWebAuthn`` -- 'Remove security key "<name>"'."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_SETTINGS_REMOVE_WEBAUTHN,
        f'Remove security key "{display_name}"',
        {
            "display_name": display_name,
            "added_at": added_at,
            "added_at_unix": unix_seconds(added_at),
        },
    )


def settings_remove_passkey(display_name: str, added_at: datetime) -> UiText:
    """1050020: ``NewInfoSelfServiceRemovePasskey`` -- 'Remove passkey "<name>"'."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_SETTINGS_REMOVE_PASSKEY,
        f'Remove passkey "{display_name}"',
        {
            "display_name": display_name,
            "added_at": added_at,
            "added_at_unix": unix_seconds(added_at),
        },
    )


def settings_flow_expired(expired_at: datetime, *, now: datetime | None = None) -> UiText:
    """4050001: ``NewErrorValidationSettingsFlowExpired``."""
    return make_text(
        MessageId.ERROR_VALIDATION_SETTINGS_FLOW_EXPIRED,
        f"The settings flow expired {minutes_between(now or utc_now(), expired_at)} minutes ago, "
        "please try again.",
        {"expired_at": expired_at, "expired_at_unix": unix_seconds(expired_at)},
    )


def settings_saved() -> UiText:
    """1050001: ``NewInfoSelfServiceSettingsUpdateSuccess``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_SETTINGS_UPDATE_SUCCESS,
        "Your changes have been saved!",
    )


def settings_unlink_totp() -> UiText:
    """1050004: ``NewInfoSelfServiceSettingsUpdateUnlinkTOTP``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_SETTINGS_UPDATE_UNLINK_TOTP,
        "Unlink TOTP Authenticator App",
    )


def settings_totp_qr_code() -> UiText:
    """1050005: ``NewInfoSelfServiceSettingsTOTPQRCode``."""
    return make_text(MessageId.INFO_SELF_SERVICE_SETTINGS_TOTP_QR_CODE, "Authenticator app QR code")


def settings_reveal_lookup() -> UiText:
    """1050007: ``NewInfoSelfServiceSettingsRevealLookup``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_SETTINGS_REVEAL_LOOKUP,
        "Reveal backup recovery codes",
    )


def settings_regenerate_lookup() -> UiText:
    """1050008: ``NewInfoSelfServiceSettingsRegenerateLookup``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_SETTINGS_REGENERATE_LOOKUP,
        "Generate new backup recovery codes",
    )


def settings_lookup_secrets_label() -> UiText:
    """1050010: ``NewInfoSelfServiceSettingsLookupSecretsLabel``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_SETTINGS_LOOKUP_SECRET_LABEL,
        "These are your back up recovery codes. Please keep them in a safe place!",
    )


def settings_lookup_confirm() -> UiText:
    """1050011: ``NewInfoSelfServiceSettingsLookupConfirm``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_SETTINGS_LOOKUP_CONFIRM,
        "Confirm backup recovery codes",
    )


def settings_register_webauthn() -> UiText:
    """1050012: ``NewInfoSelfServiceSettingsRegisterWebAuthn``."""
    return make_text(MessageId.INFO_SELF_SERVICE_SETTINGS_REGISTER_WEBAUTHN, "Add security key")


def settings_webauthn_display_name() -> UiText:
    """1050013: ``NewInfoSelfServiceRegisterWebAuthnDisplayName``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_SETTINGS_REGISTER_WEBAUTHN_DISPLAY_NAME,
        "Name of the security key",
    )


def settings_disable_lookup() -> UiText:
    """1050016: ``NewInfoSelfServiceSettingsDisableLookup``."""
    return make_text(MessageId.INFO_SELF_SERVICE_SETTINGS_DISABLE_LOOKUP, "Disable this method")


def settings_totp_secret_label() -> UiText:
    """1050017: ``NewInfoSelfServiceSettingsTOTPSecretLabel``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_SETTINGS_TOTP_SECRET_LABEL,
        "This is your authenticator app secret. Use it if you can not scan the QR code.",
    )


def settings_register_passkey() -> UiText:
    """1050019: ``NewInfoSelfServiceSettingsRegisterPasskey``."""
    return make_text(MessageId.INFO_SELF_SERVICE_SETTINGS_REGISTER_PASSKEY, "Add passkey")


def settings_managed_by_organization() -> UiText:
    """1050023: ``NewInfoSelfServiceSettingsManagedByOrganization``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_SETTINGS_MANAGED_BY_ORGANIZATION,
        "Your account is managed by your organization. To change these settings, contact "
        "your organization administrator.",
    )


def settings_too_many_address_changes() -> UiText:
    """4050002: ``NewErrorValidationSettingsTooManyAddressChanges``."""
    return make_text(
        MessageId.ERROR_VALIDATION_SETTINGS_TOO_MANY_ADDRESS_CHANGES,
        "You can only change one address at a time. Please update each address separately.",
    )
