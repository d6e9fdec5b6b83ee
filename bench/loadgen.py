"""A small closed-loop HTTP/1.1 load generator on raw asyncio protocols.

Each of ``connections`` keep-alive connections sends one request, waits for the whole
response, records its latency and status, and sends the next: the shape of ``wrk -c N``.
Requests are pre-encoded bytes (a connection cycles through its share of them, so many
session tokens are used); responses are parsed just enough to find their end
(``Content-Length``; chunked bodies are supported for completeness). Only requests
*started* after the warm-up and *finished* before the deadline count.

The client runs in the benchmark's own process on the same cores as the server, so it
reports its own CPU time: a client using most of a core is part of the picture.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

__all__ = ["LoadResult", "build_request", "run_load"]


def build_request(
    method: str, path: str, host: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Accept: application/json"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass
class LoadResult:
    """What one load run measured. Latencies are in milliseconds."""

    connections: int
    duration_s: float
    requests: int
    statuses: dict[int, int]
    latencies_ms: list[float] = field(repr=False)
    client_cpu_s: float
    completed: int = 0
    """Every response, warm-up included (for per-request CPU accounting)."""
    errors: int = 0

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
        return ordered[index]

    @property
    def ok_ratio(self) -> float:
        good = sum(n for status, n in self.statuses.items() if 200 <= status < 300)
        return good / self.requests if self.requests else 0.0

    def summary(self) -> dict[str, float | int | dict[str, int]]:
        return {
            "connections": self.connections,
            "duration_s": round(self.duration_s, 3),
            "requests": self.requests,
            "rps": round(self.rps, 1),
            "p50_ms": round(self.percentile(50), 2),
            "p90_ms": round(self.percentile(90), 2),
            "p99_ms": round(self.percentile(99), 2),
            "max_ms": round(max(self.latencies_ms, default=float("nan")), 2),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": self.errors,
            "client_cpu_share": round(self.client_cpu_s / self.duration_s, 2)
            if self.duration_s
            else 0.0,
        }


class _Connection(asyncio.Protocol):
    """One keep-alive connection running requests back to back."""

    def __init__(self, run: _Run, requests: Sequence[bytes]) -> None:
        self.run = run
        self.requests = requests
        self.next_index = 0
        self.buffer = bytearray()
        self.started = 0
        self.transport: asyncio.Transport | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self._send()

    def _send(self) -> None:
        assert self.transport is not None
        if time.perf_counter() >= self.run.deadline:
            self.transport.close()
            return
        request = self.requests[self.next_index]
        self.next_index = (self.next_index + 1) % len(self.requests)
        self.started = time.perf_counter_ns()
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            parsed = _parse_response(self.buffer)
            if parsed is None:
                return
            status, consumed = parsed
            del self.buffer[:consumed]
            self.run.record(self.started, time.perf_counter_ns(), status)
            self._send()
            if self.transport is None or self.transport.is_closing():
                return

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None or time.perf_counter() < self.run.deadline:
            self.run.errors += 1
        if not self.closed.done():
            self.closed.set_result(None)


def _parse_response(buffer: bytearray) -> tuple[int, int] | None:
    """``(status, length of the whole response)`` once ``buffer`` holds a full response."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end]).decode("latin-1")
    lines = head.split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        lowered = name.strip().lower()
        if lowered == "content-length":
            length = int(value)
        elif lowered == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    body_start = end + 4
    if not chunked:
        total = body_start + length
        return (status, total) if len(buffer) >= total else None
    position = body_start
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return None
        size = int(bytes(buffer[position:line_end]).split(b";")[0], 16)
        position = line_end + 2 + size + 2
        if len(buffer) < position:
            return None
        if size == 0:
            return status, position


class _Run:
    def __init__(self, warmup_end: float, deadline: float) -> None:
        self.warmup_end_ns = int(warmup_end * 1e9)
        self.deadline = deadline
        self.deadline_ns = int(deadline * 1e9)
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.errors = 0
        self.completed = 0

    def record(self, started: int, finished: int, status: int) -> None:
        self.completed += 1
        if started < self.warmup_end_ns or finished > self.deadline_ns:
            return
        self.latencies.append((finished - started) / 1e6)
        self.statuses[status] = self.statuses.get(status, 0) + 1


async def run_load(
    addr: tuple[str, int],
    requests: Sequence[bytes],
    *,
    connections: int,
    duration: float,
    warmup: float = 1.0,
) -> LoadResult:
    """Drive ``connections`` connections for ``warmup + duration`` seconds.

    Connection ``i`` cycles through ``requests[i::connections]`` (or all of ``requests``
    when there are fewer requests than connections).
    """
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    run = _Run(start + warmup, start + warmup + duration)
    cpu_start = time.process_time()
    protocols: list[_Connection] = []
    for i in range(connections):
        share = requests[i::connections] if len(requests) >= connections else requests
        _, protocol = await loop.create_connection(
            functools.partial(_Connection, run, share), addr[0], addr[1]
        )
        protocols.append(protocol)
    await asyncio.wait_for(
        asyncio.gather(*(p.closed for p in protocols)), timeout=warmup + duration + 30
    )
    cpu = time.process_time() - cpu_start
    return LoadResult(
        connections=connections,
        duration_s=duration,
        requests=len(run.latencies),
        statuses=run.statuses,
        latencies_ms=run.latencies,
        client_cpu_s=cpu * duration / (time.perf_counter() - start),
        completed=run.completed,
        errors=run.errors,
    )
