"""The SMTP channel against a real aiosmtpd server: plain, STARTTLS, implicit TLS, auth."""

from __future__ import annotations

from pathlib import Path

import pytest

from phalanx.config.model_courier import SmtpConfig
from phalanx.courier import (
    DeliveryError,
    Message,
    MessageType,
    PermanentDeliveryError,
    SMTPChannel,
    SMTPSettings,
    TemplateRenderer,
    TemplateType,
)
from phalanx.courier.models import normalize
from tests.courier.conftest import SMTPSink, TLSCert, free_port

pytestmark = pytest.mark.anyio


def _message(recipient: str = "to@example.org") -> Message:
    data = normalize(
        MessageType.EMAIL, TemplateType.LOGIN_CODE_VALID, {"to": recipient, "login_code": "123456"}
    )
    return Message(
        type=MessageType.EMAIL,
        channel="email",
        recipient=recipient,
        subject="Use code 123456 to log in",
        body="plain 123456\n",
        template_type="login_code_valid",
        template_data=data,
    )


def _channel(uri: str, **extra: object) -> SMTPChannel:
    config = SmtpConfig.model_validate({"connection_uri": uri, **extra})
    return SMTPChannel(config, renderer=TemplateRenderer(), timeout=5)


def test_connection_uri_parsing() -> None:
    s = SMTPSettings.parse("smtp://us%40er:p%3Ass@mail.test:2525/?skip_ssl_verify=true")
    assert (s.host, s.port, s.username, s.password) == ("mail.test", 2525, "us@er", "p:ss")
    assert s.starttls and not s.implicit_tls and s.skip_ssl_verify and s.server_name == "mail.test"
    s = SMTPSettings.parse("smtp://mail.test/?disable_starttls=true&server_name=x.test")
    assert not s.starttls and s.port == 25 and s.server_name == "x.test" and s.username is None
    s = SMTPSettings.parse("smtps://mail.test")
    assert s.implicit_tls and not s.starttls and s.port == 465
    with pytest.raises(ValueError, match="malformed"):
        SMTPSettings.parse("http://mail.test")


async def test_plain_delivery_multipart_from_and_headers(smtp_sink: SMTPSink) -> None:
    smtp_sink.start()
    channel = _channel(
        f"smtp://127.0.0.1:{smtp_sink.port}/?disable_starttls=true",
        from_address="no-reply@phalanx.test",
        from_name="Phalanx Team",
        headers={"X-Tag": "courier", "Reply-To": "help@phalanx.test"},
        local_name="worker.phalanx.test",
    )
    await channel.send(_message())
    [mail] = smtp_sink.messages
    assert mail["From"] == "Phalanx Team <no-reply@phalanx.test>"
    assert mail["To"] == "to@example.org"
    assert mail["Subject"] == "Use code 123456 to log in"
    assert mail["X-Tag"] == "courier" and mail["Reply-To"] == "help@phalanx.test"
    assert mail.get_content_type() == "multipart/alternative"
    plain, html = mail.get_payload()  # type: ignore[misc]
    assert plain.get_content_type() == "text/plain"
    assert plain.get_payload(decode=True).decode().replace("\r\n", "\n") == "plain 123456\n"
    assert html.get_content_type() == "text/html"
    assert "Login to your account with the following code" in html.get_payload(decode=True).decode()
    assert smtp_sink.handler.envelopes == [("no-reply@phalanx.test", ["to@example.org"])]


async def test_starttls_is_mandatory_by_default(smtp_sink: SMTPSink) -> None:
    smtp_sink.start()  # no STARTTLS offered
    with pytest.raises(DeliveryError, match="STARTTLS") as info:
        await _channel(f"smtp://127.0.0.1:{smtp_sink.port}/").send(_message())
    assert info.value.to_json()["reason"] == "failed to send email via smtp"
    assert smtp_sink.messages == []


async def test_starttls_with_auth(
    smtp_sink: SMTPSink, tls_cert: TLSCert, monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp_sink.start(starttls=tls_cert.server_context(), credentials=("me@x.test", "s3cr:t"))
    base = f"smtp://me%40x.test:s3cr%3At@127.0.0.1:{smtp_sink.port}/"
    # A self-signed certificate fails verification...
    with pytest.raises(DeliveryError):
        await _channel(base).send(_message())
    # ...unless verification is skipped,
    await _channel(base + "?skip_ssl_verify=true").send(_message("one@example.org"))
    # ...or the certificate is trusted and server_name matches it.
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_cert.cert))
    await _channel(base + "?server_name=localhost").send(_message("two@example.org"))
    assert [m["To"] for m in smtp_sink.messages] == ["one@example.org", "two@example.org"]
    assert ("me@x.test", "s3cr:t") in smtp_sink.logins
    # Wrong password: the server answers 535, a permanent failure.
    with pytest.raises(PermanentDeliveryError):
        wrong = f"smtp://me%40x.test:bad@127.0.0.1:{smtp_sink.port}/?skip_ssl_verify=true"
        await _channel(wrong).send(_message())


async def test_implicit_tls(
    smtp_sink: SMTPSink, tls_cert: TLSCert, monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp_sink.start(implicit_tls=tls_cert.server_context())
    await _channel(f"smtps://127.0.0.1:{smtp_sink.port}/?skip_ssl_verify=true").send(_message())
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_cert.cert))
    await _channel(f"smtps://127.0.0.1:{smtp_sink.port}/?server_name=localhost").send(_message())
    assert len(smtp_sink.messages) == 2


async def test_failures(smtp_sink: SMTPSink, tmp_path: Path) -> None:
    with pytest.raises(DeliveryError) as info:
        await _channel(f"smtp://127.0.0.1:{free_port()}/?disable_starttls=true").send(_message())
    assert not isinstance(info.value, PermanentDeliveryError)
    smtp_sink.handler.reject_with = "554 Transaction failed"
    smtp_sink.start()
    with pytest.raises(PermanentDeliveryError, match="Transaction failed"):
        await _channel(f"smtp://127.0.0.1:{smtp_sink.port}/?disable_starttls=true").send(_message())
    unset = SMTPChannel(SmtpConfig())
    with pytest.raises(DeliveryError, match="connection_uri is not set"):
        await unset.send(_message())


async def test_html_falls_back_to_plaintext_when_template_breaks(smtp_sink: SMTPSink) -> None:
    smtp_sink.start()
    message = _message()
    message.template_type = "no_such_template"
    await _channel(f"smtp://127.0.0.1:{smtp_sink.port}/?disable_starttls=true").send(message)
    [mail] = smtp_sink.messages
    assert mail.get_content_type() == "text/plain"
