"""Registration texts of ``ory/kratos:text/message_registration.go`` (``1040xxx``, ``4040xxx``)."""

from __future__ import annotations

from datetime import datetime

from phalanx.text.ids import MessageId
from phalanx.text.message import UiText, make_text, minutes_between, unix_seconds, utc_now

__all__ = [
    "registration",
    "registration_back",
    "registration_choose_credentials",
    "registration_code",
    "registration_code_invalid",
    "registration_code_sent",
    "registration_continue",
    "registration_flow_expired",
    "registration_passkey",
    "registration_retry_success",
    "registration_webauthn",
    "registration_with",
]


def registration_with(provider: str, provider_id: str) -> UiText:
    """1040002: ``NewInfoRegistrationWith`` -- an OIDC provider button label."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_REGISTRATION_WITH,
        f"Sign up with {provider}",
        {"provider": provider, "provider_id": provider_id},
    )


def registration_flow_expired(expired_at: datetime, *, now: datetime | None = None) -> UiText:
    """4040001: ``NewErrorValidationRegistrationFlowExpired``."""
    return make_text(
        MessageId.ERROR_VALIDATION_REGISTRATION_FLOW_EXPIRED,
        f"The registration flow expired {minutes_between(now or utc_now(), expired_at)} minutes "
        "ago, please try again.",
        {"expired_at": expired_at, "expired_at_unix": unix_seconds(expired_at)},
    )


def registration() -> UiText:
    """1040001: ``NewInfoRegistration``."""
    return make_text(MessageId.INFO_SELF_SERVICE_REGISTRATION, "Sign up")


def registration_continue() -> UiText:
    """1040003: ``NewInfoRegistrationContinue``."""
    return make_text(MessageId.INFO_SELF_SERVICE_REGISTRATION_CONTINUE, "Continue")


def registration_webauthn() -> UiText:
    """1040004: ``NewInfoSelfServiceRegistrationRegisterWebAuthn``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_REGISTRATION_REGISTER_WEBAUTHN,
        "Sign up with security key",
    )


def registration_code_sent() -> UiText:
    """1040005: ``NewRegistrationEmailWithCodeSent``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_REGISTRATION_EMAIL_WITH_CODE_SENT,
        "A code has been sent to the address(es) you provided. If you have not received a"
        " message, check the spelling of the address and retry the registration.",
    )


def registration_code() -> UiText:
    """1040006: ``NewInfoSelfServiceRegistrationRegisterCode``."""
    return make_text(MessageId.INFO_SELF_SERVICE_REGISTRATION_REGISTER_CODE, "Send sign up code")


def registration_passkey() -> UiText:
    """1040007: ``NewInfoSelfServiceRegistrationRegisterPasskey``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_REGISTRATION_REGISTER_PASSKEY,
        "Sign up with passkey",
    )


def registration_back() -> UiText:
    """1040008: ``NewInfoRegistrationBack``."""
    return make_text(MessageId.INFO_SELF_SERVICE_REGISTRATION_BACK, "Back")


def registration_choose_credentials() -> UiText:
    """1040009: ``NewInfoSelfServiceChooseCredentials``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_REGISTRATION_CHOOSE_CREDENTIALS,
        "Please choose a credential to authenticate yourself with.",
    )


def registration_retry_success() -> UiText:
    """4040002: ``NewErrorValidationRegistrationRetrySuccessful``."""
    return make_text(
        MessageId.ERROR_VALIDATION_REGISTRATION_RETRY_SUCCESS,
        "The request was already completed successfully and can not be retried.",
    )


def registration_code_invalid() -> UiText:
    """4040003: ``NewErrorValidationRegistrationCodeInvalidOrAlreadyUsed``."""
    return make_text(
        MessageId.ERROR_VALIDATION_REGISTRATION_CODE_INVALID_OR_ALREADY_USED,
        "The registration code is invalid or has already been used. Please try again.",
    )
