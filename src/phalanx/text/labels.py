"""Node labels of ``ory/kratos:text/message_node.go`` (``1070xxx``).

``label_generated`` is the label of inputs generated from an identity schema: its text is the
property's ``title`` and its context names the title and the node name.
"""

from __future__ import annotations

from phalanx.text.ids import MessageId
from phalanx.text.message import UiText, make_text

__all__ = [
    "label_captcha",
    "label_continue",
    "label_email",
    "label_email_or_phone",
    "label_generated",
    "label_id",
    "label_login_and_link_credential",
    "label_login_code",
    "label_password",
    "label_phone_number",
    "label_recovery_address",
    "label_recovery_code",
    "label_registration_code",
    "label_resend_otp",
    "label_save",
    "label_submit",
    "label_verification_code",
    "label_verify_otp",
]


def label_generated(title: str, name: str) -> UiText:
    """1070002: ``NewInfoNodeLabelGenerated`` -- text = schema title, context ``{title, name}``."""
    return make_text(MessageId.INFO_NODE_LABEL_GENERATED, title, {"title": title, "name": name})


def label_password() -> UiText:
    """1070001: ``NewInfoNodeInputPassword``."""
    return make_text(MessageId.INFO_NODE_LABEL_INPUT_PASSWORD, "Password")


def label_save() -> UiText:
    """1070003: ``NewInfoNodeLabelSave``."""
    return make_text(MessageId.INFO_NODE_LABEL_SAVE, "Save")


def label_id() -> UiText:
    """1070004: ``NewInfoNodeLabelID``."""
    return make_text(MessageId.INFO_NODE_LABEL_ID, "ID")


def label_submit() -> UiText:
    """1070005: ``NewInfoNodeLabelSubmit``."""
    return make_text(MessageId.INFO_NODE_LABEL_SUBMIT, "Submit")


def label_verify_otp() -> UiText:
    """1070006: ``NewInfoNodeLabelVerifyOTP``."""
    return make_text(MessageId.INFO_NODE_LABEL_VERIFY_OTP, "Verify code")


def label_email() -> UiText:
    """1070007: ``NewInfoNodeInputEmail``."""
    return make_text(MessageId.INFO_NODE_LABEL_EMAIL, "Email")


def label_resend_otp() -> UiText:
    """1070008: ``NewInfoNodeResendOTP``."""
    return make_text(MessageId.INFO_NODE_LABEL_RESEND_OTP, "Resend code")


def label_continue() -> UiText:
    """1070009: ``NewInfoNodeLabelContinue``."""
    return make_text(MessageId.INFO_NODE_LABEL_CONTINUE, "Continue")


def label_recovery_code() -> UiText:
    """1070010: ``NewInfoNodeLabelRecoveryCode``."""
    return make_text(MessageId.INFO_NODE_LABEL_RECOVERY_CODE, "Recovery code")


def label_verification_code() -> UiText:
    """1070011: ``NewInfoNodeLabelVerificationCode``."""
    return make_text(MessageId.INFO_NODE_LABEL_VERIFICATION_CODE, "Verification code")


def label_registration_code() -> UiText:
    """1070012: ``NewInfoNodeLabelRegistrationCode``."""
    return make_text(MessageId.INFO_NODE_LABEL_REGISTRATION_CODE, "Registration code")


def label_login_code() -> UiText:
    """1070013: ``NewInfoNodeLabelLoginCode``."""
    return make_text(MessageId.INFO_NODE_LABEL_LOGIN_CODE, "Login code")


def label_login_and_link_credential() -> UiText:
    """1070014: ``NewInfoNodeLoginAndLinkCredential``."""
    return make_text(
        MessageId.INFO_NODE_LABEL_LOGIN_AND_LINK_CREDENTIAL,
        "Login and link credential",
    )


def label_captcha() -> UiText:
    """1070015: ``NewCaptchaContainerMessage``."""
    return make_text(
        MessageId.INFO_NODE_LABEL_CAPTCHA,
        "Please complete the captcha challenge to continue.",
    )


def label_recovery_address() -> UiText:
    """1070016: ``NewRecoveryAskAnyRecoveryAddress``."""
    return make_text(MessageId.INFO_NODE_LABEL_RECOVERY_ADDRESS, "Recovery address")


def label_phone_number() -> UiText:
    """1070017: ``NewInfoNodeInputPhoneNumber``."""
    return make_text(MessageId.INFO_NODE_LABEL_PHONE_NUMBER, "Phone number")


def label_email_or_phone() -> UiText:
    """1070018: ``NewInfoNodeInputEmailOrPhone``."""
    return make_text(MessageId.INFO_NODE_LABEL_EMAIL_OR_PHONE, "Email or phone number")
