"""``IdleTimeout`` on a real SQLite file shared by two instances (as two processes would
share the database), with a controlled clock: a session seen used needs no statement,
uses are written in one batch, a use written by one process keeps the session alive for
the other, an idle session is revoked once and reported."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from phalanx.identity.model import Identity
from phalanx.persistence.sql import Database, SQLIdentityPool, create_engine, migrate_up
from phalanx.persistence.sql.session_activity import SQLSessionActivity
from phalanx.persistence.sql.session_store import SQLSessionStore
from phalanx.session.idle import IdleTimeout, granularity_for
from phalanx.session.model import AuthenticationMethod, Session
from phalanx.session.tokens import digest

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC).timestamp()
TIMEOUT = timedelta(minutes=10)
MINUTE = 60.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


class Counting(SQLSessionActivity):
    def __init__(self, store: SQLSessionStore) -> None:
        super().__init__(store.db, store)
        self.reads = 0
        self.writes: list[list[str]] = []

    async def last_used(self, token_digest: str) -> datetime | None:
        self.reads += 1
        return await super().last_used(token_digest)

    async def record(self, token_digests: Sequence[str], at: datetime) -> None:
        self.writes.append(list(token_digests))
        await super().record(token_digests, at)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLSessionStore]:
    db = Database(create_engine(f"sqlite+aiosqlite:///{tmp_path / 'idle.db'}"))
    await migrate_up(db.engine)
    try:
        yield SQLSessionStore(db)
    finally:
        await db.dispose()


async def _session(store: SQLSessionStore) -> tuple[str, Session]:
    identity = Identity(schema_id="default", traits={"email": f"{uuid.uuid4()}@x.org"})
    await SQLIdentityPool(store.db).create(identity)
    at = datetime.fromtimestamp(T0, UTC)
    session = Session(
        identity_id=identity.id,
        issued_at=at,
        authenticated_at=at,
        expires_at=at + timedelta(days=1),
        authentication_methods=[AuthenticationMethod(method="password")],
        active=True,
    )
    token = f"ory_st_{uuid.uuid4().hex}"
    await store.create(session, digest(token), digest(token + "lo"))
    return digest(token), session


def test_granularity_is_a_tenth_of_the_timeout_at_most_a_minute() -> None:
    assert granularity_for(timedelta(seconds=30)) == 3.0
    assert granularity_for(timedelta(hours=2)) == 60.0


async def test_uses_are_remembered_and_written_in_one_batch(store: SQLSessionStore) -> None:
    (one, _), (two, _) = await _session(store), await _session(store)
    clock = Clock()
    activity = Counting(store)
    idle = IdleTimeout(activity, TIMEOUT, clock=clock)
    clock.now += 9 * MINUTE
    assert await idle.alive(one) and await idle.alive(two)
    assert activity.reads == 2  # first seen here: one read each
    clock.now += 5 * MINUTE
    assert await idle.alive(one) and await idle.alive(two)
    assert activity.reads == 2  # seen used within the timeout: no statement
    await idle.close()
    assert activity.writes == [sorted([one, two])]
    used = await activity.last_used(one)
    assert used == datetime.fromtimestamp(clock.now, UTC)


async def test_processes_agree_through_the_database(store: SQLSessionStore) -> None:
    key, session = await _session(store)
    ended: list[tuple[uuid.UUID, uuid.UUID]] = []

    async def report(identity_id: uuid.UUID, session_id: uuid.UUID) -> None:
        ended.append((identity_id, session_id))

    clock = Clock()
    first = IdleTimeout(Counting(store), TIMEOUT, on_expired=report, clock=clock)
    second = IdleTimeout(Counting(store), TIMEOUT, on_expired=report, clock=clock)
    clock.now += 8 * MINUTE
    assert await first.alive(key)
    await first.flush()
    # 16 minutes after sign-in, 8 after the use the first process wrote: alive.
    clock.now += 8 * MINUTE
    assert await second.alive(key)
    await second.flush()
    # Within one granularity past the timeout: still alive (writes may lag that much).
    clock.now += TIMEOUT.total_seconds() + second.granularity / 2
    assert await first.alive(key)
    await first.flush()
    # Unused for longer than timeout + granularity: ended, by whichever process asks.
    clock.now += TIMEOUT.total_seconds() + first.granularity + 1
    assert not await second.alive(key)
    assert ended == [(session.identity_id, session.id)]
    revoked = await store.get(session.id, with_identity=False)
    assert revoked is not None and not revoked.active
    assert not await first.alive(key)
    assert len(ended) == 1  # already ended: reported once
    await first.close()
    await second.close()


async def test_a_session_issued_here_needs_no_read(store: SQLSessionStore) -> None:
    key, _ = await _session(store)
    clock = Clock()
    activity = Counting(store)
    idle = IdleTimeout(activity, TIMEOUT, clock=clock)
    idle.used_now(key)
    clock.now += 10
    assert await idle.alive(key)
    assert activity.reads == 0
    await idle.close()


async def test_a_recent_authentication_needs_no_read(store: SQLSessionStore) -> None:
    key, session = await _session(store)
    clock = Clock()
    activity = Counting(store)
    idle = IdleTimeout(activity, TIMEOUT, clock=clock)
    clock.now += 9 * MINUTE
    idle.known_use(key, session.authenticated_at)
    assert await idle.alive(key)
    assert activity.reads == 0
    await idle.flush()
    # Last seen 12 minutes ago (longer than timeout + granularity): read, idle, ended.
    clock.now += 12 * MINUTE
    idle.known_use(key, session.authenticated_at)
    assert not await idle.alive(key)
    assert activity.reads == 1
    await idle.close()
