"""``AuditLog.record`` on a real (SQLite file) database: origin and actor, group commit of
concurrent records into one chain, the structured log line and the Prometheus counter."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from phalanx.audit import AuditLog, EventType, Origin, acting_as, verify
from phalanx.audit.context import ORIGIN
from phalanx.metrics import REGISTRY
from phalanx.persistence.sql import Database, create_engine, migrate_up
from phalanx.persistence.sql.audit_store import SQLAuditStore

pytestmark = pytest.mark.anyio


@pytest.fixture
async def audit(tmp_path: Path) -> AsyncIterator[AuditLog]:
    db = Database(create_engine(f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"))
    await migrate_up(db.engine)
    log = AuditLog(SQLAuditStore(db))
    try:
        yield log
    finally:
        await log.close()
        await db.dispose()


def _count(type: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "phalanx_audit_events_total", {"type": type, "outcome": outcome}
    )
    return value or 0.0


async def test_record_takes_actor_and_origin_from_the_context(
    audit: AuditLog, caplog: pytest.LogCaptureFixture
) -> None:
    identity = uuid.uuid4()
    before = _count(EventType.IDENTITY_DELETED, "success")
    token = ORIGIN.set(Origin("admin", lambda: ("198.51.100.7", "curl/8")))
    try:
        with caplog.at_level(logging.INFO, logger="phalanx.audit"):
            as_admin = await audit.record(EventType.IDENTITY_DELETED, identity_id=identity)
            with acting_as("admin_console"):
                as_console = await audit.record(
                    EventType.IDENTITY_DELETED, identity_id=identity, details={"n": 1}
                )
    finally:
        ORIGIN.reset(token)
    system = await audit.record(EventType.LOCKOUT_ENDED, identity_id=identity)
    assert as_admin is not None and as_console is not None and system is not None
    assert (as_admin.event.actor, as_admin.event.client_address, as_admin.event.user_agent) == (
        "admin",
        "198.51.100.7",
        "curl/8",
    )
    assert (as_console.event.actor, as_console.event.client_address) == (
        "admin_console",
        "198.51.100.7",
    )
    assert (system.event.actor, system.event.client_address) == ("system", None)
    assert _count(EventType.IDENTITY_DELETED, "success") == before + 2
    lines = [r for r in caplog.records if r.name == "phalanx.audit"]
    assert [r.getMessage() for r in lines] == [f"audit event {EventType.IDENTITY_DELETED}"] * 2
    assert lines[1].audit_event["actor"] == "admin_console"  # type: ignore[attr-defined]
    assert lines[1].audit_hash == as_console.hash  # type: ignore[attr-defined]


async def test_concurrent_records_share_transactions_and_one_chain(audit: AuditLog) -> None:
    store = audit.store
    assert isinstance(store, SQLAuditStore)
    calls = 0
    original = store.append

    async def counting(events):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return await original(events)

    store.append = counting  # type: ignore[method-assign]
    stored = await asyncio.gather(
        *(audit.record(EventType.SESSION_ISSUED, details={"i": i}) for i in range(40))
    )
    assert sorted(s.seq for s in stored if s is not None) == list(range(1, 41))
    assert calls < 40  # group commit: one transaction per batch, not per event
    report = await verify(await store.anchor(), store.scan())
    assert report.ok and report.checked == 40


async def test_a_disabled_log_records_nothing(tmp_path: Path) -> None:
    db = Database(create_engine(f"sqlite+aiosqlite:///{tmp_path / 'off.db'}"))
    await migrate_up(db.engine)
    try:
        log = AuditLog(SQLAuditStore(db), enabled=False)
        assert await log.record(EventType.LOGIN_SUCCEEDED) is None
        assert (await log.store.anchor()).head_seq == 0
    finally:
        await db.dispose()
