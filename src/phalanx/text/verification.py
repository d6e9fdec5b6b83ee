"""Verification texts of ``ory/kratos:text/message_verification.go`` (``1080xxx``, ``4070xxx``).

``verification_link_sent`` (1080001) is the ``link`` method's message,
``verification_email_sent`` (1080003) and ``verification_phone_sent`` (1080004) the ``code``
method's.
"""

from __future__ import annotations

from datetime import datetime

from phalanx.text.ids import MessageId
from phalanx.text.message import UiText, make_text, minutes_between, unix_seconds, utc_now

__all__ = [
    "verification_code_invalid",
    "verification_email_sent",
    "verification_flow_expired",
    "verification_link_sent",
    "verification_phone_sent",
    "verification_phone_successful",
    "verification_retry_success",
    "verification_state_failure",
    "verification_successful",
    "verification_token_invalid",
]


def verification_flow_expired(expired_at: datetime, *, now: datetime | None = None) -> UiText:
    """4070005: ``NewErrorValidationVerificationFlowExpired``."""
    return make_text(
        MessageId.ERROR_VALIDATION_VERIFICATION_FLOW_EXPIRED,
        f"The verification flow expired {minutes_between(now or utc_now(), expired_at)} minutes "
        "ago, please try again.",
        {"expired_at": expired_at, "expired_at_unix": unix_seconds(expired_at)},
    )


def verification_link_sent() -> UiText:
    """1080001: ``NewVerificationEmailSent``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_VERIFICATION_EMAIL_SENT,
        "An email containing a verification link has been sent to the email address you "
        "provided. If you have not received an email, check the spelling of the address "
        "and make sure to use the address you registered with.",
    )


def verification_successful() -> UiText:
    """1080002: ``NewInfoSelfServiceVerificationSuccessful``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_VERIFICATION_SUCCESSFUL,
        "You successfully verified your email address.",
    )


def verification_email_sent() -> UiText:
    """1080003: ``NewVerificationEmailWithCodeSent``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_VERIFICATION_EMAIL_WITH_CODE_SENT,
        "An email containing a verification code has been sent to the email address you "
        "provided. If you have not received an email, check the spelling of the address "
        "and make sure to use the address you registered with.",
    )


def verification_phone_sent() -> UiText:
    """1080004: ``NewVerificationPhoneWithCodeSent``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_VERIFICATION_PHONE_WITH_CODE_SENT,
        "A text message containing a verification code has been sent to the phone number "
        "you provided. If you have not received a text message, check the spelling of the"
        " number and make sure to use the number you registered with.",
    )


def verification_phone_successful() -> UiText:
    """1080005: ``NewInfoSelfServiceVerificationPhoneSuccessful``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_VERIFICATION_PHONE_SUCCESSFUL,
        "You successfully verified your phone number.",
    )


def verification_token_invalid() -> UiText:
    """4070001: ``NewErrorValidationVerificationTokenInvalidOrAlreadyUsed``."""
    return make_text(
        MessageId.ERROR_VALIDATION_VERIFICATION_TOKEN_INVALID_OR_ALREADY_USED,
        "The verification token is invalid or has already been used. Please retry the flow.",
    )


def verification_retry_success() -> UiText:
    """4070002: ``NewErrorValidationVerificationRetrySuccess``."""
    return make_text(
        MessageId.ERROR_VALIDATION_VERIFICATION_RETRY_SUCCESS,
        "The request was already completed successfully and can not be retried.",
    )


def verification_state_failure() -> UiText:
    """4070003: ``NewErrorValidationVerificationStateFailure``."""
    return make_text(
        MessageId.ERROR_VALIDATION_VERIFICATION_STATE_FAILURE,
        "The verification flow reached a failure state and must be retried.",
    )


def verification_code_invalid() -> UiText:
    """4070006: ``NewErrorValidationVerificationCodeInvalidOrAlreadyUsed``."""
    return make_text(
        MessageId.ERROR_VALIDATION_VERIFICATION_CODE_INVALID_OR_ALREADY_USED,
        "The verification code is invalid or has already been used. Please try again.",
    )
