"""The worker: retries with backoff, abandonment, channel failures, registry entry point."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import anyio
import pytest

from phalanx.config.model_courier import CourierConfig
from phalanx.courier import (
    Backoff,
    Courier,
    CourierWorker,
    DeliveryError,
    Message,
    MessageStatus,
    MockChannel,
    PermanentDeliveryError,
    TemplateRenderer,
    run_worker,
)
from phalanx.persistence.sql.courier_store import SQLCourierStore
from tests.courier.conftest import SMTPSink

pytestmark = pytest.mark.anyio

FAST = Backoff(base=timedelta(milliseconds=50), cap=timedelta(milliseconds=200))


def _config(**overrides: Any) -> CourierConfig:
    return CourierConfig.model_validate(
        {"worker": {"pull_count": 10, "pull_wait": "20ms"}, "message_retries": 5, **overrides}
    )


async def _eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await anyio.sleep(0.02)


async def _status(store: SQLCourierStore, message_id: Any) -> Message:
    message = await store.get(message_id)
    assert message is not None
    return message


async def test_smtp_down_then_up_delivers_after_retry(
    sqlite_store: SQLCourierStore, smtp_sink: SMTPSink
) -> None:
    uri = f"smtp://127.0.0.1:{smtp_sink.port}/?disable_starttls=true"
    config = _config(smtp={"connection_uri": uri})
    courier = Courier(sqlite_store, TemplateRenderer(config))
    message_id = await courier.queue_email("a@example.org", "login_code_valid", {"login_code": "1"})
    worker = CourierWorker(sqlite_store, config, backoff=FAST)
    stop = anyio.Event()
    async with anyio.create_task_group() as tg:
        tg.start_soon(worker.run, stop)

        async def failed_once() -> bool:
            return len((await _status(sqlite_store, message_id)).dispatches) >= 1

        await _eventually(failed_once)
        smtp_sink.start()

        async def sent() -> bool:
            return (await _status(sqlite_store, message_id)).status is MessageStatus.SENT

        await _eventually(sent)
        stop.set()
    message = await _status(sqlite_store, message_id)
    assert message.send_count >= 2
    assert message.dispatches[0].status == "success"
    failure = message.dispatches[-1]
    assert failure.status == "failed" and failure.error is not None
    assert failure.error["code"] == 500
    assert failure.error["reason"] == "failed to send email via smtp"
    assert [m["Subject"] for m in smtp_sink.messages] == ["Use code 1 to log in"]


async def test_smtp_down_for_good_abandons_after_retries(sqlite_store: SQLCourierStore) -> None:
    from tests.courier.conftest import free_port

    uri = f"smtp://127.0.0.1:{free_port()}/?disable_starttls=true"
    config = _config(smtp={"connection_uri": uri}, message_retries=2)
    courier = Courier(sqlite_store, TemplateRenderer(config))
    message_id = await courier.queue_email("a@example.org", "login_code_valid", {"login_code": "1"})
    worker = CourierWorker(sqlite_store, config, backoff=FAST)
    stop = anyio.Event()
    async with anyio.create_task_group() as tg:
        tg.start_soon(worker.run, stop)

        async def abandoned() -> bool:
            return (await _status(sqlite_store, message_id)).status is MessageStatus.ABANDONED

        await _eventually(abandoned)
        stop.set()
    message = await _status(sqlite_store, message_id)
    # message_retries: 2 -> three attempts, as Kratos (abandoned once send_count > retries).
    assert message.send_count == 3
    assert [d.status for d in message.dispatches] == ["failed"] * 3


async def test_permanent_failure_abandons_at_once(sqlite_store: SQLCourierStore) -> None:
    async def refuse(message: Message) -> None:
        raise PermanentDeliveryError("550 no such user", reason="failed to send email via smtp")

    worker = CourierWorker(
        sqlite_store, _config(), channels={"email": MockChannel("email", refuse)}
    )
    courier = Courier(sqlite_store, worker.renderer)
    message_id = await courier.queue_email("a@example.org", "login_code_valid", {"login_code": "1"})
    assert await worker.dispatch_batch() == 1
    message = await _status(sqlite_store, message_id)
    assert message.status is MessageStatus.ABANDONED and message.send_count == 1
    assert message.dispatches[0].error == {
        "code": 500,
        "status": "Internal Server Error",
        "reason": "failed to send email via smtp",
        "message": "550 no such user",
    }


async def test_over_the_limit_is_abandoned_without_sending(sqlite_store: SQLCourierStore) -> None:
    channel = MockChannel("email")
    worker = CourierWorker(sqlite_store, _config(message_retries=1), channels={"email": channel})
    courier = Courier(sqlite_store, worker.renderer)
    message_id = await courier.queue_email("a@example.org", "login_code_valid", {"login_code": "1"})
    for _ in range(2):
        await sqlite_store.increment_send_count(message_id)
    assert await worker.dispatch_batch() == 1
    message = await _status(sqlite_store, message_id)
    assert message.status is MessageStatus.ABANDONED and message.dispatches == []
    assert channel.sent == []


async def test_failing_channel_releases_its_messages_only(sqlite_store: SQLCourierStore) -> None:
    async def down(message: Message) -> None:
        raise DeliveryError("connection refused")

    sms = MockChannel("sms")
    worker = CourierWorker(
        sqlite_store, _config(), channels={"email": MockChannel("email", down), "sms": sms}
    )
    courier = Courier(sqlite_store, worker.renderer)
    emails = [
        await courier.queue_email("a@example.org", "login_code_valid", {"login_code": str(i)})
        for i in range(3)
    ]
    for i in range(2):
        await courier.queue_sms("+1555010", "login_code_valid", {"login_code": str(i)})
    assert await worker.dispatch_batch() == 5
    assert worker.last_batch_failed
    assert len(sms.sent) == 2
    first, *rest = [await _status(sqlite_store, m) for m in emails]
    assert first.status is MessageStatus.QUEUED and first.send_count == 1
    assert [d.error for d in first.dispatches] == [
        {"code": 500, "status": "Internal Server Error", "message": "connection refused"}
    ]
    assert all(m.status is MessageStatus.QUEUED and m.send_count == 0 for m in rest)
    assert all(m.dispatches == [] for m in rest)


async def test_missing_channel_is_a_failed_attempt(sqlite_store: SQLCourierStore) -> None:
    worker = CourierWorker(sqlite_store, _config(), channels={"email": MockChannel("email")})
    courier = Courier(sqlite_store, worker.renderer)
    sms_id = await courier.queue_sms("+1555010", "login_code_valid", {"login_code": "1"})
    await worker.dispatch_batch()
    message = await _status(sqlite_store, sms_id)
    assert message.dispatches[0].error is not None
    assert message.dispatches[0].error["message"] == "no courier channels configured"


async def test_run_worker_with_a_registry(
    sqlite_store: SQLCourierStore, smtp_sink: SMTPSink
) -> None:
    smtp_sink.start()
    uri = f"smtp://127.0.0.1:{smtp_sink.port}/?disable_starttls=true"
    config = SimpleNamespace(courier=_config(smtp={"connection_uri": uri}))
    renderer = TemplateRenderer(config.courier)
    courier = Courier(sqlite_store, renderer)
    registry = SimpleNamespace(config=config, courier_store=sqlite_store, courier=courier)
    ids = [
        await courier.queue_email(
            f"u{i}@example.org", "recovery_code_valid", {"recovery_code": "1"}
        )
        for i in range(25)
    ]
    stop = anyio.Event()
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: run_worker(registry, stop_event=stop))

        async def all_sent() -> bool:
            page = await sqlite_store.list_messages(status=MessageStatus.SENT, page_size=100)
            return len(page.messages) == len(ids)

        await _eventually(all_sent)
        stop.set()
    assert sorted(m["To"] for m in smtp_sink.messages) == sorted(
        f"u{i}@example.org" for i in range(25)
    )
