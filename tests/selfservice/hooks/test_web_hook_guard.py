"""``web_hook`` calls go through the SSRF guard of ``clients.http``: with
``disallow_private_ip_ranges`` only ``private_ip_exception_urls`` may reach loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from phalanx.config.model_hooks import WebHookConfig
from phalanx.errors import InternalServerError
from phalanx.outbound.guard import AddressGuard
from phalanx.selfservice.hook.events import HookEvent
from phalanx.selfservice.hook.web_hook import WebHookCaller, WebHookSettings
from phalanx.selfservice.request import FlowRequest
from tests.support.receiver import Receiver, running

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from running()


def _event() -> HookEvent:
    req = FlowRequest("GET", "http://127.0.0.1/self-service/login/api", {}, {}, {})
    return HookEvent("login", "before", None, req, {"id": "f"})


def _caller(guard: AddressGuard) -> WebHookCaller:
    return WebHookCaller(WebHookSettings(guard=guard, retries=0), identity_json=lambda i: {})


async def test_only_exception_urls_reach_private_addresses(receiver: Receiver) -> None:
    allowed = receiver.url("/allowed")
    caller = _caller(AddressGuard(allow_private=False, exceptions=(allowed,)))
    await caller.call(WebHookConfig(url=allowed, method="POST"), _event())
    assert len(receiver.received("/allowed")) == 1
    with pytest.raises(InternalServerError) as info:
        await caller.call(WebHookConfig(url=receiver.url("/other"), method="POST"), _event())
    assert "non-public address 127.0.0.1" in info.value.message
    assert receiver.received("/other") == []


async def test_private_addresses_are_allowed_by_default(receiver: Receiver) -> None:
    caller = _caller(AddressGuard(allow_private=True))
    await caller.call(WebHookConfig(url=receiver.url("/x"), method="GET"), _event())
    (got,) = receiver.received("/x")
    assert got.method == "GET" and got.body == b""  # no body configured: none is sent
