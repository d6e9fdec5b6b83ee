"""Templates: built-in wording, variables, overrides (directory, base64, file, http)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
import pytest

from phalanx.config.model_courier import CourierConfig
from phalanx.courier import MessageType, TemplateError, TemplateRenderer, TemplateType
from phalanx.courier.gotemplate import UnsupportedTemplateError, translate
from phalanx.courier.models import normalize, render_context

pytestmark = pytest.mark.anyio

IDENTITY = {"id": "2d5d1c5b-0000-4000-8000-000000000000", "traits": {"email": "a@example.org"}}

EMAIL_CASES: list[tuple[TemplateType, dict[str, Any], str, str]] = [
    (
        TemplateType.RECOVERY_CODE_VALID,
        {"recovery_code": "123456", "expires_in_minutes": 15},
        "Use code 123456 to recover access to your account",
        "Recover access to your account by entering the following code:\n\n123456\n\n"
        "If this was not you, do nothing. This code expires in 15 minutes.\n",
    ),
    (
        TemplateType.RECOVERY_CODE_INVALID,
        {},
        "Account access attempted",
        "Hi,\n\nyou (or someone else) entered this email address",
    ),
    (
        TemplateType.RECOVERY_VALID,
        {"recovery_url": "https://x.test/r?token=abc", "expires_in_minutes": 60},
        "Recover access to your account",
        "Recover access to your account by clicking the following link:\n\n"
        "https://x.test/r?token=abc\n\nIf this was not you, do nothing. "
        "This link expires in 60 minutes.\n\n",
    ),
    (TemplateType.RECOVERY_INVALID, {}, "Account access attempted", "Hi,\n\nyou (or someone"),
    (
        TemplateType.VERIFICATION_CODE_VALID,
        {"verification_code": "654321", "verification_url": "https://x.test/v"},
        "Use code 654321 to verify your account",
        "Verify your account with the following code:\n\n654321\n\n"
        "or clicking the following link:\n\nhttps://x.test/v\n\n",
    ),
    (
        TemplateType.VERIFICATION_CODE_INVALID,
        {},
        "Someone tried to verify this email address",
        "Hi,\n\nsomeone asked to verify this email address",
    ),
    (
        TemplateType.VERIFICATION_VALID,
        {"verification_url": "https://x.test/v"},
        "Please verify your email address",
        "Verify your account by opening the following link:\n\nhttps://x.test/v\n\n",
    ),
    (
        TemplateType.VERIFICATION_INVALID,
        {},
        "Someone tried to verify this email address",
        "Someone asked to verify this email address, but we were unable",
    ),
    (
        TemplateType.LOGIN_CODE_VALID,
        {"login_code": "111222", "expires_in_minutes": 5},
        "Use code 111222 to log in",
        "Login to your account with the following code:\n\n111222\n\nIt expires in 5 minutes.\n",
    ),
    (
        TemplateType.REGISTRATION_CODE_VALID,
        {"registration_code": "333444", "traits": {"email": "a@example.org"}},
        "Use code 333444 to complete your account registration",
        "Complete your account registration with the following code:\n\n333444\n\n",
    ),
]


@pytest.mark.parametrize(
    ("kind", "data", "subject", "body"), EMAIL_CASES, ids=lambda v: str(v)[:30]
)
async def test_builtin_email_templates(
    kind: TemplateType, data: dict[str, Any], subject: str, body: str
) -> None:
    model = normalize(MessageType.EMAIL, kind, {"to": "a@example.org", **data})
    rendered = await TemplateRenderer().render_email(kind, model)
    assert rendered.subject == subject
    assert rendered.body_plaintext.startswith(body)
    assert rendered.body_html.startswith(body.split("\n")[0])


async def test_html_body_escapes_and_links() -> None:
    model = normalize(
        MessageType.EMAIL,
        TemplateType.RECOVERY_VALID,
        {"to": "a@example.org", "recovery_url": "https://x.test/r?flow=1&token=<a>"},
    )
    html = await TemplateRenderer().render_email_html(TemplateType.RECOVERY_VALID, model)
    assert '<a href="https://x.test/r?flow=1&amp;token=&lt;a&gt;">' in html


@pytest.mark.parametrize(
    ("kind", "data", "text"),
    [
        (TemplateType.LOGIN_CODE_VALID, {"login_code": "1"}, "Your login code is: 1\n\nIt"),
        (TemplateType.REGISTRATION_CODE_VALID, {"RegistrationCode": "2"}, "Your registration code"),
        (
            TemplateType.VERIFICATION_CODE_VALID,
            {"verification_code": "3"},
            "Your verification code",
        ),
        (
            TemplateType.RECOVERY_CODE_VALID,
            {"recovery_code": "4", "request_url": "https://app.example.org/x"},
            "Your recovery code is: 4\n\n@app.example.org #4\n",
        ),
    ],
)
async def test_builtin_sms_templates(kind: TemplateType, data: dict[str, Any], text: str) -> None:
    model = normalize(MessageType.SMS, kind, {"to": "+15550100", **data})
    assert (await TemplateRenderer().render_sms(kind, model)).startswith(text)


def test_models_use_kratos_json_names_and_zero_values() -> None:
    model = normalize(MessageType.EMAIL, TemplateType.RECOVERY_CODE_VALID, {"RecoveryCode": "9"})
    assert model == {
        "to": "",
        "recovery_code": "9",
        "identity": None,
        "request_url": "",
        "transient_payload": None,
        "expires_in_minutes": 0,
    }
    # Kratos quirk: the SMS recovery model stores the code as "verification_code".
    sms = normalize(MessageType.SMS, TemplateType.RECOVERY_CODE_VALID, {"recovery_code": "9"})
    assert sms["verification_code"] == "9" and "recovery_code" not in sms
    context = render_context(MessageType.SMS, TemplateType.RECOVERY_CODE_VALID, sms)
    assert context["RecoveryCode"] == context["recovery_code"] == "9"
    with pytest.raises(ValueError, match="has no field 'code'"):
        normalize(MessageType.EMAIL, TemplateType.LOGIN_CODE_VALID, {"code": "1"})
    with pytest.raises(ValueError, match="unexpected message template type"):
        normalize(MessageType.SMS, TemplateType.RECOVERY_VALID, {})


def test_go_template_translation() -> None:
    source = (
        'Hi {{- .Identity.traits.name -}} !\n{{ if .X }}x{{ else if eq .Y "a" }}y'
        "{{ else }}z{{ end }} {{ .Code | upper }}{{/* note */}} {% not jinja %}"
    )
    assert translate(source) == (
        'Hi{{ Identity["traits"]["name"] }}!\n{% if X %}x{% elif (Y == "a") %}y{% else %}z'
        '{% endif %} {{ (Code|upper) }}{{ " {% not jinja %}"|safe }}'
    )
    for bad in (
        "{{ range .Items }}{{ end }}",
        "{{ $x := 1 }}",
        '{{ printf "%s" .X }}',
        "{{ if .X }}",
    ):
        with pytest.raises(UnsupportedTemplateError):
            translate(bad)


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


async def test_override_path_with_go_templates(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "recovery_code/valid/email.subject.gotmpl",
        "  Code {{ .RecoveryCode }} for {{ .Identity.traits.email }}\n",
    )
    _write(
        tmp_path,
        "recovery_code/valid/email.body.gotmpl",
        '{{- template "email.body.en.gotmpl" . -}}',
    )
    _write(
        tmp_path, "recovery_code/valid/email.body.en.gotmpl", "<p>{{ .RecoveryCode }} {{ .To }}</p>"
    )
    _write(tmp_path, "login_code/valid/email.subject.j2", "Login {{ login_code }} ({{ to }})")
    renderer = TemplateRenderer(CourierConfig(template_override_path=str(tmp_path)))
    model = normalize(
        MessageType.EMAIL,
        TemplateType.RECOVERY_CODE_VALID,
        {"to": "<a@example.org>", "recovery_code": "123456", "identity": IDENTITY},
    )
    email = await renderer.render_email(TemplateType.RECOVERY_CODE_VALID, model)
    assert email.subject == "Code 123456 for a@example.org"
    assert email.body_html == "<p>123456 &lt;a@example.org&gt;</p>"
    # Parts without an override fall back to the built-in template.
    assert email.body_plaintext.startswith("Recover access to your account by entering")
    login = normalize(
        MessageType.EMAIL, TemplateType.LOGIN_CODE_VALID, {"to": "b@x.y", "login_code": "7"}
    )
    rendered = await renderer.render_email(TemplateType.LOGIN_CODE_VALID, login)
    assert rendered.subject == "Login 7 (b@x.y)"


def _b64(text: str) -> str:
    return "base64://" + base64.b64encode(text.encode()).decode()


async def test_configured_template_uris(tmp_path: Path) -> None:
    plain = tmp_path / "plain.gotmpl"
    plain.write_text("Plain {{ .VerificationCode }}")
    served: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        served.append(str(request.url))
        return httpx.Response(200, text="<b>{{ .VerificationCode }}</b>")

    config = CourierConfig.model_validate(
        {
            "templates": {
                "verification_code": {
                    "valid": {
                        "email": {
                            "subject": _b64("Verify with {{ .VerificationCode }}"),
                            "body": {"plaintext": f"file://{plain}", "html": "https://t.test/h"},
                        },
                        "sms": {"body": {"plaintext": _b64("SMS {{ .VerificationCode }}")}},
                    }
                }
            }
        }
    )
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    renderer = TemplateRenderer(config, http_client=client)
    model = normalize(
        MessageType.EMAIL, TemplateType.VERIFICATION_CODE_VALID, {"verification_code": "42"}
    )
    email = await renderer.render_email(TemplateType.VERIFICATION_CODE_VALID, model)
    assert (email.subject, email.body_plaintext, email.body_html) == (
        "Verify with 42",
        "Plain 42",
        "<b>42</b>",
    )
    await renderer.render_email_html(TemplateType.VERIFICATION_CODE_VALID, model)
    assert served == ["https://t.test/h"]  # fetched once, then cached
    sms_model = normalize(
        MessageType.SMS, TemplateType.VERIFICATION_CODE_VALID, {"verification_code": "42"}
    )
    assert await renderer.render_sms(TemplateType.VERIFICATION_CODE_VALID, sms_model) == "SMS 42"
    await client.aclose()


async def test_broken_templates_raise_template_error(tmp_path: Path) -> None:
    _write(tmp_path, "login_code/valid/email.subject.gotmpl", "{{ range .X }}{{ end }}")
    renderer = TemplateRenderer(CourierConfig(template_override_path=str(tmp_path)))
    model = normalize(MessageType.EMAIL, TemplateType.LOGIN_CODE_VALID, {})
    with pytest.raises(TemplateError, match="range"):
        await renderer.render_email(TemplateType.LOGIN_CODE_VALID, model)
    missing = CourierConfig.model_validate(
        {"templates": {"login_code": {"valid": {"email": {"subject": "file:///nonexistent/x"}}}}}
    )
    with pytest.raises(TemplateError, match="unable to read"):
        await TemplateRenderer(missing).render_email(TemplateType.LOGIN_CODE_VALID, model)
