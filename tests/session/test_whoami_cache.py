"""The whoami cache and the revocation epoch that invalidates it (also across ``os.fork``)."""

from __future__ import annotations

import os
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest

from phalanx.clock import utcnow
from phalanx.identity.model import Identity, IdentityState
from phalanx.session.aal import AalGuard
from phalanx.session.cache import WhoamiAnswer, WhoamiCache
from phalanx.session.epoch import BUCKETS, RevocationEpoch
from phalanx.session.model import Session
from phalanx.session.store import StoredSession
from phalanx.session.tokens import digest
from phalanx.session.whoami import Whoami


def _ids_in_distinct_buckets() -> tuple[uuid.UUID, uuid.UUID]:
    first = uuid.uuid4()
    while True:
        second = uuid.uuid4()
        if first.int % BUCKETS != second.int % BUCKETS:
            return first, second


def _answer(identity_id: uuid.UUID, *, expires_in: float = 3600.0) -> WhoamiAnswer:
    return WhoamiAnswer(b"{}", identity_id, utcnow() + timedelta(seconds=expires_in))


# -- the epoch ---------------------------------------------------------------------------


def test_epoch_scopes_changes_to_the_identity_or_everyone() -> None:
    epoch = RevocationEpoch()
    one, other = _ids_in_distinct_buckets()
    first, second = epoch.stamp(one), epoch.stamp(other)
    epoch.changed([one])
    assert epoch.stamp(one) != first
    assert epoch.stamp(other) == second
    third = epoch.stamp(one)
    epoch.changed(None)
    assert epoch.stamp(one) != third and epoch.stamp(other) != second


def test_a_snapshot_keeps_the_stamps_of_its_time() -> None:
    epoch = RevocationEpoch()
    identity_id = uuid.uuid4()
    snapshot = epoch.snapshot()
    epoch.changed([identity_id])
    assert snapshot.stamp(identity_id) != epoch.stamp(identity_id)


def test_epoch_slots() -> None:
    epoch = RevocationEpoch(slots=3)
    assert epoch.slots == 3
    with pytest.raises(ValueError, match="out of range"):
        epoch.use_slot(3)
    with pytest.raises(ValueError, match="at least 1"):
        RevocationEpoch(slots=0)
    identity_id = uuid.uuid4()
    before = epoch.stamp(identity_id)
    epoch.use_slot(2)
    epoch.changed([identity_id])
    assert epoch.stamp(identity_id) == before + 1


def test_forked_workers_see_each_others_changes() -> None:
    """What ``phalanx serve --workers 2`` relies on: the epoch created before the fork is
    shared memory; a change in one process is visible in the other at once."""
    epoch = RevocationEpoch(slots=2)
    identity_id = uuid.uuid4()
    start = epoch.stamp(identity_id)
    to_child_r, to_child_w = os.pipe()
    to_parent_r, to_parent_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: worker 1
        code = 1
        try:
            epoch.use_slot(1)
            epoch.changed([identity_id])  # 1: a write in this worker
            os.write(to_parent_w, b"x")
            os.read(to_child_r, 1)  # 2: wait for the parent's write
            code = 0 if epoch.stamp(identity_id) == start + 2 else 3
        finally:
            os._exit(code)
    try:
        assert os.read(to_parent_r, 1) == b"x"
        assert epoch.stamp(identity_id) == start + 1  # the child's write, seen here
        epoch.use_slot(0)
        epoch.changed(None)  # a write "for everyone" in worker 0
        os.write(to_child_w, b"y")
    finally:
        _, status = os.waitpid(pid, 0)
        for fd in (to_child_r, to_child_w, to_parent_r, to_parent_w):
            os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0  # the child saw the parent's write


# -- the cache ---------------------------------------------------------------------------


def test_cache_serves_until_the_identity_changes() -> None:
    epoch = RevocationEpoch()
    cache = WhoamiCache(epoch, max_entries=10, max_ttl=30)
    identity_id, other = _ids_in_distinct_buckets()
    cache.put("k", _answer(identity_id), cache.snapshot())
    assert cache.get("k") is not None and cache.get("k") is cache.get("k")
    epoch.changed([other])
    assert cache.get("k") is not None
    epoch.changed([identity_id])
    assert cache.get("k") is None
    assert len(cache) == 0  # dropped, not kept


def test_a_write_during_the_read_makes_the_entry_stale_on_arrival() -> None:
    epoch = RevocationEpoch()
    cache = WhoamiCache(epoch, max_entries=10, max_ttl=30)
    identity_id = uuid.uuid4()
    before = cache.snapshot()
    epoch.changed([identity_id])  # committed while the database was being read
    cache.put("k", _answer(identity_id), before)
    assert cache.get("k") is None


def test_cache_never_serves_an_expired_session() -> None:
    cache = WhoamiCache(RevocationEpoch(), max_entries=10, max_ttl=30)
    cache.put("k", _answer(uuid.uuid4(), expires_in=0.05), cache.snapshot())
    assert cache.get("k") is not None
    time.sleep(0.1)
    assert cache.get("k") is None


def test_cache_entries_live_at_most_max_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = WhoamiCache(RevocationEpoch(), max_entries=10, max_ttl=30)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)
    cache.put("k", _answer(uuid.uuid4()), cache.snapshot())
    monkeypatch.setattr(time, "time", lambda: now + 29.9)
    assert cache.get("k") is not None
    monkeypatch.setattr(time, "time", lambda: now + 30.1)
    assert cache.get("k") is None


def test_cache_is_a_bounded_lru() -> None:
    cache = WhoamiCache(RevocationEpoch(), max_entries=2, max_ttl=30)
    for key in ("a", "b"):
        cache.put(key, _answer(uuid.uuid4()), cache.snapshot())
    assert cache.get("a") is not None  # "b" is now the least recently used
    cache.put("c", _answer(uuid.uuid4()), cache.snapshot())
    assert len(cache) == 2
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("c") is not None
    none = WhoamiCache(RevocationEpoch(), max_entries=0, max_ttl=30)
    none.put("a", _answer(uuid.uuid4()), none.snapshot())
    assert len(none) == 0


# -- the whoami service --------------------------------------------------------------------


class FakeStore:
    """Only the token reads (``get_by_token``, ``find_by_token``): what whoami reads;
    counts them."""

    def __init__(self) -> None:
        self.sessions: dict[str, Session] = {}
        self.reads = 0

    def add(self, token: str, **changes: Any) -> Session:
        identity = Identity(schema_id="default", traits={"email": "a@example.com"})
        session = Session(identity_id=identity.id, identity=identity, **changes)
        self.sessions[digest(token)] = session
        return session

    async def get_by_token(self, token_digest: str) -> Session | None:
        self.reads += 1
        return self.sessions.get(token_digest)

    async def find_by_token(self, token_digest: str) -> StoredSession | None:
        session = await self.get_by_token(token_digest)
        return None if session is None else StoredSession(None, lambda: session)


async def _aal1(identity_id: uuid.UUID, *, upsert: bool) -> bool:
    return False


def _whoami(store: FakeStore, epoch: RevocationEpoch, *, cached: bool = True) -> Whoami:
    cache = WhoamiCache(epoch, max_entries=100, max_ttl=30) if cached else None
    guard = AalGuard("http://127.0.0.1:4433/", _aal1)
    return Whoami(store, lambda s: str(s.id).encode(), cache, aal=guard, required_aal="aal1")


@pytest.mark.anyio
async def test_whoami_caches_by_digest_and_reloads_after_a_change() -> None:
    store, epoch = FakeStore(), RevocationEpoch()
    whoami = _whoami(store, epoch)
    session = store.add("ory_st_a", expires_at=utcnow() + timedelta(hours=1))
    first = await whoami.answer("ory_st_a")
    assert first is not None and first.body == str(session.id).encode()
    assert first.identity_id == session.identity_id and first.expires_at == session.expires_at
    assert await whoami.answer("ory_st_a") is first and store.reads == 1
    assert whoami.cache is not None and "ory_st_a" not in whoami.cache._entries
    session.active = False
    epoch.changed([session.identity_id])  # what the store does after revoking
    assert await whoami.answer("ory_st_a") is None and store.reads == 2
    assert await whoami.answer("ory_st_unknown") is None


@pytest.mark.anyio
async def test_whoami_answers_only_active_sessions() -> None:
    store, epoch = FakeStore(), RevocationEpoch()
    whoami = _whoami(store, epoch)
    store.add("expired", expires_at=utcnow() - timedelta(seconds=1))
    store.add("revoked", expires_at=utcnow() + timedelta(hours=1), active=False)
    inactive = store.add("inactive", expires_at=utcnow() + timedelta(hours=1))
    assert inactive.identity is not None
    inactive.identity.state = IdentityState.INACTIVE
    for token in ("expired", "revoked", "inactive"):
        assert await whoami.answer(token) is None
        assert await whoami.answer(token) is None
    assert store.reads == 6  # nothing negative is cached


@pytest.mark.anyio
async def test_whoami_without_cache_reads_every_time() -> None:
    store = FakeStore()
    whoami = _whoami(store, RevocationEpoch(), cached=False)
    store.add("t", expires_at=utcnow() + timedelta(hours=1))
    assert await whoami.answer("t") is not None and await whoami.answer("t") is not None
    assert store.reads == 2


def test_the_rendered_body_is_what_json_response_sends() -> None:
    from phalanx.http.responses import dumps
    from phalanx.identity.wire import identity_to_wire
    from phalanx.session.model import AuthenticationMethod, Device
    from phalanx.session.wire import SessionRenderer

    renderer = SessionRenderer(
        lambda identity, admin: identity_to_wire(
            identity, public_base_url="http://127.0.0.1:4433/", admin=admin
        )
    )
    store = FakeStore()
    session = store.add(
        "t",
        expires_at=utcnow() + timedelta(hours=1),
        authentication_methods=[AuthenticationMethod("password", provider="p")],
        devices=[Device("127.0.0.1", None, "Berlin")],
    )
    assert session.identity is not None
    session.identity.metadata_public = {"ü": [1, 2.5, None]}
    assert renderer.session_bytes(session) == dumps(renderer.session(session))
