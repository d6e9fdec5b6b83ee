"""Login texts and the "no strategy" / flow errors of ``ory/kratos:text/message_login.go``.

Ids ``1010xxx`` (login info) and ``4010xxx`` (login errors; Kratos keeps the "no strategy
found" errors of every flow here too).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from phalanx.text.gofmt import go_quote
from phalanx.text.ids import MessageId
from phalanx.text.message import UiText, make_text, minutes_between, unix_seconds, utc_now

__all__ = [
    "identity_disabled",
    "login",
    "login_aal2_code_address",
    "login_address_unknown",
    "login_and_link",
    "login_code",
    "login_code_invalid",
    "login_code_mfa",
    "login_code_sent",
    "login_code_sent_authenticated",
    "login_continue",
    "login_continue_webauthn",
    "login_device_authn",
    "login_flow_expired",
    "login_link",
    "login_linked_credentials_mismatch",
    "login_lookup",
    "login_lookup_label",
    "login_mfa",
    "login_no_strategy",
    "login_passkey",
    "login_password",
    "login_reauth",
    "login_retry_success",
    "login_totp",
    "login_totp_label",
    "login_verify",
    "login_webauthn",
    "login_webauthn_passwordless",
    "login_with",
    "login_with_and_link",
    "recovery_no_strategy",
    "registration_no_strategy",
    "settings_no_strategy",
    "verification_no_strategy",
]


def login_with(provider: str, provider_id: str) -> UiText:
    """1010002: ``NewInfoLoginWith`` -- an OIDC provider button label."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_LOGIN_WITH,
        f"Sign in with {provider}",
        {"provider": provider, "provider_id": provider_id},
    )


def login_link(
    duplicate_identifier: str,
    provider: str,
    new_login_url: str,
    available_credential_types: Sequence[str] | None = None,
    available_providers: Sequence[str] | None = None,
) -> UiText:
    """1010016: ``NewInfoLoginLinkMessage`` -- sign in to link a duplicate social account.

    The context repeats two keys in camelCase, as Kratos does for older UIs.
    """
    dup = go_quote(duplicate_identifier)
    return make_text(
        MessageId.INFO_SELF_SERVICE_LOGIN_LINK,
        f"You tried to sign in with {dup}, but that email is already used by another account. "
        "Sign in to your account with one of the options below to add your account "
        f"{dup} at {go_quote(provider)} as another way to sign in.",
        {
            "duplicateIdentifier": duplicate_identifier,
            "provider": provider,
            "newLoginUrl": new_login_url,
            "duplicate_identifier": duplicate_identifier,
            "new_login_url": new_login_url,
            "available_credential_types": _list_or_none(available_credential_types),
            "available_providers": _list_or_none(available_providers),
        },
    )


def login_with_and_link(provider: str) -> UiText:
    """1010018: ``NewInfoLoginWithAndLink``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_LOGIN_WITH_AND_LINK,
        f"Confirm with {provider}",
        {"provider": provider},
    )


def login_aal2_code_address(channel: str, address: str) -> UiText:
    """1010023: ``NewInfoSelfServiceLoginAAL2CodeAddress`` -- "Send code to <address>"."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_LOGIN_AAL2_CODE_ADDRESS,
        f"Send code to {address}",
        {"address": address, "channel": channel},
    )


def login_flow_expired(expired_at: datetime, *, now: datetime | None = None) -> UiText:
    """4010001: ``NewErrorValidationLoginFlowExpired`` -- minutes since expiry, 2 decimals."""
    return make_text(
        MessageId.ERROR_VALIDATION_LOGIN_FLOW_EXPIRED,
        f"The login flow expired {minutes_between(now or utc_now(), expired_at)} minutes ago, "
        "please try again.",
        {"expired_at": expired_at, "expired_at_unix": unix_seconds(expired_at)},
    )


def _list_or_none(values: Sequence[str] | None) -> list[str] | None:
    # Go marshals a nil slice as null and an empty one as [].
    return None if values is None else list(values)


def login() -> UiText:
    """1010001: ``NewInfoLogin``."""
    return make_text(MessageId.INFO_SELF_SERVICE_LOGIN, "Sign in")


def login_reauth() -> UiText:
    """1010003: ``NewInfoLoginReAuth``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_LOGIN_REAUTH,
        "Please confirm this action by verifying that it is you.",
    )


def login_mfa() -> UiText:
    """1010004: ``NewInfoLoginMFA``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_LOGIN_MFA,
        "Please complete the second authentication challenge.",
    )


def login_verify() -> UiText:
    """1010005: ``NewInfoLoginVerify``."""
    return make_text(MessageId.INFO_SELF_SERVICE_LOGIN_VERIFY, "Verify")


def login_totp_label() -> UiText:
    """1010006: ``NewInfoLoginTOTPLabel``."""
    return make_text(MessageId.INFO_SELF_SERVICE_LOGIN_TOTP_LABEL, "Authentication code")


def login_lookup_label() -> UiText:
    """1010007: ``NewInfoLoginLookupLabel``."""
    return make_text(MessageId.INFO_LOGIN_LOOKUP_LABEL, "Backup recovery code")


def login_webauthn() -> UiText:
    """1010008: ``NewInfoSelfServiceLoginWebAuthn`` (v25.4 text, without "a")."""
    return make_text(MessageId.INFO_SELF_SERVICE_LOGIN_WEBAUTHN, "Sign in with hardware key")


def login_totp() -> UiText:
    """1010009: ``NewInfoLoginTOTP``."""
    return make_text(MessageId.INFO_LOGIN_TOTP, "Use Authenticator")


def login_lookup() -> UiText:
    """1010010: ``NewInfoLoginLookup``."""
    return make_text(MessageId.INFO_LOGIN_LOOKUP, "Use backup recovery code")


def login_continue_webauthn() -> UiText:
    """1010011: ``NewInfoSelfServiceContinueLoginWebAuthn``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_LOGIN_CONTINUE_WEBAUTHN,
        "Sign in with hardware key",
    )


def login_webauthn_passwordless() -> UiText:
    """1010012: ``NewInfoLoginWebAuthnPasswordless``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_LOGIN_WEBAUTHN_PASSWORDLESS,
        "Prepare your WebAuthn device (e.g. security key, biometrics scanner, ...) and "
        "press continue.",
    )


def login_continue() -> UiText:
    """1010013: ``NewInfoSelfServiceLoginContinue``."""
    return make_text(MessageId.INFO_SELF_SERVICE_LOGIN_CONTINUE, "Continue")


def login_code_sent() -> UiText:
    """1010014: ``NewLoginCodeSent``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_LOGIN_CODE_SENT,
        "A code was sent to the address you provided. If you didn't receive it, please "
        "check the spelling of the address and try again.",
    )


def login_code() -> UiText:
    """1010015: ``NewInfoSelfServiceLoginCode``."""
    return make_text(MessageId.INFO_SELF_SERVICE_LOGIN_CODE, "Send sign in code")


def login_and_link() -> UiText:
    """1010017: ``NewInfoLoginAndLink``."""
    return make_text(MessageId.INFO_SELF_SERVICE_LOGIN_AND_LINK, "Sign in and link")


def login_code_mfa() -> UiText:
    """1010019: ``NewInfoSelfServiceLoginCodeMFA``."""
    return make_text(MessageId.INFO_SELF_SERVICE_LOGIN_CODE_MFA, "Request code to continue")


def login_passkey() -> UiText:
    """1010021: ``NewInfoSelfServiceLoginPasskey``."""
    return make_text(MessageId.INFO_SELF_SERVICE_LOGIN_PASSKEY, "Sign in with passkey")


def login_password() -> UiText:
    """1010022: ``NewInfoLoginPassword``."""
    return make_text(MessageId.INFO_SELF_SERVICE_LOGIN_PASSWORD, "Sign in with password")


def login_device_authn() -> UiText:
    """1010024: ``NewInfoSelfServiceLoginDeviceAuthn``."""
    return make_text(MessageId.INFO_SELF_SERVICE_LOGIN_DEVICE_AUTHN, "Sign in with a hardware key")


def login_code_sent_authenticated() -> UiText:
    """1010025: ``NewLoginCodeSentForAuthenticatedUser``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_LOGIN_CODE_SENT_FOR_AUTHENTICATED_USER,
        "A code was sent to your address. If you didn't receive it, please try again.",
    )


def login_no_strategy() -> UiText:
    """4010002: ``NewErrorValidationLoginNoStrategyFound``."""
    return make_text(
        MessageId.ERROR_VALIDATION_LOGIN_NO_STRATEGY_FOUND,
        "Could not find a strategy to log you in with. Did you fill out the form correctly?",
    )


def registration_no_strategy() -> UiText:
    """4010003: ``NewErrorValidationRegistrationNoStrategyFound``."""
    return make_text(
        MessageId.ERROR_VALIDATION_REGISTRATION_NO_STRATEGY_FOUND,
        "Could not find a strategy to sign you up with. Did you fill out the form correctly?",
    )


def settings_no_strategy() -> UiText:
    """4010004: ``NewErrorValidationSettingsNoStrategyFound``."""
    return make_text(
        MessageId.ERROR_VALIDATION_SETTINGS_NO_STRATEGY_FOUND,
        "Could not find a strategy to update your settings. Did you fill out the form correctly?",
    )


def recovery_no_strategy() -> UiText:
    """4010005: ``NewErrorValidationRecoveryNoStrategyFound``."""
    return make_text(
        MessageId.ERROR_VALIDATION_RECOVERY_NO_STRATEGY_FOUND,
        "Could not find a strategy to recover your account with. Did you fill out the "
        "form correctly?",
    )


def verification_no_strategy() -> UiText:
    """4010006: ``NewErrorValidationVerificationNoStrategyFound``."""
    return make_text(
        MessageId.ERROR_VALIDATION_VERIFICATION_NO_STRATEGY_FOUND,
        "Could not find a strategy to verify your account with. Did you fill out the form"
        " correctly?",
    )


def login_retry_success() -> UiText:
    """4010007: ``NewErrorValidationLoginRetrySuccessful``."""
    return make_text(
        MessageId.ERROR_VALIDATION_LOGIN_RETRY_SUCCESS,
        "The request was already completed successfully and can not be retried.",
    )


def login_code_invalid() -> UiText:
    """4010008: ``NewErrorValidationLoginCodeInvalidOrAlreadyUsed``."""
    return make_text(
        MessageId.ERROR_VALIDATION_LOGIN_CODE_INVALID_OR_ALREADY_USED,
        "The login code is invalid or has already been used. Please try again.",
    )


def login_linked_credentials_mismatch() -> UiText:
    """4010009: ``NewErrorValidationLoginLinkedCredentialsDoNotMatch``."""
    return make_text(
        MessageId.ERROR_VALIDATION_LOGIN_LINKED_CREDENTIALS_DO_NOT_MATCH,
        "Linked credentials do not match.",
    )


def login_address_unknown() -> UiText:
    """4010010: ``NewErrorValidationAddressUnknown``."""
    return make_text(
        MessageId.ERROR_VALIDATION_LOGIN_ADDRESS_UNKNOWN,
        "The address you entered does not match any known addresses in the current account.",
    )


def identity_disabled() -> UiText:
    """4010011: ``NewErrorValidationIdentityDisabled``."""
    return make_text(
        MessageId.ERROR_VALIDATION_IDENTITY_DISABLED,
        "This account has been disabled. Please contact support for assistance.",
    )
