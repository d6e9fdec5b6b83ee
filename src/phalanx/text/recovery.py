"""Recovery texts of ``ory/kratos:text/message_recovery.go`` (``1060xxx``, ``4060xxx``).

``recovery_link_sent`` (1060002) is the ``link`` method's message, ``recovery_email_sent``
(1060003) the ``code`` method's (Kratos's default recovery method).
"""

from __future__ import annotations

from datetime import datetime

from phalanx.text.ids import MessageId
from phalanx.text.message import UiText, make_text, minutes_between, unix_seconds, utc_now

__all__ = [
    "recovery_ask_choose_address",
    "recovery_ask_full_address",
    "recovery_back",
    "recovery_code_invalid",
    "recovery_code_sent_masked",
    "recovery_email_sent",
    "recovery_flow_expired",
    "recovery_link_sent",
    "recovery_retry_success",
    "recovery_state_failure",
    "recovery_successful",
    "recovery_token_invalid",
]


def recovery_successful(
    privileged_session_expires_at: datetime, *, now: datetime | None = None
) -> UiText:
    """1060001: ``NewRecoverySuccessful`` -- minutes left in the privileged session.

    The context carries the expiry under a legacy camelCase key as well.
    """
    left = minutes_between(privileged_session_expires_at, now or utc_now())
    return make_text(
        MessageId.INFO_SELF_SERVICE_RECOVERY_SUCCESSFUL,
        "You successfully recovered your account. Please change your password or set up an "
        "alternative login method (e.g. social sign in) within the next "
        f"{left} minutes.",
        {
            "privilegedSessionExpiresAt": privileged_session_expires_at,
            "privileged_session_expires_at": privileged_session_expires_at,
            "privileged_session_expires_at_unix": unix_seconds(privileged_session_expires_at),
        },
    )


def recovery_code_sent_masked(masked_address: str) -> UiText:
    """1060004: ``NewRecoveryCodeRecoverySelectAddressSent`` -- code sent to a masked address."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_RECOVERY_MESSAGE_MASKED_WITH_CODE_SENT,
        f"A recovery code has been sent to {masked_address}. If you have not received it, check "
        "the spelling of the address and make sure to use the address you registered with.",
        {"masked_address": masked_address},
    )


def recovery_flow_expired(expired_at: datetime, *, now: datetime | None = None) -> UiText:
    """4060005: ``NewErrorValidationRecoveryFlowExpired``."""
    return make_text(
        MessageId.ERROR_VALIDATION_RECOVERY_FLOW_EXPIRED,
        f"The recovery flow expired {minutes_between(now or utc_now(), expired_at)} minutes ago, "
        "please try again.",
        {"expired_at": expired_at, "expired_at_unix": unix_seconds(expired_at)},
    )


def recovery_link_sent() -> UiText:
    """1060002: ``NewRecoveryEmailSent``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_RECOVERY_EMAIL_SENT,
        "An email containing a recovery link has been sent to the email address you "
        "provided. If you have not received an email, check the spelling of the address "
        "and make sure to use the address you registered with.",
    )


def recovery_email_sent() -> UiText:
    """1060003: ``NewRecoveryEmailWithCodeSent``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_RECOVERY_EMAIL_WITH_CODE_SENT,
        "An email containing a recovery code has been sent to the email address you "
        "provided. If you have not received an email, check the spelling of the address "
        "and make sure to use the address you registered with.",
    )


def recovery_ask_full_address() -> UiText:
    """1060005: ``NewRecoveryAskForFullAddress``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_RECOVERY_ASK_FOR_FULL_ADDRESS,
        "Recover access to your account by providing your recovery address in full.",
    )


def recovery_ask_choose_address() -> UiText:
    """1060006: ``NewRecoveryAskToChooseAddress``."""
    return make_text(
        MessageId.INFO_SELF_SERVICE_RECOVERY_ASK_TO_CHOOSE_ADDRESS,
        "How do you want to recover your account?",
    )


def recovery_back() -> UiText:
    """1060007: ``NewRecoveryBack``."""
    return make_text(MessageId.INFO_SELF_SERVICE_RECOVERY_BACK, "Back")


def recovery_retry_success() -> UiText:
    """4060001: ``NewErrorValidationRecoveryRetrySuccess``."""
    return make_text(
        MessageId.ERROR_VALIDATION_RECOVERY_RETRY_SUCCESS,
        "The request was already completed successfully and can not be retried.",
    )


def recovery_state_failure() -> UiText:
    """4060002: ``NewErrorValidationRecoveryStateFailure``."""
    return make_text(
        MessageId.ERROR_VALIDATION_RECOVERY_STATE_FAILURE,
        "The recovery flow reached a failure state and must be retried.",
    )


def recovery_token_invalid() -> UiText:
    """4060004: ``NewErrorValidationRecoveryTokenInvalidOrAlreadyUsed``."""
    return make_text(
        MessageId.ERROR_VALIDATION_RECOVERY_TOKEN_INVALID_OR_ALREADY_USED,
        "The recovery token is invalid or has already been used. Please retry the flow.",
    )


def recovery_code_invalid() -> UiText:
    """4060006: ``NewErrorValidationRecoveryCodeInvalidOrAlreadyUsed``."""
    return make_text(
        MessageId.ERROR_VALIDATION_RECOVERY_CODE_INVALID_OR_ALREADY_USED,
        "The recovery code is invalid or has already been used. Please try again.",
    )
