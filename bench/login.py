"""Benchmark 3 (issue #3): password login throughput against the raw hasher.

Baseline, measured in this process on the same cores just before the server run:
verifications per second of ``phalanx.hash.verify`` (the function the login path runs)
against a bcrypt hash of the configured cost, from as many threads as there are cores
(bcrypt releases the GIL). That is the ceiling a login endpoint can reach.

Then ``users`` identities are imported with that same hash (so no rehash-on-login happens)
and ``concurrency`` clients run native password logins back to back: ``GET
/self-service/login/api`` then ``POST /self-service/login?flow=…``; logins completing in a
``duration``-second window after a warm-up are counted. Every login must answer 200 with a
session token. Target: logins/s >= 90% of raw verifies/s.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bench import api
from bench.report import Report, Row, step
from bench.server import Backend, ServerPool

__all__ = [
    "LoginConfig",
    "hash_for",
    "import_users",
    "measure_logins",
    "raw_verify_rate",
    "run_login",
]

PASSWORD = "Bench-Password-4711!"
TARGET_RATIO = 0.90


@dataclass(frozen=True, slots=True)
class LoginConfig:
    bcrypt_cost: int
    users: int
    concurrency: int
    duration: float
    warmup: float
    raw_duration: float
    workers: int | None = None


def hash_for(cost: int, password: str = PASSWORD) -> str:
    """A ``$2a$`` hash of ``password`` at ``cost``, as Phalanx's hasher writes it."""
    from phalanx.hash import BcryptHasher

    return str(BcryptHasher(cost=cost).hash(password))


def raw_verify_rate(hashed: str, *, threads: int, duration: float) -> dict[str, Any]:
    """Verifications per second of ``phalanx.hash.verify`` from ``threads`` threads, and
    the CPU time one verification takes (per-thread CPU clocks)."""
    from phalanx.hash import verify

    counts = [0] * threads
    cpu = [0.0] * threads
    stop_at = time.perf_counter() + duration
    barrier = threading.Barrier(threads + 1)

    def work(slot: int) -> None:
        barrier.wait()
        cpu_start = time.thread_time()
        while time.perf_counter() < stop_at:
            if not verify(PASSWORD, hashed):
                raise AssertionError("the bench hash does not verify")
            counts[slot] += 1
        cpu[slot] = time.thread_time() - cpu_start

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    start = time.perf_counter()
    barrier.wait()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - start
    total = sum(counts)
    return {
        "threads": threads,
        "verifies": total,
        "seconds": elapsed,
        "per_second": total / elapsed,
        "cpu_ms_per_verify": sum(cpu) / total * 1000 if total else None,
    }


async def measure_logins(public_url: str, emails: list[str], cfg: LoginConfig) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    start = loop.time()
    measure_from = start + cfg.warmup
    deadline = measure_from + cfg.duration
    latencies: list[float] = []
    completed = 0

    async def client(index: int) -> None:
        async with httpx.AsyncClient(base_url=public_url, timeout=120) as public:
            n = index
            while loop.time() < deadline:
                began = loop.time()
                await api.login(public, emails[n % len(emails)], PASSWORD)
                ended = loop.time()
                nonlocal completed
                completed += 1
                if measure_from <= ended <= deadline:  # completions in the window
                    latencies.append(ended - began)
                n += cfg.concurrency

    await asyncio.gather(*(client(i) for i in range(cfg.concurrency)))
    latencies.sort()
    return {
        "concurrency": cfg.concurrency,
        "logins": len(latencies),
        "completed": completed,
        "seconds": cfg.duration,
        "per_second": len(latencies) / cfg.duration,
        "p50_ms": latencies[len(latencies) // 2] * 1000 if latencies else None,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
        if latencies
        else None,
    }


async def import_users(admin_url: str, backend: Backend, users: int, hashed: str) -> list[str]:
    emails = [f"login-{backend}-{i}@bench.test" for i in range(users)]
    async with httpx.AsyncClient(base_url=admin_url, timeout=300) as admin:
        for start in range(0, users, 1000):
            await api.batch_create(
                admin, api.batch_body(emails[start : start + 1000], hashed_password=hashed)
            )
    return emails


def run_login(
    pool: ServerPool, backend: Backend, cfg: LoginConfig, report: Report
) -> dict[str, Any]:
    """Run benchmark 3 on a fresh database of ``backend``."""
    import uvloop

    cores = os.cpu_count() or 1
    hashed = hash_for(cfg.bcrypt_cost)
    with step(f"raw: phalanx.hash.verify at bcrypt {cfg.bcrypt_cost}, {cores} threads"):
        raw_before = raw_verify_rate(hashed, threads=cores, duration=cfg.raw_duration)
    db = pool.database(backend)
    with step("start server"):
        server = pool.start(db, bcrypt_cost=cfg.bcrypt_cost, workers=cfg.workers)
    try:
        with step(f"setup: import {cfg.users} users with that hash"):
            emails = uvloop.run(import_users(server.admin_url, backend, cfg.users, hashed))
        with step(f"load: password logins, {cfg.concurrency} clients"):
            cpu_before = server.cpu_seconds()
            logins = uvloop.run(measure_logins(server.public_url, emails, cfg))
            cpu = server.cpu_seconds() - cpu_before
    finally:
        server.stop()
    with step("raw again (the machine's load may have changed)"):
        raw_after = raw_verify_rate(hashed, threads=cores, duration=cfg.raw_duration)
    raw_rate = (raw_before["per_second"] + raw_after["per_second"]) / 2
    verify_cpu_ms = min(raw_before["cpu_ms_per_verify"], raw_after["cpu_ms_per_verify"])
    ratio = logins["per_second"] / raw_rate
    setting = f"bcrypt {cfg.bcrypt_cost}, c={cfg.concurrency}"
    if cfg.workers:
        setting += f", {cfg.workers} workers"
    report.add(
        Row(
            "login",
            backend,
            setting,
            f"logins/s (vs raw verify/s, {cores} threads)",
            logins["per_second"],
            "/s",
            baseline=raw_rate,
            ratio=ratio,
            target=f">= {TARGET_RATIO:.2f}",
            met=ratio >= TARGET_RATIO,
        )
    )
    if logins["completed"]:
        cpu_ms = cpu / logins["completed"] * 1000
        logins["server_cpu_ms_per_login"] = cpu_ms
        logins["server_cores_busy"] = cpu / (cfg.warmup + cfg.duration)
        report.add(
            Row(
                "login",
                backend,
                setting,
                "server CPU per login (vs CPU of one verify)",
                cpu_ms,
                "ms",
                baseline=verify_cpu_ms,
                ratio=verify_cpu_ms / cpu_ms,
            )
        )
    raw = {"before": raw_before, "after": raw_after, "per_second": raw_rate}
    return {"bcrypt_cost": cfg.bcrypt_cost, "raw_verify": raw, "login": logins, "ratio": ratio}
