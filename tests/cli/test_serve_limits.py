"""Operations limits of ``phalanx serve`` with real processes and real sockets (issue 9,
item 12): ``--workers`` die with their parent, even after ``kill -9``, so the ports are
free again; slow clients (half-sent headers or bodies) are cut off after
``phalanx.connections.header_timeout``/``body_timeout``, and no more than
``max_connections`` connections stay open per process."""

from __future__ import annotations

import os
import re
import signal
import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(x) for x in text)
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_workers_exit_when_the_parent_is_killed(server_factory: ServerFactory) -> None:
    server = server_factory.start(args=("--workers", "2"))
    workers = _children(server.process.pid)
    assert len(workers) == 2
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers):
        assert time.monotonic() < deadline, "workers outlived their parent"
        time.sleep(0.05)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.public_url}/health/alive", timeout=2)
    # The ports are free: the same config starts again.
    port = int(server.public_url.rsplit(":", 1)[1])
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))


@pytest.fixture(scope="module")
def limited(module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(
        config={
            "phalanx": {
                "connections": {
                    "header_timeout": "1s",
                    "body_timeout": "1s",
                    "max_connections": 40,
                }
            }
        }
    )


def _address(server: PhalanxServer) -> tuple[str, int]:
    host, port = server.public_url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """True when the server closes ``sock`` (EOF or reset) within ``seconds``."""
    sock.settimeout(seconds)
    try:
        return sock.recv(1024) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_half_sent_headers_are_cut_off(limited: PhalanxServer) -> None:
    slow = []
    for _ in range(10):
        sock = socket.create_connection(_address(limited), timeout=5)
        sock.sendall(b"GET /health/alive HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n")  # no end
        slow.append(sock)
    silent = socket.create_connection(_address(limited), timeout=5)  # sends nothing at all
    slow.append(silent)
    # Meanwhile a well-behaved client is served.
    assert httpx.get(f"{limited.public_url}/health/alive", timeout=5).status_code == 200
    started = time.monotonic()
    assert all(_closed_within(s, 5) for s in slow)
    assert time.monotonic() - started < 4.5
    for s in slow:
        s.close()


def test_a_kept_alive_connection_is_cut_off_in_its_next_half_sent_request(
    limited: PhalanxServer,
) -> None:
    """The deadline moves with every request on a connection (one timer re-arms itself):
    after complete requests, a half-sent one is still cut off in time."""
    sock = socket.create_connection(_address(limited), timeout=5)
    for _ in range(3):
        sock.sendall(b"GET /health/alive HTTP/1.1\r\nHost: x\r\n\r\n")
        response = b""
        while b"\r\n\r\n" not in response:
            response += sock.recv(4096)
        head, body = response.split(b"\r\n\r\n", 1)
        length = int(re.search(rb"(?i)content-length: (\d+)", head)[1])  # type: ignore[index]
        while len(body) < length:
            body += sock.recv(4096)
        assert head.startswith(b"HTTP/1.1 200 ")
        time.sleep(0.4)
    sock.sendall(b"GET /health/alive HTTP/1.1\r\nHost: x\r\n")  # no end
    started = time.monotonic()
    assert _closed_within(sock, 5)
    assert 0.5 < time.monotonic() - started < 3.0
    sock.close()


def test_half_sent_bodies_are_cut_off(limited: PhalanxServer) -> None:
    sock = socket.create_connection(_address(limited), timeout=5)
    sock.sendall(
        b"POST /self-service/login?flow=x HTTP/1.1\r\nHost: x\r\n"
        b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":'
    )
    assert _closed_within(sock, 5)
    sock.close()


def test_connections_beyond_the_limit_are_closed_at_once(limited: PhalanxServer) -> None:
    held = [socket.create_connection(_address(limited), timeout=5) for _ in range(40)]
    time.sleep(0.2)
    extra = socket.create_connection(_address(limited), timeout=5)
    assert _closed_within(extra, 0.8)  # well before the 1 s header timeout
    extra.close()
    for s in held:
        s.close()
    deadline = time.monotonic() + 5
    while True:  # served again once the held connections are gone
        try:
            r = httpx.get(f"{limited.public_url}/health/alive", timeout=2)
        except httpx.TransportError:
            r = None
        if r is not None and r.status_code == 200:
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_complete_requests_are_not_affected(limited: PhalanxServer) -> None:
    with httpx.Client(base_url=limited.public_url, timeout=5) as client:
        for _ in range(3):
            assert client.get("/health/alive").status_code == 200
            time.sleep(0.4)  # keep-alive idle below the keep-alive timeout
        r = client.post("/self-service/login?flow=nope", json={"method": "password"})
        assert r.status_code in (400, 404, 410)
