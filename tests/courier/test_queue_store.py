"""Queueing through :class:`Courier` and the SQL store's claim/mark/list semantics."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from phalanx.courier import (
    Backoff,
    Courier,
    InvalidRecipientError,
    MessageStatus,
    MessageType,
    TemplateRenderer,
    validate_email_address,
)
from phalanx.persistence.sql.courier_store import SQLCourierStore

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "address",
    ["a@example.org", "Alice <a@example.org>", '"x y"@b.c', "josé@example.org", "jo@exämple.org"],
)
def test_valid_addresses(address: str) -> None:
    assert validate_email_address(address) == address


@pytest.mark.parametrize(
    "address",
    ["", "nope", "a@", "@b", "a@b.c, d@e.f", "a b@c.d", "a@b.c\r\nBcc: x@y.z", "a..b@c.d"],
)
def test_invalid_addresses(address: str) -> None:
    with pytest.raises(InvalidRecipientError):
        validate_email_address(address)


async def test_queue_email_renders_at_queue_time(sqlite_store: SQLCourierStore) -> None:
    courier = Courier(sqlite_store, TemplateRenderer())
    message_id = await courier.queue_email(
        "a@example.org",
        "recovery_code_valid",
        {"recovery_code": "123456", "expires_in_minutes": 15, "identity": {"id": "x"}},
    )
    message = await sqlite_store.get(message_id)
    assert message is not None
    assert message.status is MessageStatus.QUEUED and message.type is MessageType.EMAIL
    assert message.channel == "email" and message.send_count == 0
    assert message.subject == "Use code 123456 to recover access to your account"
    assert message.body.startswith("Recover access to your account by entering the following code")
    assert message.template_type == "recovery_code_valid"
    assert message.template_data["recovery_code"] == "123456"
    assert message.template_data["to"] == "a@example.org"
    assert message.dispatches == []
    # an invalid recipient never fails the caller: the message is stored abandoned
    bad_id = await courier.queue_email("not-an-address", "recovery_code_valid", {})
    bad = await sqlite_store.get(bad_id)
    assert bad is not None and bad.status is MessageStatus.ABANDONED
    [dispatch] = bad.dispatches
    assert dispatch.error is not None and dispatch.error["code"] == 400
    assert "not-an-address" in dispatch.error["reason"]
    with pytest.raises(ValueError, match="unknown courier template type"):
        await courier.queue_email("a@example.org", "nope", {})


async def test_queue_sms_and_via(sqlite_store: SQLCourierStore) -> None:
    courier = Courier(sqlite_store, TemplateRenderer())
    sms_id = await courier.queue("sms", "+15550100", "login_code_valid", {"login_code": "987654"})
    sms = await sqlite_store.get(sms_id)
    assert sms is not None and sms.type is MessageType.SMS and sms.channel == "sms"
    assert sms.subject == "" and sms.body.startswith("Your login code is: 987654")
    with pytest.raises(ValueError, match="Expected email or sms"):
        await courier.queue("pigeon", "x", "login_code_valid", {})


async def _queue(store: SQLCourierStore, count: int, recipient: str = "r@example.org") -> None:
    courier = Courier(store, TemplateRenderer())
    for i in range(count):
        await courier.queue_email(recipient, "login_code_valid", {"login_code": f"{i:06d}"})


async def test_claim_mark_and_backoff(sqlite_store: SQLCourierStore) -> None:
    await _queue(sqlite_store, 3)
    backoff = Backoff(base=timedelta(milliseconds=300), cap=timedelta(seconds=1))
    claimed = await sqlite_store.claim_batch(2, backoff=backoff)
    assert len(claimed) == 2 and all(m.status is MessageStatus.PROCESSING for m in claimed)
    assert len(await sqlite_store.claim_batch(10, backoff=backoff)) == 1
    assert await sqlite_store.claim_batch(10, backoff=backoff) == []
    first, second = claimed
    await sqlite_store.increment_send_count(first.id)
    await sqlite_store.mark_sent(first.id)
    await sqlite_store.increment_send_count(second.id)
    await sqlite_store.mark_failed(second.id, {"code": 500, "message": "down"})
    sent, failed = await sqlite_store.get(first.id), await sqlite_store.get(second.id)
    assert sent is not None and failed is not None
    assert sent.status is MessageStatus.SENT and sent.send_count == 1
    assert [(d.status, d.error) for d in sent.dispatches] == [("success", None)]
    assert failed.status is MessageStatus.QUEUED
    assert [(d.status, d.error) for d in failed.dispatches] == [
        ("failed", {"code": 500, "message": "down"})
    ]
    # The failed message waits for its backoff before it is due again.
    assert await sqlite_store.claim_batch(10, backoff=backoff) == []
    await asyncio.sleep(0.35)
    assert [m.id for m in await sqlite_store.claim_batch(10, backoff=backoff)] == [second.id]
    await sqlite_store.mark_abandoned(second.id, {"code": 500, "message": "gone"})
    abandoned = await sqlite_store.get(second.id)
    assert abandoned is not None and abandoned.status is MessageStatus.ABANDONED
    assert len(abandoned.dispatches) == 2


async def test_release_and_requeue_stale(sqlite_store: SQLCourierStore) -> None:
    await _queue(sqlite_store, 2)
    claimed = await sqlite_store.claim_batch(10)
    await sqlite_store.release([claimed[0].id])
    assert [m.id for m in await sqlite_store.claim_batch(10)] == [claimed[0].id]
    assert await sqlite_store.requeue_stale(timedelta(minutes=5)) == 0
    assert await sqlite_store.requeue_stale(timedelta(0)) == 2
    assert len(await sqlite_store.claim_batch(10)) == 2


async def test_list_filters_and_keyset_pages(sqlite_store: SQLCourierStore) -> None:
    await _queue(sqlite_store, 5, "a@example.org")
    await _queue(sqlite_store, 2, "b@example.org")
    page = await sqlite_store.list_messages(page_size=3)
    assert len(page.messages) == 3 and page.next_token
    assert page.messages[0].recipient == "b@example.org"  # newest first
    seen = [m.id for m in page.messages]
    while page.next_token:
        page = await sqlite_store.list_messages(page_size=3, page_token=page.next_token)
        seen += [m.id for m in page.messages]
    assert len(seen) == len(set(seen)) == 7
    only_b = await sqlite_store.list_messages(recipient="b@example.org", page_size=10)
    assert {m.recipient for m in only_b.messages} == {"b@example.org"}
    assert only_b.next_token is None
    claimed = await sqlite_store.claim_batch(1)
    processing = await sqlite_store.list_messages(status=MessageStatus.PROCESSING)
    assert [m.id for m in processing.messages] == [claimed[0].id]
    assert await sqlite_store.get(uuid.uuid4()) is None
