"""The HTTP channel: default body, custom jsonnet, forms, auth, upstream errors."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from phalanx.config.model_hooks import HttpRequestConfig
from phalanx.courier import DeliveryError, HTTPChannel, Message, MessageType, TemplateRenderer
from phalanx.courier.message import TemplateType
from phalanx.courier.models import normalize

pytestmark = pytest.mark.anyio


def _message(kind: MessageType = MessageType.EMAIL) -> Message:
    data = normalize(kind, TemplateType.RECOVERY_CODE_VALID, {"to": "x", "recovery_code": "123"})
    return Message(
        type=kind,
        channel="email" if kind is MessageType.EMAIL else "sms",
        recipient="a@example.org" if kind is MessageType.EMAIL else "+15550100",
        subject="Use code 123 to recover access to your account",
        body="plain body",
        template_type="recovery_code_valid",
        template_data=data,
    )


class Recorder:
    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, text="upstream says no")

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))


def _channel(recorder: Recorder, **config: Any) -> HTTPChannel:
    request = HttpRequestConfig.model_validate({"url": "https://api.test/send", **config})
    return HTTPChannel("sms", request, renderer=TemplateRenderer(), client=recorder.client())


async def test_default_body_and_api_key_header() -> None:
    recorder = Recorder()
    auth = {"type": "api_key", "config": {"name": "X-Key", "value": "k1", "in": "header"}}
    await _channel(recorder, auth=auth, headers={"X-Extra": "1"}).send(_message())
    [request] = recorder.requests
    assert request.method == "POST" and str(request.url) == "https://api.test/send"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-key"] == "k1" and request.headers["x-extra"] == "1"
    assert json.loads(request.content) == {
        "body": "plain body",
        "recipient": "a@example.org",
        "recovery_code": "123",
        "recovery_url": None,
        "subject": "Use code 123 to recover access to your account",
        "template_type": "recovery_code_valid",
        "to": "x",
        "verification_code": None,
        "verification_url": None,
    }


async def test_cookie_and_basic_auth_and_method() -> None:
    recorder = Recorder()
    cookie = {"type": "api_key", "config": {"name": "session", "value": "s1", "in": "cookie"}}
    await _channel(recorder, auth=cookie, method="PUT").send(_message())
    basic = {"type": "basic_auth", "config": {"user": "u", "password": "p"}}
    await _channel(recorder, auth=basic).send(_message())
    first, second = recorder.requests
    assert first.method == "PUT" and first.headers["cookie"] == "session=s1"
    assert second.headers["authorization"] == "Basic " + base64.b64encode(b"u:p").decode()


async def test_non_2xx_is_a_failed_attempt() -> None:
    with pytest.raises(DeliveryError, match="replied with status code 503"):
        await _channel(Recorder(503)).send(_message())


def _jsonnet_uri(source: str) -> str:
    return "base64://" + base64.b64encode(source.encode()).decode()


async def test_custom_jsonnet_body_sees_the_full_context() -> None:
    recorder = Recorder()
    body = _jsonnet_uri(
        "function(ctx) { to: ctx.recipient, code: ctx.template_data.verification_code,"
        " kind: ctx.message_type, has_html: std.objectHas(ctx, 'html_body') }"
    )
    await _channel(recorder, body=body).send(_message(MessageType.SMS))
    assert json.loads(recorder.requests[0].content) == {
        "to": "+15550100",
        "code": "123",  # the SMS recovery model keeps Kratos's json key
        "kind": "sms",
        "has_html": False,
    }
    form = _jsonnet_uri("function(ctx) { To: ctx.recipient, Body: ctx.body }")
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    await _channel(recorder, body=form, headers=headers).send(_message())
    assert recorder.requests[1].content == b"Body=plain+body&To=a%40example.org"
    with pytest.raises(DeliveryError, match="jsonnet"):
        await _channel(recorder, body=_jsonnet_uri("function(ctx) error 'cancel'")).send(_message())
    with pytest.raises(DeliveryError, match=r"jsonnet: .*not allowed"):
        await _channel(recorder, body=_jsonnet_uri('import "/etc/passwd"')).send(_message())
    assert len(recorder.requests) == 2  # failed bodies send nothing


async def test_email_context_includes_html_body() -> None:
    channel = _channel(Recorder())
    ctx = await channel.context(_message())
    assert ctx["html_body"].startswith("Recover access to your account by entering")
    assert ctx["message_type"] == "email" and ctx["template_data"]["recovery_code"] == "123"
