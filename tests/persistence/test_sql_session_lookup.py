"""The one-statement session lookup and the change notifications of the session/identity
stores (what keeps the whoami cache honest). Runs on every backend (see conftest)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest

from phalanx.clock import utcnow
from phalanx.identity.model import AddressStatus, Identity, RecoveryAddress, VerifiableAddress
from phalanx.persistence.sql import Database, SQLIdentityPool
from phalanx.persistence.sql.engine import create_engine
from phalanx.persistence.sql.session_lookup import NotAvailableError, token_lookup
from phalanx.persistence.sql.session_store import SQLSessionStore
from phalanx.persistence.sql.tables import sessions
from phalanx.session.model import AuthenticationMethod, Device, Session
from phalanx.session.tokens import digest

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


def _identity(*, rich: bool) -> Identity:
    address = f"{uuid.uuid4().hex}@example.com"
    identity = Identity(schema_id="default", traits={"email": address, "emoji": "🛡️"})
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


def _session(identity: Identity, *, devices: bool) -> Session:
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
    return session


async def _stored(database: Database, *, rich: bool = True) -> tuple[SQLSessionStore, Session, str]:
    identity = _identity(rich=rich)
    await SQLIdentityPool(database).create(identity)
    store = SQLSessionStore(database)
    session = _session(identity, devices=rich)
    token = f"ory_st_{uuid.uuid4().hex}"
    await store.create(session, digest(token), digest(token + "-logout"))
    return store, session, token


@pytest.mark.parametrize("rich", [True, False], ids=["everything", "bare"])
async def test_fast_lookup_equals_the_general_path(database: Database, rich: bool) -> None:
    store, session, token = await _stored(database, rich=rich)
    try:
        fast = await store.get_by_token(digest(token))
        general = await store._one_with_identity(sessions.c.token == digest(token))
        assert fast is not None and general is not None
        assert fast == general and fast.id == session.id
        assert fast.identity is not None and fast.identity.is_active
        assert type(fast.id) is uuid.UUID and type(fast.identity_id) is uuid.UUID
        assert fast.expires_at.tzinfo is not None
        if rich:
            assert [a.verified for a in fast.identity.verifiable_addresses] == [True, False]
            assert [d.user_agent for d in fast.devices] in (["curl/8", None], [None, "curl/8"])
            assert fast.authentication_methods[1].provider == "github"
        assert await store.get_by_token(digest("ory_st_unknown")) is None
    finally:
        store.close()


async def test_fast_path_where_available(database: Database, backend: str) -> None:
    lookup = token_lookup(database)
    if backend in ("sqlite", "postgres"):
        assert lookup is not None
    else:
        assert lookup is None  # MariaDB: the SQLAlchemy queries
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
