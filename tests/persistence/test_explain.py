"""Every admin list query reads an index, never a whole large table (PostgreSQL, MariaDB).

The real store methods behind ``GET /admin/identities`` (every filter, keyset and legacy
pages, with credentials), ``GET /admin/sessions`` and ``GET /admin/identities/{id}/sessions``,
``GET /admin/courier/messages`` (every filter, next page) and the courier worker's claim run
against tables of :data:`ROWS` identities (with credentials, identifiers and addresses),
twice as many sessions and as many courier messages; every ``SELECT`` they send is captured
on the engine and ``EXPLAIN``\\ ed with its parameters after ``ANALYZE``, with the planner
told to prefer indexes (PostgreSQL ``enable_seqscan = off``, MariaDB ``max_seeks_for_key =
1``: at test sizes a scan is cheaper, in production it is not). A sequential scan left in
the plan (PostgreSQL ``Seq Scan``, MariaDB access type ``ALL``) of one of those tables means
no index serves the query and fails the test, so a list that would slow down with table size
cannot land.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, insert, text
from tests.persistence.conftest import fresh_database

from phalanx.clock import utcnow
from phalanx.courier.message import MessageStatus
from phalanx.identity.pool import IdentityListQuery
from phalanx.persistence.sql import Database, SQLIdentityPool, create_engine, migrate_up
from phalanx.persistence.sql import tables as t
from phalanx.persistence.sql.courier_store import SQLCourierStore
from phalanx.persistence.sql.session_store import SQLSessionStore

pytestmark = [pytest.mark.anyio, pytest.mark.db]

ROWS = 3000
"""Identities; sessions are twice as many, courier messages as many."""

PAGE = 25
"""Page size of the ordered session and courier lists: production pages of 250 are a tiny
share of their tables, and MariaDB's optimizer sorts a whole table instead of walking an
index when a page is more than a few percent of it."""

LARGE = {
    "identities",
    "identity_credentials",
    "identity_credential_identifiers",
    "identity_verifiable_addresses",
    "identity_recovery_addresses",
    "sessions",
    "courier_messages",
}


@pytest.fixture(scope="module", params=["postgres", "mariadb"])
async def large(request: pytest.FixtureRequest, sqlite_dir: Path) -> AsyncIterator[Database]:
    async with fresh_database(request.param, sqlite_dir) as url:
        db = Database(create_engine(url))
        try:
            await migrate_up(db.engine)
            await _fill(db)
            yield db
        finally:
            await db.dispose()


async def _fill(db: Database) -> None:
    now = utcnow()
    ids = [uuid.uuid4() for _ in range(ROWS)]
    stamps = {"created_at": now, "updated_at": now}
    identities = [
        {
            "id": i,
            "schema_id": "default",
            "traits": {"email": f"user-{n:05d}@example.com"},
            "state": "active",
            "available_aal": "aal1",
            **stamps,
        }
        for n, i in enumerate(ids)
    ]
    credentials = [
        {"id": uuid.uuid4(), "identity_id": i, "type": "password", "config": {}, **stamps}
        for i in ids
    ]
    identifiers = [
        {
            "id": uuid.uuid4(),
            "identity_id": c["identity_id"],
            "credential_id": c["id"],
            "type": "password",
            "identifier": f"user-{n:05d}@example.com",
            **stamps,
        }
        for n, c in enumerate(credentials)
    ]
    verifiable = [
        {
            "id": uuid.uuid4(),
            "identity_id": i,
            "via": "email",
            "value": f"user-{n:05d}@example.com",
            "verified": False,
            "status": "pending",
            **stamps,
        }
        for n, i in enumerate(ids)
    ]
    recovery = [
        {
            "id": uuid.uuid4(),
            "identity_id": i,
            "via": "email",
            "value": f"user-{n:05d}@example.com",
            **stamps,
        }
        for n, i in enumerate(ids)
    ]
    sessions = [
        {
            "id": uuid.uuid4(),
            "identity_id": ids[n % ROWS],
            "token": uuid.uuid4().hex + uuid.uuid4().hex,
            "logout_token": uuid.uuid4().hex + uuid.uuid4().hex,
            "issued_at": now,
            "expires_at": now + timedelta(days=1),
            "authenticated_at": now,
            "active": n % 5 != 0,
            "aal": "aal1",
            "authentication_methods": [],
            "created_at": now - timedelta(seconds=n),
            "updated_at": now,
        }
        for n in range(2 * ROWS)
    ]
    statuses = ["queued", "processing", "sent", "abandoned"]
    messages = [
        {
            "id": uuid.uuid4(),
            "type": "email",
            "status": statuses[n % 4],
            "recipient": f"user-{n:05d}@example.com",
            "subject": "s",
            "body": "b",
            "template_type": "",
            "send_count": 0,
            "created_at": now - timedelta(seconds=n),
            "updated_at": now,
        }
        for n in range(ROWS)
    ]
    async with db.transaction() as conn:
        for table, rows in (
            (t.identities, identities),
            (t.identity_credentials, credentials),
            (t.identity_credential_identifiers, identifiers),
            (t.identity_verifiable_addresses, verifiable),
            (t.identity_recovery_addresses, recovery),
            (t.sessions, sessions),
            (t.courier_messages, messages),
        ):
            for start in range(0, len(rows), 2000):
                await conn.execute(insert(table), rows[start : start + 2000])
    async with db.engine.connect() as conn:
        analyze = "ANALYZE" if db.dialect == "postgresql" else "ANALYZE TABLE " + ", ".join(LARGE)
        await conn.execute(text(analyze))
        await conn.commit()


Captured = list[tuple[str, Any]]


async def _captured(db: Database, run: Callable[[], Awaitable[object]]) -> Captured:
    """The SELECT statements (driver SQL and parameters) ``run`` sends."""
    seen: Captured = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
    try:
        await run()
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", capture)
    return seen


def _pg_seq_scans(plan: dict[str, Any]) -> list[str]:
    found = []
    if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in LARGE:
        found.append(str(plan["Relation Name"]))
    for child in plan.get("Plans", []):
        found.extend(_pg_seq_scans(child))
    return found


async def _full_scans(db: Database, statement: str, parameters: Any) -> list[str]:
    async with db.engine.connect() as conn:
        if db.dialect == "postgresql":
            # Tables this size are cheaper to scan than to probe: forbid scans, so a Seq
            # Scan in the plan means that no index can serve the query at all.
            await conn.exec_driver_sql("SET enable_seqscan = off")
            result = await conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters)
            raw = result.scalar_one()
            plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
            return _pg_seq_scans(plan)
        # MariaDB's way to prefer any usable index to a table scan.
        await conn.exec_driver_sql("SET SESSION max_seeks_for_key = 1")
        result = await conn.exec_driver_sql("EXPLAIN " + statement, parameters)
        return [
            str(row["table"])
            for row in result.mappings()
            if row["type"] == "ALL" and row["table"] in LARGE
        ]


async def _assert_no_full_scan(db: Database, run: Callable[[], Awaitable[object]]) -> None:
    statements = await _captured(db, run)
    assert statements, "the call sent no SELECT"
    for statement, parameters in statements:
        scans = await _full_scans(db, statement, parameters)
        assert not scans, f"full scan of {scans} on {db.dialect}:\n{statement}"


async def _some_identity(db: Database) -> uuid.UUID:
    async with db.transaction(readonly=True) as conn:
        found = await conn.scalar(text("SELECT identity_id FROM sessions LIMIT 1"))
    return found if isinstance(found, uuid.UUID) else uuid.UUID(str(found))


IDENTITY_QUERIES: dict[str, IdentityListQuery] = {
    "first page": IdentityListQuery(page_size=250),
    "next page": IdentityListQuery(page_size=250, page_token=uuid.UUID(int=2**127)),
    "with credentials": IdentityListQuery(page_size=250, with_credentials=True),
    "legacy page": IdentityListQuery(page_size=250, offset=0),
    "credentials_identifier": IdentityListQuery(credentials_identifier="user-00042@example.com"),
    "credentials_identifier_similar": IdentityListQuery(credentials_identifier_similar="user-0004"),
    "organization_id": IdentityListQuery(organization_id=uuid.uuid4()),
}


@pytest.mark.parametrize("name", list(IDENTITY_QUERIES))
async def test_identity_lists_use_indexes(large: Database, name: str) -> None:
    pool = SQLIdentityPool(large)
    await _assert_no_full_scan(large, lambda: pool.list(IDENTITY_QUERIES[name]))


async def test_identity_list_by_ids_uses_indexes(large: Database) -> None:
    pool = SQLIdentityPool(large)
    some = await _some_identity(large)
    await _assert_no_full_scan(large, lambda: pool.list(IdentityListQuery(ids=[some])))


@pytest.mark.parametrize("active", [None, True, False])
async def test_session_list_uses_indexes(large: Database, active: bool | None) -> None:
    store = SQLSessionStore(large)
    first = await store.list_all(active=active, page_size=PAGE)
    assert first.next_token is not None
    await _assert_no_full_scan(
        large, lambda: store.list_all(active=active, page_size=PAGE, with_identity=True)
    )
    await _assert_no_full_scan(
        large, lambda: store.list_all(active=active, page_size=PAGE, page_token=first.next_token)
    )


async def test_sessions_of_an_identity_use_indexes(large: Database) -> None:
    store = SQLSessionStore(large)
    identity = await _some_identity(large)
    await _assert_no_full_scan(large, lambda: store.list_for_identity(identity, active=True))
    await _assert_no_full_scan(large, lambda: store.page_for_identity(identity, limit=PAGE))


@pytest.mark.parametrize("status", [None, MessageStatus.QUEUED, MessageStatus.SENT])
async def test_courier_list_uses_indexes(large: Database, status: MessageStatus | None) -> None:
    store = SQLCourierStore(large)
    first = await store.list_messages(status=status, page_size=PAGE)
    assert first.next_token is not None
    await _assert_no_full_scan(large, lambda: store.list_messages(status=status, page_size=PAGE))
    await _assert_no_full_scan(
        large,
        lambda: store.list_messages(status=status, page_size=PAGE, page_token=first.next_token),
    )
    await _assert_no_full_scan(
        large, lambda: store.list_messages(recipient="user-00007@example.com")
    )


async def test_courier_claim_uses_indexes(large: Database) -> None:
    store = SQLCourierStore(large)
    await _assert_no_full_scan(large, lambda: store.claim_batch(10))
