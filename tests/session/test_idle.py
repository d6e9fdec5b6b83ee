"""``IdleTimeout`` on a real SQLite file shared by two instances (as two processes would
share the database), with a controlled clock: uses within the granularity need no
statement, a use seen by one process keeps the session alive for the other, an idle
session is revoked once and reported."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
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


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


class CountingActivity(SQLSessionActivity):
    touches = 0

    async def touch(self, token_digest: str, now: datetime, cutoff: datetime) -> bool:
        self.touches += 1
        return await super().touch(token_digest, now, cutoff)


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


async def test_two_processes_agree_through_the_database(store: SQLSessionStore) -> None:
    key, session = await _session(store)
    ended: list[tuple[uuid.UUID, uuid.UUID]] = []

    async def report(identity_id: uuid.UUID, session_id: uuid.UUID) -> None:
        ended.append((identity_id, session_id))

    clock = Clock()
    first_activity, second_activity = (
        CountingActivity(store.db, store),
        CountingActivity(store.db, store),
    )
    first = IdleTimeout(first_activity, TIMEOUT, on_expired=report, clock=clock)
    second = IdleTimeout(second_activity, TIMEOUT, on_expired=report, clock=clock)

    clock.now += 9 * 60  # 9 minutes after sign-in: alive, recorded
    assert await first.alive(key)
    assert first_activity.touches == 1
    clock.now += 30  # within the granularity: no statement at all
    assert await first.alive(key)
    assert first_activity.touches == 1
    # 15 minutes after sign-in, but 6 after the last use the first process recorded.
    clock.now += 5.5 * 60
    assert await second.alive(key)
    assert second_activity.touches == 1
    clock.now += TIMEOUT.total_seconds() + 1  # unused for longer than the timeout
    assert not await first.alive(key)
    assert ended == [(session.identity_id, session.id)]
    revoked = await store.get(session.id, with_identity=False)
    assert revoked is not None and not revoked.active
    assert not await second.alive(key)
    assert len(ended) == 1  # already ended: reported once


async def test_a_session_issued_here_needs_no_statement_at_first(store: SQLSessionStore) -> None:
    key, _ = await _session(store)
    clock = Clock()
    activity = CountingActivity(store.db, store)
    idle = IdleTimeout(activity, TIMEOUT, clock=clock)
    idle.used_now(key)
    clock.now += 10
    assert await idle.alive(key)
    assert activity.touches == 0
