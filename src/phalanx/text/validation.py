"""Validation errors of ``ory/kratos:text/message_validation.go`` (``4000xxx``).

The JSON-schema family (4000002-4000004, 4000017-4000026, 4000029-4000030) mirrors the texts
of Kratos's JSON-schema validator; numbers given as ``float64`` in Go are rendered with Go's
``%v`` in the text and as JSON numbers (``5``, not ``5.0``) in the context.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from phalanx.text.gofmt import go_float, go_quote, json_number
from phalanx.text.ids import MessageId
from phalanx.text.message import UiText, make_text

__all__ = [
    "account_not_found",
    "address_not_verified",
    "captcha_failed",
    "device_authn_attestation_expired",
    "device_authn_reenrollment_required",
    "device_authn_verifier_wrong",
    "duplicate_credentials",
    "duplicate_credentials_on_oidc_link",
    "duplicate_credentials_with_hints",
    "identifier_missing",
    "invalid_credentials",
    "lookup_already_used",
    "lookup_invalid",
    "no_code_user",
    "no_device_authn_device",
    "no_lookup",
    "no_totp_device",
    "no_webauthn_device",
    "no_webauthn_user",
    "password_breached",
    "password_identifier_too_similar",
    "password_policy_violation",
    "password_same_as_old",
    "password_too_long",
    "password_too_short",
    "totp_verifier_wrong",
    "traits_mismatch",
    "validation_const",
    "validation_const_generic",
    "validation_email",
    "validation_exclusive_maximum",
    "validation_exclusive_minimum",
    "validation_generic",
    "validation_max_items",
    "validation_max_length",
    "validation_maximum",
    "validation_min_items",
    "validation_min_length",
    "validation_minimum",
    "validation_multiple_of",
    "validation_pattern",
    "validation_phone",
    "validation_required",
    "validation_unique_items",
    "validation_wrong_type",
    "webauthn_verifier_wrong",
]


def validation_generic(reason: str) -> UiText:
    """4000001: ``NewValidationErrorGeneric`` -- the text is the reason itself."""
    return make_text(MessageId.ERROR_VALIDATION_GENERIC, reason, {"reason": reason})


def validation_required(property: str) -> UiText:
    """4000002: ``NewValidationErrorRequired`` -- "Property <name> is missing."."""
    return make_text(
        MessageId.ERROR_VALIDATION_REQUIRED,
        f"Property {property} is missing.",
        {"property": property},
    )


def validation_min_length(min_length: int, actual_length: int) -> UiText:
    """4000003: ``NewErrorValidationMinLength``."""
    return make_text(
        MessageId.ERROR_VALIDATION_MIN_LENGTH,
        f"length must be >= {min_length}, but got {actual_length}",
        {"min_length": min_length, "actual_length": actual_length},
    )


def validation_pattern(pattern: str) -> UiText:
    """4000004: ``NewErrorValidationInvalidFormat`` -- the pattern is Go-quoted (``%q``)."""
    return make_text(
        MessageId.ERROR_VALIDATION_INVALID_FORMAT,
        f"does not match pattern {go_quote(pattern)}",
        {"pattern": pattern},
    )


def password_policy_violation(reason: str) -> UiText:
    """4000005: ``NewErrorValidationPasswordPolicyViolationGeneric``."""
    return make_text(
        MessageId.ERROR_VALIDATION_PASSWORD_POLICY_VIOLATION_GENERIC,
        f"The password can not be used because {reason}.",
        {"reason": reason},
    )


def validation_max_length(max_length: int, actual_length: int) -> UiText:
    """4000017: ``NewErrorValidationMaxLength``."""
    return make_text(
        MessageId.ERROR_VALIDATION_MAX_LENGTH,
        f"length must be <= {max_length}, but got {actual_length}",
        {"max_length": max_length, "actual_length": actual_length},
    )


def _bound(message_id: MessageId, op: str, key: str, bound: float, actual: float) -> UiText:
    return make_text(
        message_id,
        f"must be {op} {go_float(bound)} but found {go_float(actual)}",
        {key: json_number(bound), "actual": json_number(actual)},
    )


def validation_minimum(minimum: float, actual: float) -> UiText:
    """4000018: ``NewErrorValidationMinimum``."""
    return _bound(MessageId.ERROR_VALIDATION_MINIMUM, ">=", "minimum", minimum, actual)


def validation_exclusive_minimum(minimum: float, actual: float) -> UiText:
    """4000019: ``NewErrorValidationExclusiveMinimum``."""
    return _bound(MessageId.ERROR_VALIDATION_EXCLUSIVE_MINIMUM, ">", "minimum", minimum, actual)


def validation_maximum(maximum: float, actual: float) -> UiText:
    """4000020: ``NewErrorValidationMaximum``."""
    return _bound(MessageId.ERROR_VALIDATION_MAXIMUM, "<=", "maximum", maximum, actual)


def validation_exclusive_maximum(maximum: float, actual: float) -> UiText:
    """4000021: ``NewErrorValidationExclusiveMaximum``."""
    return _bound(MessageId.ERROR_VALIDATION_EXCLUSIVE_MAXIMUM, "<", "maximum", maximum, actual)


def validation_multiple_of(base: float, actual: float) -> UiText:
    """4000022: ``NewErrorValidationMultipleOf`` -- "<actual> not multipleOf <base>"."""
    return make_text(
        MessageId.ERROR_VALIDATION_MULTIPLE_OF,
        f"{go_float(actual)} not multipleOf {go_float(base)}",
        {"base": json_number(base), "actual": json_number(actual)},
    )


def validation_max_items(max_items: int, actual_items: int) -> UiText:
    """4000023: ``NewErrorValidationMaxItems``."""
    return make_text(
        MessageId.ERROR_VALIDATION_MAX_ITEMS,
        f"maximum {max_items} items allowed, but found {actual_items} items",
        {"max_items": max_items, "actual_items": actual_items},
    )


def validation_min_items(min_items: int, actual_items: int) -> UiText:
    """4000024: ``NewErrorValidationMinItems``."""
    return make_text(
        MessageId.ERROR_VALIDATION_MIN_ITEMS,
        f"minimum {min_items} items allowed, but found {actual_items} items",
        {"min_items": min_items, "actual_items": actual_items},
    )


def validation_unique_items(index_a: int, index_b: int) -> UiText:
    """4000025: ``NewErrorValidationUniqueItems``."""
    return make_text(
        MessageId.ERROR_VALIDATION_UNIQUE_ITEMS,
        f"items at index {index_a} and {index_b} are equal",
        {"index_a": index_a, "index_b": index_b},
    )


def validation_wrong_type(allowed_types: Sequence[str], actual_type: str) -> UiText:
    """4000026: ``NewErrorValidationWrongType`` -- "expected a or b, but got c"."""
    return make_text(
        MessageId.ERROR_VALIDATION_WRONG_TYPE,
        f"expected {' or '.join(allowed_types)}, but got {actual_type}",
        {"allowed_types": list(allowed_types), "actual_type": actual_type},
    )


_CREDENTIAL_HINTS = {
    "password": "your password",
    "oidc": "social sign in",
    "saml": "social sign in",
    "webauthn": "your passkey or a security key",
    "passkey": "your passkey",
}

# Word characters for Unicode title casing: letters, digits, marks and the connector "_";
# "'", "." and ":" join letters into one word as in Unicode word segmentation.
_WORD = re.compile(r"[^\W_]+(?:(?:['.:]|_+)[^\W_]+)*|_+", re.UNICODE)


def _title(value: str) -> str:
    """``cases.Title(language.English)``: upper-case each word's first letter, lower the rest."""
    return _WORD.sub(lambda m: m.group(0)[:1].upper() + m.group(0)[1:].lower(), value)


def duplicate_credentials_with_hints(
    available_credential_types: Sequence[str] | None,
    available_oidc_providers: Sequence[str] | None,
    credential_identifier_hint: str,
) -> UiText:
    """4000028: ``NewErrorValidationDuplicateCredentialsWithHints``.

    Lists the ways the existing account can sign in: known credential types in words
    (duplicates removed, the last prefixed with "or"), unknown types verbatim only when no
    type is known, and the OIDC providers title-cased (kept as they are when they contain
    ``{`` or ``}``).
    """
    identifier = credential_identifier_hint or "an email, phone, or username"
    reason = f"You tried signing in with {identifier} which is already in use by another account."
    types = list(available_credential_types or [])
    if types:
        readable = [_CREDENTIAL_HINTS[t] for t in types if t in _CREDENTIAL_HINTS] or list(types)
        readable = list(dict.fromkeys(readable))
        if len(readable) > 1:
            readable[-1] = "or " + readable[-1]
        reason += f" You can sign in using {', '.join(readable)}."
    providers = [
        p if ("{" in p or "}" in p) else _title(p) for p in (available_oidc_providers or [])
    ]
    if providers:
        reason += (
            " You can sign in using one of the following social sign in providers: "
            f"{', '.join(providers)}."
        )
    return make_text(
        MessageId.ERROR_VALIDATION_DUPLICATE_CREDENTIALS_WITH_HINTS,
        reason,
        {
            "available_credential_types": (
                None if available_credential_types is None else list(available_credential_types)
            ),
            "available_oidc_providers": (
                None if available_oidc_providers is None else list(available_oidc_providers)
            ),
            "credential_identifier_hint": credential_identifier_hint,
        },
    )


def validation_const(expected: Any) -> UiText:
    """4000029: ``NewErrorValidationConst`` -- ``expected`` as Kratos passes it (Go ``%v``)."""
    shown = go_float(expected) if isinstance(expected, float) else str(expected)
    if isinstance(expected, bool):
        shown = "true" if expected else "false"
    elif expected is None:
        shown = "<nil>"
    return make_text(
        MessageId.ERROR_VALIDATION_CONST,
        f"must be equal to constant {shown}",
        {"expected": expected},
    )


def password_too_short(min_length: int, actual_length: int) -> UiText:
    """4000032: ``NewErrorValidationPasswordMinLength``."""
    return make_text(
        MessageId.ERROR_VALIDATION_PASSWORD_MIN_LENGTH,
        f"The password must be at least {min_length} characters long, but got {actual_length}.",
        {"min_length": min_length, "actual_length": actual_length},
    )


def password_too_long(max_length: int, actual_length: int) -> UiText:
    """4000033: ``NewErrorValidationPasswordMaxLength``."""
    return make_text(
        MessageId.ERROR_VALIDATION_PASSWORD_MAX_LENGTH,
        f"The password must be at most {max_length} characters long, but got {actual_length}.",
        {"max_length": max_length, "actual_length": actual_length},
    )


def password_breached(breaches: int) -> UiText:
    """4000034: ``NewErrorValidationPasswordTooManyBreaches`` -- count in the context only."""
    return make_text(
        MessageId.ERROR_VALIDATION_PASSWORD_TOO_MANY_BREACHES,
        "The password has been found in data breaches and must no longer be used.",
        {"breaches": breaches},
    )


def validation_email(value: str) -> UiText:
    """4000040: ``NewErrorValidationEmail``."""
    return make_text(
        MessageId.ERROR_VALIDATION_EMAIL, "Enter a valid email address", {"value": value}
    )


def validation_phone(value: str) -> UiText:
    """4000041: ``NewErrorValidationPhone``."""
    return make_text(
        MessageId.ERROR_VALIDATION_PHONE, "Enter a valid phone number", {"value": value}
    )


def invalid_credentials() -> UiText:
    """4000006: ``NewErrorValidationInvalidCredentials``."""
    return make_text(
        MessageId.ERROR_VALIDATION_INVALID_CREDENTIALS,
        "The provided credentials are invalid, check for spelling mistakes in your "
        "password or username, email address, or phone number.",
    )


def duplicate_credentials() -> UiText:
    """4000007: ``NewErrorValidationDuplicateCredentials``."""
    return make_text(
        MessageId.ERROR_VALIDATION_DUPLICATE_CREDENTIALS,
        "An account with the same identifier (email, phone, username, ...) exists already.",
    )


def totp_verifier_wrong() -> UiText:
    """4000008: ``NewErrorValidationTOTPVerifierWrong``."""
    return make_text(
        MessageId.ERROR_VALIDATION_TOTP_VERIFIER_WRONG,
        "The provided authentication code is invalid, please try again.",
    )


def identifier_missing() -> UiText:
    """4000009: ``NewErrorValidationIdentifierMissing``."""
    return make_text(
        MessageId.ERROR_VALIDATION_IDENTIFIER_MISSING,
        "Could not find any login identifiers. Did you forget to set them? This could "
        "also be caused by a server misconfiguration.",
    )


def address_not_verified() -> UiText:
    """4000010: ``NewErrorValidationAddressNotVerified``."""
    return make_text(
        MessageId.ERROR_VALIDATION_ADDRESS_NOT_VERIFIED,
        "Account not active yet. Did you forget to verify your email address?",
    )


def no_totp_device() -> UiText:
    """4000011: ``NewErrorValidationNoTOTPDevice``."""
    return make_text(MessageId.ERROR_VALIDATION_NO_TOTP_DEVICE, "You have no TOTP device set up.")


def lookup_already_used() -> UiText:
    """4000012: ``NewErrorValidationLookupAlreadyUsed``."""
    return make_text(
        MessageId.ERROR_VALIDATION_LOOKUP_ALREADY_USED,
        "This backup recovery code has already been used.",
    )


def no_webauthn_device() -> UiText:
    """4000013: ``NewErrorValidationNoWebAuthnDevice``."""
    return make_text(
        MessageId.ERROR_VALIDATION_NO_WEBAUTHN_DEVICE,
        "You have no WebAuthn device set up.",
    )


def no_lookup() -> UiText:
    """4000014: ``NewErrorValidationNoLookup``."""
    return make_text(
        MessageId.ERROR_VALIDATION_NO_LOOKUP,
        "You have no backup recovery codes set up.",
    )


def no_webauthn_user() -> UiText:
    """4000015: ``NewErrorValidationSuchNoWebAuthnUser``."""
    return make_text(
        MessageId.ERROR_VALIDATION_SUCH_NO_WEBAUTHN_USER,
        "This account does not exist or has no security key set up.",
    )


def lookup_invalid() -> UiText:
    """4000016: ``NewErrorValidationLookupInvalid``."""
    return make_text(
        MessageId.ERROR_VALIDATION_LOOKUP_INVALID,
        "The backup recovery code is not valid.",
    )


def duplicate_credentials_on_oidc_link() -> UiText:
    """4000027: ``NewErrorValidationDuplicateCredentialsOnOIDCLink``."""
    return make_text(
        MessageId.ERROR_VALIDATION_DUPLICATE_CREDENTIALS_ON_OIDC_LINK,
        "An account with the same identifier (email, phone, username, ...) exists "
        "already. Please sign in to your existing account to link your social profile.",
    )


def validation_const_generic() -> UiText:
    """4000030: ``NewErrorValidationConstGeneric``."""
    return make_text(MessageId.ERROR_VALIDATION_CONST_GENERIC, "const failed")


def password_identifier_too_similar() -> UiText:
    """4000031: ``NewErrorValidationPasswordIdentifierTooSimilar``."""
    return make_text(
        MessageId.ERROR_VALIDATION_PASSWORD_IDENTIFIER_TOO_SIMILAR,
        "The password can not be used because it is too similar to the identifier.",
    )


def no_code_user() -> UiText:
    """4000035: ``NewErrorValidationNoCodeUser``."""
    return make_text(
        MessageId.ERROR_VALIDATION_NO_CODE_USER,
        "This account does not exist or has not setup sign in with code.",
    )


def traits_mismatch() -> UiText:
    """4000036: ``NewErrorValidationTraitsMismatch``."""
    return make_text(
        MessageId.ERROR_VALIDATION_TRAITS_MISMATCH,
        "The provided traits do not match the traits previously associated with this flow.",
    )


def account_not_found() -> UiText:
    """4000037: ``NewErrorValidationAccountNotFound``."""
    return make_text(
        MessageId.ERROR_VALIDATION_ACCOUNT_NOT_FOUND,
        "This account does not exist or has no login method configured.",
    )


def captcha_failed() -> UiText:
    """4000038: ``NewErrorCaptchaFailed``."""
    return make_text(
        MessageId.ERROR_VALIDATION_CAPTCHA_ERROR,
        "Captcha verification failed, please try again.",
    )


def password_same_as_old() -> UiText:
    """4000039: ``NewErrorValidationPasswordNewSameAsOld``."""
    return make_text(
        MessageId.ERROR_VALIDATION_PASSWORD_NEW_SAME_AS_OLD,
        "The new password must be different from the old password.",
    )


def no_device_authn_device() -> UiText:
    """4000042: ``NewErrorValidationNoDeviceAuthnDevice``."""
    return make_text(
        MessageId.ERROR_VALIDATION_NO_DEVICE_AUTHN_DEVICE,
        "You have no DeviceAuthn device set up.",
    )


def webauthn_verifier_wrong() -> UiText:
    """4000043: ``NewErrorValidationWebAuthnVerifierWrong``."""
    return make_text(
        MessageId.ERROR_VALIDATION_WEBAUTHN_VERIFIER_WRONG,
        "The provided web authn login is invalid, please try again.",
    )


def device_authn_verifier_wrong() -> UiText:
    """4000044: ``NewErrorValidationDeviceAuthnVerifierWrong``."""
    return make_text(
        MessageId.ERROR_VALIDATION_DEVICE_AUTHN_VERIFIER_WRONG,
        "The provided DeviceAuthn signature is invalid.",
    )


def device_authn_attestation_expired() -> UiText:
    """4000045: ``NewErrorValidationDeviceAuthnRelaxedAttestationNoLongerValid``."""
    return make_text(
        MessageId.ERROR_VALIDATION_DEVICE_AUTHN_RELAXED_ATTESTATION_NO_LONGER_VALID,
        "This DeviceAuthn key can no longer be used because relaxed attestation is "
        "expired or disabled. Please enroll your device again.",
    )


def device_authn_reenrollment_required() -> UiText:
    """4000046: ``NewErrorValidationDeviceAuthnKeyReenrollmentRequired``."""
    return make_text(
        MessageId.ERROR_VALIDATION_DEVICE_AUTHN_KEY_REENROLLMENT_REQUIRED,
        "This DeviceAuthn key was enrolled before user verification was introduced and "
        "can no longer be used. Please enroll your device again.",
    )
