"""The catalogue matches ``kratos-text-messages.json``: ids, types, texts and context keys."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import phalanx.text as text
from phalanx.text import MessageId, MessageType, UiText

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
EXPIRED = NOW - timedelta(minutes=3, seconds=30)
LATER = NOW + timedelta(minutes=14, seconds=3)
ADDED = datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)

# id -> (constructor call, values substituted into the reference template)
PARAMETERISED: dict[int, tuple[Callable[[], UiText], dict[str, str]]] = {
    1010002: (lambda: text.login_with("GitHub", "github"), {"provider": "GitHub"}),
    1010016: (
        lambda: text.login_link("a@b.c", "google", "https://x/login", ["password"], ["google"]),
        {"duplicate_identifier": "a@b.c", "provider": "google"},
    ),
    1010018: (lambda: text.login_with_and_link("Google"), {"provider": "Google"}),
    1010023: (lambda: text.login_aal2_code_address("email", "a@b.c"), {"address": "a@b.c"}),
    1040002: (lambda: text.registration_with("GitHub", "github"), {"provider": "GitHub"}),
    1050002: (lambda: text.settings_link_oidc("github"), {"provider": "github"}),
    1050003: (lambda: text.settings_unlink_oidc("google"), {"provider": "google"}),
    1050006: (lambda: text.settings_totp_secret("JBSWY3DP"), {"secret": "JBSWY3DP"}),
    1050009: (lambda: text.settings_lookup_secret("abcd1234"), {"secret": "abcd1234"}),
    1050014: (
        lambda: text.settings_lookup_secret_used(ADDED),
        {"used_at": "2024-01-02 03:04:05.123456 +0000 UTC"},
    ),
    1050015: (
        lambda: text.settings_lookup_secret_list(
            ["aaaa", "bbbb"],
            [text.settings_lookup_secret("aaaa"), text.settings_lookup_secret("bbbb")],
        ),
        {'secrets joined with ", "': "aaaa, bbbb"},
    ),
    1050018: (lambda: text.settings_remove_webauthn("YubiKey", ADDED), {"display_name": "YubiKey"}),
    1050020: (lambda: text.settings_remove_passkey("Phone", ADDED), {"display_name": "Phone"}),
    1060001: (lambda: text.recovery_successful(LATER, now=NOW), {"minutes_left": "14.05"}),
    1060004: (lambda: text.recovery_code_sent_masked("a***@b.c"), {"masked_address": "a***@b.c"}),
    1070002: (lambda: text.label_generated("E-Mail", "traits.email"), {"title": "E-Mail"}),
    4000001: (lambda: text.validation_generic("boom"), {"reason": "boom"}),
    4000002: (lambda: text.validation_required("email"), {"property": "email"}),
    4000003: (lambda: text.validation_min_length(3, 1), {"min_length": "3", "actual_length": "1"}),
    4000004: (lambda: text.validation_pattern("^[a-z]+$"), {"pattern": "^[a-z]+$"}),
    4000005: (
        lambda: text.password_policy_violation("it is too common"),
        {"reason": "it is too common"},
    ),
    4000017: (lambda: text.validation_max_length(5, 9), {"max_length": "5", "actual_length": "9"}),
    4000018: (lambda: text.validation_minimum(5, 2.5), {"minimum": "5", "actual": "2.5"}),
    4000019: (lambda: text.validation_exclusive_minimum(5, 5), {"minimum": "5", "actual": "5"}),
    4000020: (lambda: text.validation_maximum(1e6, 2e6), {"maximum": "1e+06", "actual": "2e+06"}),
    4000021: (lambda: text.validation_exclusive_maximum(10, 10), {"maximum": "10", "actual": "10"}),
    4000022: (lambda: text.validation_multiple_of(3, 7), {"base": "3", "actual": "7"}),
    4000023: (lambda: text.validation_max_items(2, 3), {"max_items": "2", "actual_items": "3"}),
    4000024: (lambda: text.validation_min_items(2, 1), {"min_items": "2", "actual_items": "1"}),
    4000025: (lambda: text.validation_unique_items(0, 2), {"index_a": "0", "index_b": "2"}),
    4000026: (
        lambda: text.validation_wrong_type(["string", "null"], "number"),
        {"allowed_types_joined_with_or": "string or null", "actual_type": "number"},
    ),
    4000028: (
        lambda: text.duplicate_credentials_with_hints(["password", "oidc"], ["github"], "a@b.c"),
        {},
    ),
    4000029: (lambda: text.validation_const('"x"'), {"expected": '"x"'}),
    4000032: (
        lambda: text.password_too_short(8, 3),
        {"min_length": "8", "actual_length": "3"},
    ),
    4000033: (
        lambda: text.password_too_long(72, 80),
        {"max_length": "72", "actual_length": "80"},
    ),
    4000034: (lambda: text.password_breached(12), {}),
    4000040: (lambda: text.validation_email("nope"), {}),
    4000041: (lambda: text.validation_phone("nope"), {}),
    4010001: (lambda: text.login_flow_expired(EXPIRED, now=NOW), {"minutes_since_expiry": "3.50"}),
    4040001: (
        lambda: text.registration_flow_expired(EXPIRED, now=NOW),
        {"minutes_since_expiry": "3.50"},
    ),
    4050001: (
        lambda: text.settings_flow_expired(EXPIRED, now=NOW),
        {"minutes_since_expiry": "3.50"},
    ),
    4060005: (
        lambda: text.recovery_flow_expired(EXPIRED, now=NOW),
        {"minutes_since_expiry": "3.50"},
    ),
    4070005: (
        lambda: text.verification_flow_expired(EXPIRED, now=NOW),
        {"minutes_since_expiry": "3.50"},
    ),
    5000001: (lambda: text.system_generic("database is down"), {"reason": "database is down"}),
}

SPECIAL_TEXTS = {
    4000028: (
        "You tried signing in with a@b.c which is already in use by another account. You can "
        "sign in using your password, or social sign in. You can sign in using one of the "
        "following social sign in providers: Github."
    ),
}


#: Texts of v25.4 where the reference (a later master) differs (contract note 0.1).
V25_4_TEXTS = {
    1010008: "Sign in with hardware key",
    1010011: "Sign in with hardware key",
}


def _no_argument_constructors() -> dict[int, Callable[[], UiText]]:
    found: dict[int, Callable[[], UiText]] = {}
    for name in text.__all__:
        obj = getattr(text, name)
        if not inspect.isfunction(obj) or obj.__module__ in {
            "phalanx.text.i18n",
            "phalanx.text.message",
        }:
            continue
        if any(
            p.default is inspect.Parameter.empty for p in inspect.signature(obj).parameters.values()
        ):
            continue
        msg = obj()
        assert isinstance(msg, UiText), name
        assert msg.id not in found, f"two constructors for {msg.id}"
        found[msg.id] = obj
    return found


def _render(template: str, values: dict[str, str]) -> str:
    def sub(match: re.Match[str]) -> str:
        return values[match.group(1)]

    return re.sub(r"\{([^{}]+)\}", sub, template)


def test_every_reference_id_is_in_message_id(reference_messages: list[dict[str, Any]]) -> None:
    for ref in reference_messages:
        member = MessageId(ref["id"])
        assert member.type == MessageType(ref["type"]), ref["const_name"]
    assert len(MessageId) == len(reference_messages)


def test_every_constructor_renders_the_reference_template(
    reference_messages: list[dict[str, Any]],
) -> None:
    plain = _no_argument_constructors()
    seen: set[int] = set()
    for ref in reference_messages:
        if ref["constructor"] is None:
            continue
        mid = ref["id"]
        if mid in PARAMETERISED:
            build, values = PARAMETERISED[mid]
            msg = build()
            expected = SPECIAL_TEXTS.get(mid) or _render(ref["text_template"], values)
            assert sorted((msg.context or {}).keys()) == sorted(ref["context_keys"]), mid
        else:
            assert mid in plain, f"no constructor for {mid} {ref['const_name']}"
            msg = plain[mid]()
            expected = V25_4_TEXTS.get(mid, ref["text"])
            assert msg.context is None, mid
        assert msg.id == mid
        assert msg.type == ref["type"], mid
        assert msg.text == expected, mid
        seen.add(mid)
    assert set(plain) | set(PARAMETERISED) == seen


def test_to_dict_shape() -> None:
    assert text.invalid_credentials().to_dict() == {
        "id": 4000006,
        "text": (
            "The provided credentials are invalid, check for spelling mistakes in your password "
            "or username, email address, or phone number."
        ),
        "type": "error",
    }
    assert text.password_too_short(8, 3).to_dict() == {
        "id": 4000032,
        "text": "The password must be at least 8 characters long, but got 3.",
        "type": "error",
        "context": {"actual_length": 3, "min_length": 8},
    }
    assert list(text.password_too_short(8, 3).to_dict()["context"]) == [
        "actual_length",
        "min_length",
    ]
    assert text.settings_saved().to_dict() == {
        "id": 1050001,
        "text": "Your changes have been saved!",
        "type": "success",
    }
    assert text.label_generated("E-Mail", "traits.email").to_dict() == {
        "id": 1070002,
        "text": "E-Mail",
        "type": "info",
        "context": {"name": "traits.email", "title": "E-Mail"},
    }


def test_times_in_context_render_like_go() -> None:
    msg = text.login_flow_expired(EXPIRED, now=NOW)
    assert msg.context == {
        "expired_at": "2024-05-01T11:56:30Z",
        "expired_at_unix": 1714564590,
    }
    used = text.settings_lookup_secret_used(ADDED)
    assert used.context == {"used_at": "2024-01-02T03:04:05.123456Z", "used_at_unix": 1704164645}
    # a flow that expires in the future renders a negative duration, as Go does
    future = text.settings_flow_expired(NOW + timedelta(seconds=90), now=NOW)
    assert future.text == "The settings flow expired -1.50 minutes ago, please try again."


def test_lookup_secret_list_context_carries_the_messages() -> None:
    used = text.settings_lookup_secret_used(ADDED)
    msg = text.settings_lookup_secret_list(
        ["aaaa", "used"], [text.settings_lookup_secret("aaaa"), used]
    )
    assert msg.text == "aaaa, used"
    assert msg.context == {
        "secrets": [text.settings_lookup_secret("aaaa").to_dict(), used.to_dict()]
    }


@pytest.mark.parametrize(
    ("types", "providers", "hint", "expected"),
    [
        (
            None,
            None,
            "",
            "You tried signing in with an email, phone, or username which is already in use by "
            "another account.",
        ),
        (
            ["password", "webauthn", "passkey", "saml", "oidc"],
            ["google", "generic-{x}", "my-provider"],
            "x",
            "You tried signing in with x which is already in use by another account. You can "
            "sign in using your password, your passkey or a security key, your passkey, or "
            "social sign in. You can sign in using one of the following social sign in "
            "providers: Google, generic-{x}, My-Provider.",
        ),
        (
            ["totp"],
            [],
            "x",
            "You tried signing in with x which is already in use by another account. You can "
            "sign in using totp.",
        ),
    ],
)
def test_duplicate_credentials_hints(
    types: list[str] | None, providers: list[str] | None, hint: str, expected: str
) -> None:
    msg = text.duplicate_credentials_with_hints(types, providers, hint)
    assert msg.text == expected
    assert msg.context is not None
    assert msg.context["available_credential_types"] == types


def test_login_link_quotes_like_go() -> None:
    msg = text.login_link('a"b@c.d', "google", "https://x", None, None)
    assert msg.text.startswith('You tried to sign in with "a\\"b@c.d", but')
    assert msg.context is not None
    assert msg.context["available_providers"] is None
    assert msg.context["duplicateIdentifier"] == 'a"b@c.d'


def test_from_dict_round_trip() -> None:
    msg = text.validation_min_length(3, 1)
    assert UiText.from_dict(msg.to_dict()) == msg
    assert msg.message_id is MessageId.ERROR_VALIDATION_MIN_LENGTH
    assert UiText(id=42, text="x", type="info").message_id is None


def test_per_flow_dispatchers() -> None:
    assert text.flow_expired("settings", EXPIRED, now=NOW) == text.settings_flow_expired(
        EXPIRED, now=NOW
    )
    assert text.flow_expired("recovery", EXPIRED, now=NOW).id == 4060005
    assert [text.no_strategy(f).id for f in text.FLOW_NAMES] == [
        4010002,
        4010003,
        4010004,
        4010005,
        4010006,
    ]
    with pytest.raises(ValueError, match="unknown flow"):
        text.no_strategy("logout")
