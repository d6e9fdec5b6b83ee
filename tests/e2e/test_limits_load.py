"""Load test of the lockout (issue 14): many password guesses against one account, from
many client addresses, spread over several server processes that share the counters.

Setups: SQLite with ``phalanx serve --workers 2``; PostgreSQL with two ``phalanx serve``
processes (two "hosts") on one database; Redis counters (``redis_url``) with
``--workers 2``. Each guess carries its own ``X-Forwarded-For`` address (the servers trust
127.0.0.1 as a proxy), so per-address budgets never bind and only the identifier's lockout
stands between the attacker and the account. Claims:

* no guess succeeds, and no lock window lets more than the budget through: every lockout
  the servers log took exactly ``max_failures`` looked-at guesses, and after the last one
  fewer than ``max_failures`` were looked at (a lock lasts ``LOCK_SECONDS``; a slow run
  spans several);
* every other guess is answered ``429`` with a ``Retry-After`` no longer than the lock;
* the right password during the lockout is refused too, and the owner signs in once the
  lockout has ended.

The default run makes 200 guesses per setup. ``PHALANX_LOAD_FULL=1`` makes 10,000.
Recorded full run: see bench/README.md, "Lockout under load".
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from phalanx.testing import PASSWORD, create_identity
from tests.support.identities import unique_email
from tests.support.server import PhalanxServer, ServerFactory

FULL = os.environ.get("PHALANX_LOAD_FULL") == "1"

# The full run takes minutes per setup; the suite's per-test timeout is 300 s.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(3600 if FULL else 300)]
GUESSES = 10_000 if FULL else 200
LOCK_SECONDS = 4
MAX_FAILURES = 10
CONCURRENCY = 16


def _config(**extra: Any) -> dict[str, Any]:
    limits = {
        "enabled": True,
        "trusted_proxies": ["127.0.0.1"],
        "sign_in": {
            "per_identifier": {"limit": 0},
            "per_address": {"limit": 5, "window": "10m"},
        },
        "lockout": {
            "enabled": True,
            "max_failures": MAX_FAILURES,
            "window": "1h",
            "base_period": f"{LOCK_SECONDS}s",
            "max_period": f"{LOCK_SECONDS}s",
        },
        **extra,
    }
    # Level warning: the servers log each lockout, which the test counts.
    return {"phalanx": {"rate_limits": limits}, "log": {"level": "warning"}}


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    retry_after: list[int] = field(default_factory=list)
    missing_retry_after: int = 0


async def _attack(urls: list[str], email: str) -> tuple[Tally, float]:
    tally = Tally()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(GUESSES):
        queue.put_nowait(index)

    async def client(slot: int) -> None:
        url = urls[slot % len(urls)]
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            flow = (await http.get("/self-service/login/api")).json()
            while True:
                try:
                    index = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                address = f"10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}"
                r = await http.post(
                    flow["ui"]["action"],
                    headers={"X-Forwarded-For": address},
                    json={
                        "method": "password",
                        "identifier": email,
                        "password": f"guess-{index}",
                    },
                )
                tally.statuses[r.status_code] += 1
                if r.status_code == 429:
                    value = r.headers.get("retry-after")
                    if value is None:
                        tally.missing_retry_after += 1
                    else:
                        tally.retry_after.append(int(value))

    began = time.monotonic()
    await asyncio.gather(*(client(slot) for slot in range(CONCURRENCY)))
    return tally, time.monotonic() - began


def _owner_signs_in_after_the_lock(url: str, email: str) -> None:
    with httpx.Client(base_url=url, timeout=30) as http:
        flow = http.get("/self-service/login/api").json()

        def attempt(password: str, address: str) -> httpx.Response:
            body = {"method": "password", "identifier": email, "password": password}
            headers = {"X-Forwarded-For": address}
            return http.post(flow["ui"]["action"], json=body, headers=headers)

        # A run ending just as a lock ended: the attacker (new addresses) locks it again.
        for n in range(MAX_FAILURES + 1):
            if attempt("one-more-guess", f"198.51.100.{n + 1}").status_code == 429:
                break
        # The owner, from an address of their own (the per-address budget is theirs).
        refused = attempt(PASSWORD, "192.0.2.200")
        assert refused.status_code == 429, refused.text
        assert int(refused.headers["retry-after"]) <= LOCK_SECONDS
        time.sleep(int(refused.headers["retry-after"]) + 0.2)
        r = attempt(PASSWORD, "192.0.2.200")
        assert r.status_code == 200, r.text
        assert r.json()["session"]["identity"]["traits"]["email"] == email


def _run(servers: list[PhalanxServer]) -> None:
    email = unique_email("target")
    create_identity(servers[0].admin_url, email)
    urls = [s.public_url for s in servers]
    tally, elapsed = asyncio.run(_attack(urls, email))
    locks = sum(s.logs().count("sign-in locked for") for s in servers)
    print(f"{GUESSES} guesses in {elapsed:.1f} s: {dict(tally.statuses)}, {locks} lockouts")
    assert set(tally.statuses) <= {400, 429}, tally.statuses
    assert locks >= 1
    looked_at = tally.statuses[400]
    assert MAX_FAILURES * locks <= looked_at < MAX_FAILURES * (locks + 1), (looked_at, locks)
    assert tally.statuses[429] == GUESSES - looked_at
    assert tally.missing_retry_after == 0
    assert all(1 <= value <= LOCK_SECONDS for value in tally.retry_after), Counter(
        tally.retry_after
    )
    _owner_signs_in_after_the_lock(urls[-1], email)


def test_sqlite_with_two_workers(server_factory: ServerFactory) -> None:
    server = server_factory.start(config=_config(), args=("--workers", "2"))
    _run([server])


def test_postgres_with_two_hosts(server_factory: ServerFactory) -> None:
    first = server_factory.start(database="postgres", config=_config())
    second = server_factory.start(config={**_config(), "dsn": first.dsn})
    _run([first, second])


def test_redis_with_two_workers(server_factory: ServerFactory) -> None:
    config = _config(redis_url="redis://127.0.0.1:6379/0")
    server = server_factory.start(config=config, args=("--workers", "2"))
    _run([server])


def test_redis_down_fails_closed_for_sign_in(server_factory: ServerFactory) -> None:
    """Nothing listens on the Redis port: sign-in answers 503 with message 4900002 and
    ``Retry-After``; the outage is logged once and counted."""
    with socket_port() as port:
        config = _config(redis_url=f"redis://127.0.0.1:{port}/0")
        server = server_factory.start(config=config)
        email = unique_email("redis-down")
        create_identity(server.admin_url, email)
        with httpx.Client(base_url=server.public_url, timeout=30) as http:
            for _ in range(3):
                flow = http.get("/self-service/login/api").json()
                r = http.post(
                    flow["ui"]["action"],
                    json={"method": "password", "identifier": email, "password": PASSWORD},
                )
                assert r.status_code == 503, r.text
                assert int(r.headers["retry-after"]) >= 1
                assert [m["id"] for m in r.json()["ui"]["messages"]] == [4900002]
        metrics = httpx.get(f"{server.admin_url}/admin/metrics/prometheus").text
        assert 'phalanx_dependency_failures_total{dependency="redis"} 3.0' in metrics
        assert server.logs().count("the rate-limit store redis is unavailable") == 1


class socket_port:
    """A loopback port that refuses connections (bound, never listening) while held."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return int(self.sock.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
