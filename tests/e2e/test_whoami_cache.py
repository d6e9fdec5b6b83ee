"""The whoami cache never outlives a revocation or a change, on any worker process.

A real ``phalanx serve --workers 2`` (SQLite and PostgreSQL). Each test holds keep-alive
connections to the public port spread over **both** worker processes (checked through
``/proc``: which worker owns the accepted socket), warms every worker's cache with the
session (several whoami on every connection), makes one change through the API, and then
the very next whoami on every connection -- each worker, several times -- and on fresh
connections must answer accordingly: 401 after a logout, a session revocation (user or
admin), an identity deactivation or deletion; the updated identity or session after an
identity change, a verification, a settings update, a session extension or a refresh login.
"""

from __future__ import annotations

import http.client
import json
import os
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from phalanx.testing import PASSWORD, MailSink, code_of, mail_config
from tests.support.identities import unique_email
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

WORKERS = 2
PER_WORKER = 2
"""Keep-alive connections held on each worker process."""
ROUNDS = 3
"""whoami rounds (every connection) before and after each change."""


@pytest.fixture(scope="module")
def mail() -> Iterator[MailSink]:
    sink = MailSink().start()
    yield sink
    sink.stop()


@pytest.fixture(
    scope="module",
    params=[pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.db)],
)
def server(
    request: pytest.FixtureRequest, mail: MailSink, module_server_factory: ServerFactory
) -> PhalanxServer:
    return module_server_factory.start(
        database=request.param,
        config=mail_config(mail),
        args=("--workers", str(WORKERS), "--watch-courier"),
    )


# -- which worker owns a connection ------------------------------------------------------


def _workers(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.append(int(entry))
    return found


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(int(link[8:-1]))
    return inodes


def _server_side_inode(server_port: int, client_port: int) -> int | None:
    with open("/proc/net/tcp", encoding="ascii") as table:
        for line in table.read().splitlines()[1:]:
            fields = line.split()
            local, remote = fields[1], fields[2]
            if (
                int(local.rsplit(":", 1)[1], 16) == server_port
                and int(remote.rsplit(":", 1)[1], 16) == client_port
            ):
                return int(fields[9])
    return None


class Probe:
    """Keep-alive connections, at least ``PER_WORKER`` on each worker process."""

    def __init__(self, server: PhalanxServer) -> None:
        self.server = server
        host, port = server.public_url.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        workers = _workers(server.process.pid)
        assert len(workers) == WORKERS, f"worker processes: {workers}"
        self.by_worker: dict[int, list[http.client.HTTPConnection]] = {w: [] for w in workers}
        spare: list[http.client.HTTPConnection] = []
        for _ in range(200):
            if all(len(c) >= PER_WORKER for c in self.by_worker.values()):
                break
            conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
            self._get(conn, "/health/alive", None)
            owner = self._owner(conn)
            if owner in self.by_worker and len(self.by_worker[owner]) < PER_WORKER:
                self.by_worker[owner].append(conn)
            else:
                spare.append(conn)  # keep it open: the next accept goes elsewhere
        for conn in spare:
            conn.close()
        counts = {w: len(c) for w, c in self.by_worker.items()}
        assert all(n >= PER_WORKER for n in counts.values()), f"connections per worker: {counts}"

    def _owner(self, conn: http.client.HTTPConnection) -> int | None:
        assert conn.sock is not None
        inode = _server_side_inode(self.port, conn.sock.getsockname()[1])
        for worker in self.by_worker:
            if inode in _socket_inodes(worker):
                return worker
        return None

    @staticmethod
    def _get(
        conn: http.client.HTTPConnection, path: str, token: str | None
    ) -> tuple[int, dict[str, Any] | None]:
        conn.request("GET", path, headers={"X-Session-Token": token} if token else {})
        response = conn.getresponse()
        body = response.read()
        data = json.loads(body) if body and response.status == 200 else None
        return response.status, data

    def whoami(self, token: str) -> list[tuple[int, dict[str, Any] | None]]:
        """``ROUNDS`` rounds of whoami on every held connection, then one each on fresh ones."""
        answers: list[tuple[int, dict[str, Any] | None]] = []
        for _ in range(ROUNDS):
            for conns in self.by_worker.values():
                answers.extend(self._get(c, "/sessions/whoami", token) for c in conns)
        for _ in range(4):
            fresh = http.client.HTTPConnection(self.host, self.port, timeout=10)
            answers.append(self._get(fresh, "/sessions/whoami", token))
            fresh.close()
        return answers

    def statuses(self, token: str) -> set[int]:
        return {status for status, _ in self.whoami(token)}

    def bodies(self, token: str) -> list[dict[str, Any]]:
        answers = self.whoami(token)
        assert {status for status, _ in answers} == {200}, answers
        return [body for _, body in answers if body is not None]

    def close(self) -> None:
        for conns in self.by_worker.values():
            for conn in conns:
                conn.close()


@pytest.fixture
def probe(server: PhalanxServer) -> Iterator[Probe]:
    p = Probe(server)
    yield p
    p.close()


@pytest.fixture
def public(server: PhalanxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.public_url, timeout=30) as client:
        yield client


@pytest.fixture
def admin(server: PhalanxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.admin_url, timeout=30) as client:
        yield client


# -- API helpers ---------------------------------------------------------------------------


def _register(public: httpx.Client) -> dict[str, Any]:
    """A native registration: ``session_token``, ``session`` and ``identity``."""
    flow = public.get("/self-service/registration/api").json()
    email = unique_email("cache")
    r = public.post(
        "/self-service/registration",
        params={"flow": flow["id"]},
        json={"method": "password", "traits": {"email": email}, "password": PASSWORD},
    )
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def _login(public: httpx.Client, email: str, *, refresh_token: str | None = None) -> dict[str, Any]:
    headers = {"X-Session-Token": refresh_token} if refresh_token else {}
    params = {"refresh": "true"} if refresh_token else {}
    flow = public.get("/self-service/login/api", params=params, headers=headers).json()
    r = public.post(
        "/self-service/login",
        params={"flow": flow["id"]},
        headers=headers,
        json={"method": "password", "identifier": email, "password": PASSWORD},
    )
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def _email(user: dict[str, Any]) -> str:
    return str(user["identity"]["traits"]["email"])


def _warm(probe: Probe, *tokens: str) -> None:
    for token in tokens:
        assert probe.statuses(token) == {200}


# -- revocations: the next whoami is 401 everywhere ----------------------------------------


def test_logout(probe: Probe, public: httpx.Client) -> None:
    user = _register(public)
    other = _login(public, _email(user))
    token = user["session_token"]
    _warm(probe, token, other["session_token"])
    r = public.request("DELETE", "/self-service/logout/api", json={"session_token": token})
    assert r.status_code == 204
    assert probe.statuses(token) == {401}
    assert probe.statuses(other["session_token"]) == {200}


def test_user_revokes_one_session(probe: Probe, public: httpx.Client) -> None:
    user = _register(public)
    other = _login(public, _email(user))
    _warm(probe, user["session_token"], other["session_token"])
    r = public.delete(
        f"/sessions/{other['session']['id']}", headers={"X-Session-Token": user["session_token"]}
    )
    assert r.status_code == 204
    assert probe.statuses(other["session_token"]) == {401}
    assert probe.statuses(user["session_token"]) == {200}


def test_user_revokes_the_other_sessions(probe: Probe, public: httpx.Client) -> None:
    user = _register(public)
    other = _login(public, _email(user))
    _warm(probe, user["session_token"], other["session_token"])
    r = public.delete("/sessions", headers={"X-Session-Token": user["session_token"]})
    assert r.status_code == 200 and r.json() == {"count": 1}
    assert probe.statuses(other["session_token"]) == {401}
    assert probe.statuses(user["session_token"]) == {200}


def test_admin_revokes_a_session(probe: Probe, public: httpx.Client, admin: httpx.Client) -> None:
    user = _register(public)
    other = _login(public, _email(user))
    _warm(probe, user["session_token"], other["session_token"])
    assert admin.delete(f"/admin/sessions/{user['session']['id']}").status_code == 204
    assert probe.statuses(user["session_token"]) == {401}
    assert probe.statuses(other["session_token"]) == {200}


def test_admin_deletes_the_identitys_sessions(
    probe: Probe, public: httpx.Client, admin: httpx.Client
) -> None:
    user = _register(public)
    other = _login(public, _email(user))
    bystander = _register(public)
    tokens = (user["session_token"], other["session_token"], bystander["session_token"])
    _warm(probe, *tokens)
    r = admin.delete(f"/admin/identities/{user['identity']['id']}/sessions")
    assert r.status_code == 204
    assert probe.statuses(user["session_token"]) == {401}
    assert probe.statuses(other["session_token"]) == {401}
    assert probe.statuses(bystander["session_token"]) == {200}


def test_identity_deactivation(probe: Probe, public: httpx.Client, admin: httpx.Client) -> None:
    user = _register(public)
    other = _login(public, _email(user))
    _warm(probe, user["session_token"], other["session_token"])
    patch = [{"op": "replace", "path": "/state", "value": "inactive"}]
    assert admin.patch(f"/admin/identities/{user['identity']['id']}", json=patch).status_code == 200
    assert probe.statuses(user["session_token"]) == {401}
    assert probe.statuses(other["session_token"]) == {401}
    # ... and back: the sessions answer again at once.
    patch = [{"op": "replace", "path": "/state", "value": "active"}]
    assert admin.patch(f"/admin/identities/{user['identity']['id']}", json=patch).status_code == 200
    assert probe.statuses(user["session_token"]) == {200}


def test_identity_deletion(probe: Probe, public: httpx.Client, admin: httpx.Client) -> None:
    user = _register(public)
    _warm(probe, user["session_token"])
    assert admin.delete(f"/admin/identities/{user['identity']['id']}").status_code == 204
    assert probe.statuses(user["session_token"]) == {401}


# -- changes: the next whoami shows them everywhere -----------------------------------------


def test_identity_change(probe: Probe, public: httpx.Client, admin: httpx.Client) -> None:
    user = _register(public)
    token = user["session_token"]
    assert {b["identity"]["metadata_public"] for b in probe.bodies(token)} == {None}
    patch = [
        {"op": "add", "path": "/metadata_public", "value": {"plan": "gold"}},
        {"op": "add", "path": "/traits/name", "value": {"first": "Ada"}},
    ]
    assert admin.patch(f"/admin/identities/{user['identity']['id']}", json=patch).status_code == 200
    for body in probe.bodies(token):
        assert body["identity"]["metadata_public"] == {"plan": "gold"}
        assert body["identity"]["traits"]["name"] == {"first": "Ada"}


def test_verification(probe: Probe, public: httpx.Client, mail: MailSink) -> None:
    user = _register(public)
    token, email = user["session_token"], _email(user)
    mail.wait(email)  # the registration's verification mail
    bodies = probe.bodies(token)
    assert {b["identity"]["verifiable_addresses"][0]["verified"] for b in bodies} == {False}
    flow = public.get("/self-service/verification/api").json()
    action = f"/self-service/verification?flow={flow['id']}"
    r = public.post(action, json={"method": "code", "email": email})
    assert r.status_code == 200, r.text
    code = code_of(mail.last(email, count=2))
    r = public.post(action, json={"method": "code", "code": code})
    assert r.status_code == 200 and r.json()["state"] == "passed_challenge", r.text
    for body in probe.bodies(token):
        [address] = body["identity"]["verifiable_addresses"]
        assert address["verified"] is True and address["status"] == "completed"


def test_settings_update(probe: Probe, public: httpx.Client) -> None:
    user = _register(public)
    token = user["session_token"]
    new_email = unique_email("moved")
    _warm(probe, token)
    flow = public.get("/self-service/settings/api", headers={"X-Session-Token": token}).json()
    r = public.post(
        flow["ui"]["action"],
        headers={"X-Session-Token": token},
        json={"method": "profile", "traits": {"email": new_email}},
    )
    assert r.status_code == 200, r.text
    for body in probe.bodies(token):
        assert body["identity"]["traits"]["email"] == new_email
        assert [a["value"] for a in body["identity"]["verifiable_addresses"]] == [new_email]


def test_session_extension(probe: Probe, public: httpx.Client, admin: httpx.Client) -> None:
    user = _register(public)
    token = user["session_token"]
    before = {b["expires_at"] for b in probe.bodies(token)}
    assert before == {user["session"]["expires_at"]}
    r = admin.patch(f"/admin/sessions/{user['session']['id']}/extend")
    assert r.status_code == 200, r.text
    extended = r.json()["expires_at"]
    assert extended not in before
    assert {b["expires_at"] for b in probe.bodies(token)} == {extended}


def test_refresh_login(probe: Probe, public: httpx.Client) -> None:
    user = _register(public)
    token = user["session_token"]
    assert {len(b["authentication_methods"]) for b in probe.bodies(token)} == {1}
    refreshed = _login(public, _email(user), refresh_token=token)
    assert refreshed["session"]["id"] == user["session"]["id"]
    for body in probe.bodies(token):
        assert len(body["authentication_methods"]) == 2
        assert body["authenticated_at"] == refreshed["session"]["authenticated_at"]


# -- what the epoch cannot see: another host on the same database --------------------------


def test_other_hosts_need_the_cache_off_or_wait_max_ttl(server_factory: ServerFactory) -> None:
    """Three servers on one SQLite database are three "hosts" that share no epoch: a
    revocation through the first is seen at once by one with the cache off, and within
    ``max_ttl`` (1 s) by one with the cache on."""
    session_hook = {"hooks": [{"hook": "session"}]}
    first = server_factory.start(
        config={"selfservice": {"flows": {"registration": {"after": {"password": session_hook}}}}}
    )
    dsn = first.config["dsn"]
    uncached = server_factory.start(
        config={"dsn": dsn, "phalanx": {"session_cache": {"enabled": False}}}
    )
    short = server_factory.start(
        config={"dsn": dsn, "phalanx": {"session_cache": {"max_ttl": "1s"}}}
    )
    public = httpx.Client(base_url=first.public_url, timeout=30)
    admin = httpx.Client(base_url=first.admin_url, timeout=30)
    user = _register(public)
    token = user["session_token"]
    hosts = [httpx.Client(base_url=s.public_url, timeout=10) for s in (uncached, short)]
    try:
        for host in hosts:
            for _ in range(3):
                assert (
                    host.get("/sessions/whoami", headers={"X-Session-Token": token}).status_code
                    == 200
                )
        assert admin.delete(f"/admin/sessions/{user['session']['id']}").status_code == 204
        no_cache, ttl = hosts
        assert (
            no_cache.get("/sessions/whoami", headers={"X-Session-Token": token}).status_code == 401
        )
        deadline = time.monotonic() + 1.5
        while ttl.get("/sessions/whoami", headers={"X-Session-Token": token}).status_code != 401:
            assert time.monotonic() < deadline, "the other host still answers after max_ttl"
            time.sleep(0.05)
    finally:
        for client in (*hosts, public, admin):
            client.close()
