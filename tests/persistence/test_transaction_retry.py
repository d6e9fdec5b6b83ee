"""``Database.run_in_transaction`` against real conflicts: a serialization failure
(``40001``) between two ``SERIALIZABLE`` transactions and a deadlock (``40P01``) on
PostgreSQL, a deadlock (``1213``) on MariaDB. The work is run again and committed once,
``phalanx_sql_transaction_retries_total`` moves, other errors are raised at once, and after
the last attempt the error propagates with nothing written. Then the write paths that use
it (rate-limit hit, audit append, session revoke) on PostgreSQL under ``SERIALIZABLE``,
each against a concurrent update of the row it writes.

Each conflict is made by a second connection (``other``) that the work lets in at a
chosen point, as another host would; rows are ``phalanx_limit_counters`` rows with keys of
their own (``hits`` is the value).
"""

from __future__ import annotations

import secrets
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import anyio
import pytest
from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable
from tests.persistence.conftest import migrated_database

from phalanx.audit import AuditEvent, EventType, verify
from phalanx.clock import utcnow
from phalanx.identity.model import Identity
from phalanx.limits.sql_counters import SQLCounters
from phalanx.metrics import TRANSACTION_RETRIES
from phalanx.persistence.sql import Database, SQLIdentityPool
from phalanx.persistence.sql.audit_store import SQLAuditStore
from phalanx.persistence.sql.changes import Broadcast
from phalanx.persistence.sql.dialects import backend_for
from phalanx.persistence.sql.session_store import SQLSessionStore
from phalanx.persistence.sql.tables import audit_chain, limit_counters, sessions
from phalanx.session.model import Session
from phalanx.session.tokens import digest

pytestmark = pytest.mark.anyio

_c = limit_counters
T = TypeVar("T")


def _audit_event(n: int) -> AuditEvent:
    return AuditEvent(
        type=EventType.LOGIN_SUCCEEDED,
        occurred_at=utcnow(),
        actor="self",
        details={"n": n},
    )


@pytest.fixture(scope="module", params=[pytest.param("postgres"), pytest.param("mariadb")])
async def server(request: pytest.FixtureRequest, sqlite_dir: Path) -> AsyncIterator[Database]:
    async with migrated_database(request.param, sqlite_dir) as db:
        yield db


@pytest.fixture(scope="module")
async def postgres(sqlite_dir: Path) -> AsyncIterator[Database]:
    async with migrated_database("postgres", sqlite_dir) as db:
        yield db


def _serializable(db: Database) -> Database:
    """The same pool, every transaction ``SERIALIZABLE`` (what CockroachDB always runs)."""
    return Database(db.engine.execution_options(isolation_level="SERIALIZABLE"))


def _retries(operation: str) -> float:
    return TRANSACTION_RETRIES.labels(operation)._value.get()


async def _rows(db: Database, *hits: int) -> list[str]:
    keys = [f"retry-{secrets.token_hex(8)}" for _ in hits]
    until = utcnow() + timedelta(hours=1)
    async with db.transaction() as conn:
        await conn.execute(
            insert(_c),
            [{"id": k, "hits": h, "expires_at": until} for k, h in zip(keys, hits, strict=True)],
        )
    return keys


async def _hits(db: Database, *keys: str) -> list[int | None]:
    async with db.transaction(readonly=True) as conn:
        found = dict(
            (await conn.execute(select(_c.c.id, _c.c.hits).where(_c.c.id.in_(keys)))).all()
        )
    return [found.get(k) for k in keys]


async def _add(conn: AsyncConnection, key: str, n: int) -> None:
    await conn.execute(update(_c).where(_c.c.id == key).values(hits=_c.c.hits + n))


async def _waiting_for_a_lock(db: Database) -> None:
    """Until a transaction of this PostgreSQL database waits for a row lock."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with anyio.fail_after(10):
        while True:
            async with db.engine.connect() as conn:
                if int(await conn.scalar(query) or 0) > 0:
                    return
            await anyio.sleep(0.02)


# -- PostgreSQL: serialization failure (40001) ---------------------------------------------


def _write_skew(
    db: Database, a: str, b: str, *, conflicts: int
) -> tuple[Callable[[AsyncConnection], Awaitable[int]], list[int]]:
    """Work that reads ``a`` and adds it to ``b``; in its first ``conflicts`` attempts,
    another SERIALIZABLE transaction reads ``b`` and adds 100 to ``a`` between the two (a
    read/write dependency both ways: PostgreSQL aborts the work with 40001)."""
    attempts: list[int] = []

    async def work(conn: AsyncConnection) -> int:
        attempts.append(len(attempts) + 1)
        seen = int(await conn.scalar(select(_c.c.hits).where(_c.c.id == a)) or 0)
        if len(attempts) <= conflicts:
            async with db.transaction() as other:
                await other.scalar(select(_c.c.hits).where(_c.c.id == b))
                await _add(other, a, 100)
        await _add(conn, b, seen + 1)
        return seen

    return work, attempts


async def test_a_serialization_failure_is_run_again_and_committed_once(
    postgres: Database,
) -> None:
    db = _serializable(postgres)
    a, b = await _rows(db, 5, 0)
    work, attempts = _write_skew(db, a, b, conflicts=1)
    before = _retries("skew")

    seen = await db.run_in_transaction(work, operation="skew")

    assert attempts == [1, 2]
    assert seen == 105  # the second attempt read what the other transaction committed
    assert await _hits(db, a, b) == [105, 106]  # b was written once, by the second attempt
    assert _retries("skew") - before == 1


async def test_the_last_attempts_error_propagates_and_nothing_is_written(
    postgres: Database,
) -> None:
    db = _serializable(postgres)
    a, b = await _rows(db, 5, 0)
    work, attempts = _write_skew(db, a, b, conflicts=99)
    before = _retries("skew_always")

    with pytest.raises(DBAPIError) as caught:
        await db.run_in_transaction(work, attempts=3, operation="skew_always")

    assert caught.value.orig is not None
    assert db.backend.is_retryable(caught.value.orig)
    assert attempts == [1, 2, 3]
    assert await _hits(db, a, b) == [305, 0]  # only the other transactions committed
    assert _retries("skew_always") - before == 2


# -- deadlocks: PostgreSQL 40P01, MariaDB 1213 ----------------------------------------------


class Crossing:
    """Work that adds 1 to ``a`` then to ``b``. In its first ``deadlocks`` attempts, once
    it holds ``a``, another transaction (a task of ``tasks``) adds 10 to ``b`` -- and, on
    MariaDB, to 20 rows of its own, to be the heavier one -- then to ``a``, waiting for the
    work; the work then waits for ``b``: a deadlock whose victim is the work, whichever
    waits first (on PostgreSQL the work looks for deadlocks after 100 ms, the other after
    10 s; InnoDB rolls back the lighter transaction). The other commits once the attempt
    rolled back."""

    def __init__(
        self, db: Database, a: str, b: str, *, deadlocks: int, tasks: anyio.abc.TaskGroup
    ) -> None:
        self.db, self.a, self.b, self.deadlocks, self.tasks = db, a, b, deadlocks, tasks
        self.postgres = db.backend.names == ("postgresql",)
        self.attempts: list[int] = []
        self.other_errors: list[BaseException] = []

    async def _other(self, locked: anyio.Event, own: list[str]) -> None:
        try:
            async with self.db.transaction() as conn:
                if self.postgres:
                    await conn.execute(text("SET LOCAL deadlock_timeout = '10s'"))
                for key in own:
                    await _add(conn, key, 10)
                await _add(conn, self.b, 10)
                locked.set()
                await _add(conn, self.a, 10)
        except Exception as exc:  # the test asserts there is none
            self.other_errors.append(exc)
            locked.set()

    async def work(self, conn: AsyncConnection) -> None:
        self.attempts.append(len(self.attempts) + 1)
        if self.postgres:
            await conn.execute(text("SET LOCAL deadlock_timeout = '100ms'"))
        await _add(conn, self.a, 1)
        if len(self.attempts) <= self.deadlocks:
            own = [] if self.postgres else await _rows(self.db, *([0] * 20))
            locked = anyio.Event()
            self.tasks.start_soon(self._other, locked, own)
            await locked.wait()
            if self.postgres:
                await _waiting_for_a_lock(self.db)  # the other transaction waits for ``a``
            else:
                # InnoDB's trx_state does not reliably say LOCK WAIT; the order does not
                # matter there (the lighter transaction is the victim either way).
                await anyio.sleep(0.1)
        await _add(conn, self.b, 1)


async def test_a_deadlock_is_run_again_and_committed_once(server: Database) -> None:
    a, b = await _rows(server, 0, 0)
    before = _retries("crossing")
    async with anyio.create_task_group() as tasks:
        crossing = Crossing(server, a, b, deadlocks=1, tasks=tasks)
        await server.run_in_transaction(crossing.work, operation="crossing")

    assert crossing.other_errors == []
    assert crossing.attempts == [1, 2]
    assert await _hits(server, a, b) == [11, 11]  # the work's 1 once, the other's 10
    assert _retries("crossing") - before == 1


async def test_deadlocks_in_every_attempt_propagate_with_nothing_written(
    server: Database,
) -> None:
    a, b = await _rows(server, 0, 0)
    before = _retries("crossing_always")
    async with anyio.create_task_group() as tasks:
        crossing = Crossing(server, a, b, deadlocks=99, tasks=tasks)
        with pytest.raises(DBAPIError) as caught:
            await server.run_in_transaction(crossing.work, attempts=3, operation="crossing_always")

    assert caught.value.orig is not None and server.backend.is_retryable(caught.value.orig)
    assert crossing.other_errors == []
    assert crossing.attempts == [1, 2, 3]
    assert await _hits(server, a, b) == [30, 30]  # three other transactions, no work
    assert _retries("crossing_always") - before == 2


# -- errors that are not retried --------------------------------------------------------------


async def test_a_unique_violation_is_raised_at_once(database: Database) -> None:
    (taken,) = await _rows(database, 1)
    fresh = f"retry-{secrets.token_hex(8)}"
    attempts: list[int] = []
    until = utcnow() + timedelta(hours=1)

    async def work(conn: AsyncConnection) -> None:
        attempts.append(len(attempts) + 1)
        await conn.execute(insert(_c).values(id=fresh, hits=1, expires_at=until))
        await conn.execute(insert(_c).values(id=taken, hits=1, expires_at=until))

    before = _retries("duplicate")
    with pytest.raises(IntegrityError):
        await database.run_in_transaction(work, operation="duplicate")
    assert attempts == [1]
    assert await _hits(database, fresh, taken) == [None, 1]
    assert _retries("duplicate") == before


def test_sqlite_busy_is_not_retryable(tmp_path: Path) -> None:
    """SQLite's "database is locked" after the busy timeout is raised at once (see the
    backend's docstring); a real one, from two connections of the ``sqlite3`` module."""
    path = tmp_path / "busy.db"
    holder = sqlite3.connect(path, isolation_level=None)
    waiter = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError, match="database is locked") as caught:
            waiter.execute("BEGIN IMMEDIATE")
        assert backend_for("sqlite").is_retryable(caught.value) is False
    finally:
        holder.close()
        waiter.close()


# -- the write paths that retry, on PostgreSQL under SERIALIZABLE ----------------------------


async def _after_a_concurrent_update(
    db: Database, touch: Executable, call: Callable[[], Awaitable[T]]
) -> T:
    """``call()`` while another SERIALIZABLE transaction that ran ``touch`` holds the row
    ``call`` writes; that one commits once ``call`` waits for it, so ``call``'s first
    transaction fails with 40001 ("could not serialize access due to concurrent update")."""
    results: list[T] = []

    async def run() -> None:
        results.append(await call())

    async with anyio.create_task_group() as tasks, db.transaction() as other:
        await other.execute(touch)
        tasks.start_soon(run)
        await _waiting_for_a_lock(db)
    return results[0]


async def test_a_rate_limit_hit_runs_again_and_counts_once(postgres: Database) -> None:
    db = _serializable(postgres)
    (key,) = await _rows(db, 4)
    before = _retries("limit_hit")
    touch = update(_c).where(_c.c.id == key).values(hits=_c.c.hits + 10)
    count = await _after_a_concurrent_update(db, touch, lambda: SQLCounters(db).hit(key, 60))
    assert count.hits == 15
    assert await _hits(db, key) == [15]
    assert _retries("limit_hit") - before == 1


async def test_an_audit_append_runs_again_on_the_new_head(postgres: Database) -> None:
    db = _serializable(postgres)
    store = SQLAuditStore(db)
    (first,) = await store.append([_audit_event(1)])
    before = _retries("audit_append")
    chain = audit_chain.c
    touch = update(audit_chain).values(head_hash=chain.head_hash)  # locks the chain row
    (second,) = await _after_a_concurrent_update(db, touch, lambda: store.append([_audit_event(2)]))
    assert (second.seq, second.prev_hash) == (first.seq + 1, first.hash)
    assert _retries("audit_append") - before == 1
    report = await verify(await store.anchor(), store.scan())
    assert report.ok, report.problems


class Broadcasts(Broadcast):
    """Counts what ``notifying_run`` tells another host, per phase."""

    def __init__(self) -> None:
        self.local: list[set[uuid.UUID] | None] = []
        self.before: list[list[uuid.UUID] | None] = []
        self.after: list[list[uuid.UUID] | None] = []

    def changed(self, identity_ids: Iterable[uuid.UUID] | None = None) -> None:
        self.local.append(None if identity_ids is None else set(identity_ids))

    async def before_commit(
        self, conn: AsyncConnection, identity_ids: Sequence[uuid.UUID] | None
    ) -> None:
        self.before.append(None if identity_ids is None else list(identity_ids))

    async def after_commit(self, identity_ids: Sequence[uuid.UUID] | None) -> None:
        self.after.append(None if identity_ids is None else list(identity_ids))


async def test_a_session_revoke_runs_again_and_notifies_once(postgres: Database) -> None:
    db = _serializable(postgres)
    identity = Identity(schema_id="default", traits={"email": f"{uuid.uuid4().hex}@example.com"})
    await SQLIdentityPool(db).create(identity)
    session = Session(identity_id=identity.id, expires_at=utcnow() + timedelta(hours=1))
    creator = SQLSessionStore(db)
    await creator.create(session, digest(f"t-{session.id}"), digest(f"l-{session.id}"))
    creator.close()
    told = Broadcasts()
    store = SQLSessionStore(db, notifier=told)
    before = _retries("session_write")
    touch = update(sessions).where(sessions.c.id == session.id).values(aal="aal2")
    try:
        assert await _after_a_concurrent_update(db, touch, lambda: store.revoke(session.id))
        stored = await store.get(session.id, with_identity=False)
    finally:
        store.close()
    assert stored is not None and not stored.active and stored.aal == "aal2"
    assert _retries("session_write") - before == 1
    # The first attempt failed at its UPDATE, before telling anyone; each side heard once.
    assert told.before == [[identity.id]]
    assert told.after == [[identity.id]]
    assert told.local == [{identity.id}]
