"""The one-statement session lookup and the change notifications of the session/identity
stores (what keeps the whoami cache honest). Runs on every backend (see conftest)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson
import pymysql
import pytest
from sqlalchemy import text
from tests.persistence.conftest import FreshDatabase

from phalanx.clock import utcnow
from phalanx.identity.model import AddressStatus, Identity, RecoveryAddress, VerifiableAddress
from phalanx.persistence.sql import Database, SQLIdentityPool
from phalanx.persistence.sql.dialects import mysql as mysql_dialect
from phalanx.persistence.sql.engine import create_engine
from phalanx.persistence.sql.session_lookup import NotAvailableError, token_lookup
from phalanx.persistence.sql.session_store import SQLSessionStore
from phalanx.persistence.sql.tables import sessions
from phalanx.session.aal import AalGuard
from phalanx.session.model import AuthenticationMethod, Device, Session
from phalanx.session.tokens import digest
from phalanx.session.whoami import Whoami

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)


class Recorder:
    """A ChangeNotifier that remembers every call (None = everyone)."""

    def __init__(self) -> None:
        self.calls: list[set[uuid.UUID] | None] = []

    def changed(self, identity_ids: Iterable[uuid.UUID] | None = None) -> None:
        self.calls.append(None if identity_ids is None else set(identity_ids))

    def take(self) -> list[set[uuid.UUID] | None]:
        calls, self.calls = self.calls, []
        return calls


def _identity(*, rich: bool, many: bool = False) -> Identity:
    address = f"{uuid.uuid4().hex}@example.com"
    identity = Identity(
        schema_id="default", traits={"email": address, "emoji": "🛡️", "name": "Jürgen 名前"}
    )
    if many:
        # Equal created_at everywhere: the order is the server's order of the ids.
        identity.verifiable_addresses = [
            VerifiableAddress(
                value=f"{n}-ü-{address}", via="email", identity_id=identity.id, created_at=T0
            )
            for n in range(5)
        ]
        identity.recovery_addresses = [
            RecoveryAddress(value=f"{n}-{address}", via="email", identity_id=identity.id)
            for n in range(4)
        ]
        for recovery in identity.recovery_addresses:
            recovery.created_at = T0
        return identity
    if not rich:
        return identity
    identity.metadata_public = {"plan": "gold", "n": [1, 2]}
    identity.metadata_admin = {"note": "x"}
    identity.external_id = f"ext-{uuid.uuid4().hex[:12]}"
    identity.organization_id = uuid.uuid4()
    identity.state_changed_at = T0
    identity.verifiable_addresses = [
        VerifiableAddress(
            value=f"b-{address}",
            via="email",
            identity_id=identity.id,
            created_at=T0 + timedelta(seconds=2),
            updated_at=T0 + timedelta(seconds=2),
        ),
        VerifiableAddress(
            value=address,
            via="email",
            identity_id=identity.id,
            verified=True,
            status=AddressStatus.COMPLETED,
            verified_at=T0,
            created_at=T0,
            updated_at=T0 + timedelta(seconds=1),
        ),
    ]
    identity.recovery_addresses = [
        RecoveryAddress(value=address, via="email", identity_id=identity.id, created_at=T0)
    ]
    return identity


def _session(identity: Identity, *, devices: bool, many: bool = False) -> Session:
    now = utcnow()
    session = Session(
        identity_id=identity.id,
        expires_at=now + timedelta(hours=1),
        authentication_methods=[
            AuthenticationMethod("password", completed_at=now),
            AuthenticationMethod("oidc", completed_at=now, provider="github", organization="o"),
        ],
    )
    if devices:
        session.devices = [
            Device(ip_address="127.0.0.1", user_agent="curl/8", location="Berlin, DE"),
            Device(ip_address=None, user_agent=None, location=""),
        ]
    if many:  # stored in one insert: equal created_at
        session.devices = [
            Device(ip_address=f"10.0.0.{n}", user_agent=f"agent {n}", location="Zürich, CH")
            for n in range(5)
        ]
    return session


async def _stored(
    database: Database, *, rich: bool = True, many: bool = False
) -> tuple[SQLSessionStore, Session, str]:
    identity = _identity(rich=rich, many=many)
    await SQLIdentityPool(database).create(identity)
    store = SQLSessionStore(database)
    session = _session(identity, devices=rich, many=many)
    token = f"ory_st_{uuid.uuid4().hex}"
    await store.create(session, digest(token), digest(token + "-logout"))
    return store, session, token


@pytest.mark.parametrize(
    ("rich", "many"),
    [(True, False), (False, False), (False, True)],
    ids=["everything", "bare", "many"],
)
async def test_fast_lookup_equals_the_general_path(
    database: Database, rich: bool, many: bool
) -> None:
    store, session, token = await _stored(database, rich=rich, many=many)
    lookup = token_lookup(database)
    assert lookup is not None
    try:
        fast = await lookup.by_token(digest(token))  # no fallback to the general path
        general = await store._one_with_identity(sessions.c.token == digest(token))
        assert fast is not None and general is not None
        assert fast == general and fast.id == session.id
        assert await store.get_by_token(digest(token)) == general
        assert fast.identity is not None and fast.identity.is_active
        assert fast.identity.traits["name"] == "Jürgen 名前"
        assert type(fast.id) is uuid.UUID and type(fast.identity_id) is uuid.UUID
        assert fast.expires_at.tzinfo is not None and fast.expires_at == session.expires_at
        assert fast.authenticated_at == session.authenticated_at
        assert fast.aal == "aal1" and fast.identity.available_aal == "aal1"
        assert fast.authentication_methods == session.authentication_methods
        if rich:
            identity = fast.identity
            assert [a.verified for a in identity.verifiable_addresses] == [True, False]
            assert identity.verifiable_addresses[0].verified_at == T0
            assert identity.verifiable_addresses[1].verified_at is None
            assert [d.user_agent for d in fast.devices] in (["curl/8", None], [None, "curl/8"])
            assert fast.authentication_methods[1].provider == "github"
            assert identity.metadata_public == {"plan": "gold", "n": [1, 2]}
        elif many:
            assert len(fast.identity.verifiable_addresses) == 5
            assert len(fast.identity.recovery_addresses) == 4 and len(fast.devices) == 5
        else:
            assert fast.identity.verifiable_addresses == [] and fast.devices == []
            assert fast.identity.recovery_addresses == []
        assert await lookup.by_token(digest("ory_st_unknown")) is None
        assert await store.get_by_token(digest("ory_st_unknown")) is None
    finally:
        store.close()
        lookup.close()


async def _aal1(identity_id: uuid.UUID, *, upsert: bool) -> bool:
    return False


async def test_an_uncached_whoami_is_one_statement_on_mariadb(
    database: Database, backend: str
) -> None:
    """Counted by MariaDB itself: the session status counters of the one connection of a
    pool of one. The general path (4 SELECTs, COMMIT, the pool's ROLLBACK) shows that they
    count."""
    if backend != "mariadb":
        pytest.skip("MariaDB's per-connection status counters")
    _, session, token = await _stored(database)
    url = database.engine.url.render_as_string(hide_password=False)
    single = Database(create_engine(url, pool={"pool_size": 1, "max_overflow": 0}))
    store = SQLSessionStore(single)
    whoami = Whoami(
        store,
        lambda s: str(s.id).encode(),
        aal=AalGuard("http://127.0.0.1:4433/", _aal1),
        required_aal="aal1",
    )
    names = ("Com_select", "Com_commit", "Com_rollback", "Questions")
    show = "SHOW SESSION STATUS WHERE Variable_name IN ({})".format(
        ", ".join(f"'{n}'" for n in names)
    )

    async def counters() -> dict[str, int]:
        async with single.engine.connect() as conn:
            return {str(n): int(v) for n, v in await conn.execute(text(show))}

    async def cost(call: Callable[[], Awaitable[object]]) -> dict[str, int]:
        before = await counters()
        assert await call() is not None
        after = await counters()
        return {n: after[n] - before[n] - overhead[n] for n in names}

    try:
        answer = await whoami.answer(token)
        assert answer is not None and answer.body == str(session.id).encode()
        first, second = await counters(), await counters()
        overhead = {n: second[n] - first[n] for n in names}  # SHOW STATUS, its ROLLBACK
        fast = await cost(lambda: whoami.answer(token))
        general = await cost(lambda: store._one_with_identity(sessions.c.token == digest(token)))
    finally:
        await single.dispose()
    # One SELECT; the pool's ROLLBACK on return ends the transaction it opened.
    assert fast == {"Com_select": 1, "Com_commit": 0, "Com_rollback": 1, "Questions": 2}
    assert general == {"Com_select": 4, "Com_commit": 1, "Com_rollback": 1, "Questions": 6}


@pytest.mark.parametrize("cut", ["inside", "between"])
async def test_a_list_cut_by_group_concat_max_len_falls_back(
    database: Database, backend: str, cut: str
) -> None:
    """``GROUP_CONCAT`` silently cuts at ``group_concat_max_len`` bytes: inside an address
    (not JSON any more) or exactly between two (valid JSON, one address short)."""
    if backend != "mariadb":
        pytest.skip("MySQL/MariaDB's group_concat_max_len")
    identity = _identity(rich=False)
    identity.verifiable_addresses = [
        VerifiableAddress(
            value=f"{n}-{identity.traits['email']}",
            via="email",
            identity_id=identity.id,
            created_at=at,
        )
        for n, at in enumerate((T0, T0 + timedelta(seconds=1)))
    ]
    await SQLIdentityPool(database).create(identity)
    session = _session(identity, devices=False)
    token = f"ory_st_{uuid.uuid4().hex}"
    await SQLSessionStore(database).create(session, digest(token), digest(token + "-l"))
    async with database.engine.connect() as conn:
        first = await conn.scalar(
            text(
                f"SELECT LENGTH(CONCAT(',', JSON_ARRAY({mysql_dialect._VA}))) "
                "FROM identity_verifiable_addresses a WHERE a.identity_id = :id "
                "ORDER BY a.created_at, a.id LIMIT 1"
            ),
            {"id": identity.id},
        )
    limit = int(first) - 5 if cut == "inside" else int(first)
    url = database.engine.url.render_as_string(hide_password=False)
    init = f"SET SESSION group_concat_max_len = {limit}"
    cutting = Database(create_engine(url, connect_args={"init_command": init}))
    store = SQLSessionStore(cutting)
    try:
        lookup = token_lookup(cutting)
        assert lookup is not None
        # aiomysql turns the server's warning into a Python warning.
        with (
            pytest.warns(Warning, match="cut by GROUP_CONCAT"),
            pytest.raises(NotAvailableError, match="group_concat_max_len"),
        ):
            await lookup.by_token(digest(token))
        with pytest.warns(Warning, match="cut by GROUP_CONCAT"):
            found = await store.get_by_token(digest(token))  # the general path answers
        assert found is not None and found.identity is not None
        assert [a.value for a in found.identity.verifiable_addresses] == [
            a.value for a in identity.verifiable_addresses
        ]
    finally:
        await cutting.dispose()


async def test_a_driver_error_drops_the_pooled_connection(
    backend: str, make_fresh_database: FreshDatabase
) -> None:
    """The driver connection's state is unknown after an error (here: no tables yet), so it
    is invalidated, not pooled again: the next checkout is a new server connection."""
    if backend == "sqlite":
        pytest.skip("SQLite's lookup has a connection of its own")
    who = "SELECT CONNECTION_ID()" if backend == "mariadb" else "SELECT pg_backend_pid()"
    async with make_fresh_database() as url:
        db = Database(create_engine(url, pool={"pool_size": 1, "max_overflow": 0}))
        try:
            async with db.engine.connect() as conn:
                before = await conn.scalar(text(who))
            lookup = token_lookup(db)
            assert lookup is not None
            with pytest.raises((pymysql.err.ProgrammingError, asyncpg.UndefinedTableError)):
                await lookup.by_token(digest("ory_st_x"))
            async with db.engine.connect() as conn:
                assert await conn.scalar(text(who)) != before
        finally:
            await db.dispose()


async def test_fast_path_where_available(database: Database) -> None:
    assert token_lookup(database) is not None
    memory = Database(create_engine("sqlite+aiosqlite://", memory=True))
    try:
        assert token_lookup(memory) is None
    finally:
        await memory.dispose()


async def test_a_busy_fast_path_falls_back(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, session, token = await _stored(database)

    class Busy:
        async def row_by_token(self, token_digest: str) -> tuple[object, ...] | None:
            raise NotAvailableError("database is locked")

        def session(self, row: object) -> Session:
            raise AssertionError("no row to decode")

        async def by_token(self, token_digest: str) -> Session | None:
            raise NotAvailableError("database is locked")

        def close(self) -> None:
            pass

    monkeypatch.setattr(store, "_lookup", Busy())
    found = await store.get_by_token(digest(token))
    assert found is not None and found.id == session.id


async def test_every_session_write_notifies_its_identity(database: Database) -> None:
    identity = _identity(rich=False)
    await SQLIdentityPool(database).create(identity)
    recorder = Recorder()
    store = SQLSessionStore(database, notifier=recorder)
    mine = {identity.id}
    first, second = _session(identity, devices=True), _session(identity, devices=False)
    await store.create(first, digest(f"a-{first.id}"), digest(f"al-{first.id}"))
    await store.create(second, digest(f"b-{second.id}"), digest(f"bl-{second.id}"))
    assert recorder.take() == [mine, mine]
    first.expires_at += timedelta(minutes=5)
    await store.update(first)
    assert recorder.take() == [mine]
    assert await store.revoke(first.id)
    assert recorder.take() == [mine]
    assert not await store.revoke(uuid.uuid4())
    assert recorder.take() == []  # nothing written, nothing to invalidate
    assert await store.revoke_by_token(digest(f"b-{second.id}"))
    assert recorder.take() == [mine]
    assert not await store.revoke_by_token(digest("nobody"))
    assert recorder.take() == []
    await store.revoke_others(identity.id, None)
    assert recorder.take() == [mine]
    assert await store.delete_for_identity(identity.id) == 2
    assert recorder.take() == [mine]
    store.close()


async def test_every_identity_write_notifies_its_identity(database: Database) -> None:
    recorder = Recorder()
    pool = SQLIdentityPool(database, notifier=recorder)
    identity = _identity(rich=True)
    await pool.create(identity)
    assert recorder.take() == [{identity.id}]
    identity.traits = {**identity.traits, "emoji": "x"}
    await pool.update(identity)
    assert recorder.take() == [{identity.id}]
    address = identity.verifiable_addresses[0]
    address.verified, address.status = True, AddressStatus.COMPLETED
    await pool.update_verifiable_address(address)
    assert recorder.take() == [{identity.id}]
    others = [_identity(rich=False), _identity(rich=False)]
    await pool.create_many(others)
    assert recorder.take() == [{o.id for o in others}]
    assert await pool.delete(identity.id)
    assert recorder.take() == [{identity.id}]


async def test_concurrent_lookups_share_statements_and_each_gets_its_own_answer(
    database: Database, backend: str
) -> None:
    """PostgreSQL and MariaDB: lookups waiting at once go out as one statement (at most
    pool-size statements in flight); every caller gets the session of its own token, a
    session object of its own, and None for an unknown token."""
    import asyncio

    if backend == "sqlite":
        pytest.skip("SQLite's lookup runs on the event loop: nothing waits to be batched")
    stored = [await _stored(database, rich=i % 2 == 0) for i in range(12)]
    store = stored[0][0]
    lookup: Any = store._lookup
    statements: list[int] = []
    fetch = lookup.batcher.fetch

    async def counted(digests: list[str]) -> dict[str, Any]:
        statements.append(len(digests))
        return await fetch(digests)

    lookup.batcher.fetch = counted
    try:
        tokens = [token for _, _, token in stored] * 3 + ["ory_st_unknown1", "ory_st_unknown2"]
        found = await asyncio.gather(*(store.get_by_token(digest(t)) for t in tokens))
        for token, session in zip(tokens, found, strict=True):
            if token.startswith("ory_st_unknown"):
                assert session is None
                continue
            expected = next(s for _, s, t in stored if t == token)
            assert session is not None and session.id == expected.id
            assert session.identity is not None
            assert session.identity.id == expected.identity_id
        assert len({id(s) for s in found if s is not None}) == 36  # no shared objects
        assert sum(statements) == 14  # each distinct digest asked once...
        assert len(statements) < len(tokens)  # ...in fewer statements than lookups
    finally:
        for own_store, _, _ in stored:
            own_store.close()


async def test_whoami_renders_a_row_once_and_any_change_of_it_again(database: Database) -> None:
    """Without the cache whoami reads the row on every request but renders a row it has
    seen only once; a change of the identity or the session is a new row, rendered anew,
    and a revoked session answers nothing."""
    from phalanx.session.aal import AalGuard
    from phalanx.session.whoami import Whoami

    store, session, token = await _stored(database)
    loads = 0

    def render(found: Session) -> bytes:
        nonlocal loads
        loads += 1
        assert found.identity is not None
        return orjson.dumps({"id": str(found.id), "traits": found.identity.traits})

    async def no_second_factor(identity_id: uuid.UUID, *, upsert: bool) -> bool:
        return False

    guard = AalGuard("http://127.0.0.1:4433/", no_second_factor)
    whoami = Whoami(store, render, None, aal=guard, required_aal="aal1")
    try:
        first = await whoami.answer(token)
        second = await whoami.answer(token)
        assert first is not None and second is not None
        fast_path = store._lookup is not None
        assert (second is first) == fast_path  # the general path has no comparable row
        assert loads == (1 if fast_path else 2)
        pool = SQLIdentityPool(database)
        identity = await pool.get(session.identity_id)
        assert identity is not None
        identity.traits = {**identity.traits, "emoji": "🦔"}
        await pool.update(identity)
        changed = await whoami.answer(token)
        assert changed is not None and changed is not first
        assert orjson.loads(changed.body)["traits"]["emoji"] == "🦔"
        assert await store.revoke(session.id)
        assert await whoami.answer(token) is None
    finally:
        store.close()
