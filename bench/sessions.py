"""Benchmark 2 (issue #3): ``GET /sessions/whoami`` against a bare endpoint, plus the
revocation check (benchmark 4).

Setup: ``sessions`` valid session tokens from the native API flows on a fresh database:
half from registrations (the ``session`` after-hook), half from password logins of those
users (bcrypt cost 4, HIBP off: setup speed, not hashing, is wanted here).

Measured at ``connections`` keep-alive connections (closed loop, like ``wrk -c``):

* baseline: ``GET /health/alive`` on the public port: the same server stack (uvicorn,
  Starlette, routing, JSON response) without any database access;
* ``GET /sessions/whoami`` with ``X-Session-Token``, cycling through every token.

Reported: requests per second, p50/p99 latency, whoami/baseline throughput ratio. Targets:
ratio >= 0.40 and whoami p99 < 20 ms. Both run on one server process and, when ``phalanx
serve`` has ``--workers``, on several processes against the same database.

Revocation check (not a performance number): for a logout (``DELETE
/self-service/logout/api``), an admin session revoke (``DELETE /admin/sessions/{id}``) and an
identity deactivation (``PATCH /admin/identities/{id}`` ``state=inactive``), the token
answers 200 on fresh connections just before and 401 on the very next requests after, on
several fresh connections so every worker process is asked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench import api
from bench.loadgen import LoadResult, build_request, run_load
from bench.report import Report, Row, step
from bench.server import Backend, Server, ServerPool

__all__ = ["SessionConfig", "bounded", "measure_load", "run_sessions"]

PASSWORD = "Bench-Password-4711!"
SETUP_CONCURRENCY = 16
TARGET_RATIO = 0.40
TARGET_P99_MS = 20.0
NAGLE_SUSPECT_MS = 30.0
"""An unloaded bare response slower than this is the Nagle/delayed-ACK stall, not work."""
FRESH_CONNECTIONS = 6
"""Fresh connections per revocation probe (the kernel spreads them over worker processes)."""


@dataclass(frozen=True, slots=True)
class SessionConfig:
    sessions: int
    connections: int
    duration: float
    warmup: float
    rounds: int
    """Interleaved baseline/whoami rounds; the best round of each is reported."""
    unloaded_duration: float
    """Seconds of the one-connection latency runs."""
    process_settings: tuple[tuple[str, int | None], ...]
    """``(label, --workers value or None)`` for every server setting to measure."""
    server_config: Mapping[str, Any] = field(default_factory=dict)
    """Merged into the generated server config (``--no-session-cache``)."""


async def bounded(limit: int, jobs: list[Any]) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)

    async def one(job: Any) -> Any:
        async with semaphore:
            return await job

    return list(await asyncio.gather(*(one(job) for job in jobs)))


async def _create_sessions(server: Server, count: int, backend: Backend) -> list[api.SessionInfo]:
    users = max(1, count // 2)
    async with httpx.AsyncClient(base_url=server.public_url, timeout=60) as public:
        registered = await bounded(
            SETUP_CONCURRENCY,
            [api.register(public, f"s-{backend}-{i}@bench.test", PASSWORD) for i in range(users)],
        )
        logged_in = await bounded(
            SETUP_CONCURRENCY,
            [api.login(public, info.email, PASSWORD) for info in registered[: count - users]],
        )
    return registered + logged_in


async def _probe(server: Server, token: str) -> list[int]:
    """whoami on ``FRESH_CONNECTIONS`` new connections, one request each."""
    statuses = []
    for _ in range(FRESH_CONNECTIONS):
        async with httpx.AsyncClient(base_url=server.public_url, timeout=10) as client:
            statuses.append(await api.whoami_status(client, token))
    return statuses


async def _revocation(server: Server, backend: Backend, tag: str) -> dict[str, Any]:
    """Revoke three ways; each must flip the token from 200 to 401 at once."""
    checks: dict[str, Any] = {}
    async with (
        httpx.AsyncClient(base_url=server.public_url, timeout=30) as public,
        httpx.AsyncClient(base_url=server.admin_url, timeout=30) as admin,
    ):
        for kind in ("logout", "admin_session_revoke", "identity_deactivation"):
            info = await api.register(public, f"revoke-{kind}-{tag}-{backend}@bench.test", PASSWORD)
            # A second session of the same identity must survive a single-session revoke.
            other = await api.login(public, info.email, PASSWORD)
            # The kept-alive connection first (the "very next" request), then fresh ones.
            before = [await api.whoami_status(public, info.token)]
            before += await _probe(server, info.token)
            if kind == "logout":
                await api.logout(public, info.token)
            elif kind == "admin_session_revoke":
                await api.revoke_session(admin, info.session_id)
            else:
                await api.deactivate_identity(admin, info.identity_id)
            after = [await api.whoami_status(public, info.token)]
            after += await _probe(server, info.token)
            other_after = await api.whoami_status(public, other.token)
            expected_other = 401 if kind == "identity_deactivation" else 200
            checks[kind] = {
                "before": before,
                "after": after,
                "other_session_after": other_after,
                "passed": all(s == 200 for s in before)
                and all(s == 401 for s in after)
                and other_after == expected_other,
            }
    return checks


def measure_load(
    server: Server,
    requests: list[bytes],
    cfg: SessionConfig,
    *,
    connections: int | None = None,
    duration: float | None = None,
    warmup: float | None = None,
) -> dict[str, Any]:
    """One load run plus the server's CPU time per request (warm-up included)."""
    import uvloop

    cpu_before = server.cpu_seconds()
    result = uvloop.run(
        run_load(
            server.public_addr,
            requests,
            connections=connections or cfg.connections,
            duration=duration or cfg.duration,
            warmup=cfg.warmup if warmup is None else warmup,
        )
    )
    cpu = server.cpu_seconds() - cpu_before
    summary: dict[str, Any] = result.summary()
    summary["server_cpu_us_per_request"] = (
        round(cpu / result.completed * 1e6, 1) if result.completed else None
    )
    return {"result": result, "summary": summary}


def _measure(
    server: Server, tokens: list[str], cfg: SessionConfig
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """Unloaded (1 connection) latency of both endpoints, then interleaved baseline/whoami
    rounds at ``cfg.connections``; the best round of each (by req/s) is kept."""
    host = "{}:{}".format(*server.public_addr)
    alive = [build_request("GET", "/health/alive", host)]
    whoami = [
        build_request("GET", "/sessions/whoami", host, {"X-Session-Token": token})
        for token in tokens
    ]
    rounds: list[dict[str, Any]] = []
    best: dict[str, dict[str, Any]] = {}
    # Unloaded latency first: one connection, service time without queueing.
    for name, requests in (("baseline_c1", alive), ("whoami_c1", whoami)):
        best[name] = measure_load(
            server,
            requests,
            cfg,
            connections=1,
            duration=cfg.unloaded_duration,
            warmup=min(cfg.warmup, 0.25),
        )
    for _ in range(cfg.rounds):
        measured = {
            "baseline": measure_load(server, alive, cfg),
            "whoami": measure_load(server, whoami, cfg),
        }
        rounds.append({name: m["summary"] for name, m in measured.items()})
        for name, m in measured.items():
            if name not in best or m["result"].rps > best[name]["result"].rps:
                best[name] = m
    return best, rounds


def run_sessions(
    pool: ServerPool, backend: Backend, cfg: SessionConfig, report: Report
) -> dict[str, Any]:
    """Run benchmarks 2 and 4 on a fresh database of ``backend``."""
    import uvloop

    db = pool.database(backend)
    out: dict[str, Any] = {}
    sessions: list[api.SessionInfo] = []
    for label, workers in cfg.process_settings:
        with step(f"start server ({label})"):
            server = pool.start(
                db, bcrypt_cost=4, workers=workers, config=cfg.server_config or None
            )
        try:
            if not sessions:
                with step(f"setup: {cfg.sessions} sessions via registration + login flows"):
                    sessions = uvloop.run(_create_sessions(server, cfg.sessions, backend))
            tokens = [s.token for s in sessions]
            with step(f"load: /health/alive vs /sessions/whoami x {cfg.rounds} round(s)"):
                runs, rounds = _measure(server, tokens, cfg)
            with step("revocation checks"):
                revocation = uvloop.run(_revocation(server, backend, f"w{workers or 1}"))
        finally:
            server.stop()
        base_run, whoami_run = runs["baseline"], runs["whoami"]
        baseline: LoadResult = base_run["result"]
        whoami: LoadResult = whoami_run["result"]
        ratio = whoami.rps / baseline.rps if baseline.rps else 0.0
        all_ok = whoami.ok_ratio == 1.0 and baseline.ok_ratio == 1.0
        out[label] = {
            "workers": workers or 1,
            "sessions": len(tokens),
            "baseline_health_alive": base_run["summary"],
            "whoami": whoami_run["summary"],
            "unloaded_c1": {
                "baseline_health_alive": runs["baseline_c1"]["summary"],
                "whoami": runs["whoami_c1"]["summary"],
            },
            "ratio": ratio,
            "rounds": rounds,
            "revocation": revocation,
        }
        setting = f"{label}, c={cfg.connections}"
        stalled = runs["baseline_c1"]["result"].percentile(50) > NAGLE_SUSPECT_MS
        throughput_metric = "whoami req/s (vs /health/alive)"
        if stalled:
            throughput_metric += " [baseline stalled, see note]"
        report.add(
            Row(
                "sessions",
                backend,
                setting,
                throughput_metric,
                whoami.rps,
                "/s",
                baseline=baseline.rps,
                ratio=ratio,
                target=f">= {TARGET_RATIO:.2f}" + (" (n/a)" if stalled else ""),
                # A ratio against a stalled baseline says nothing about whoami.
                met=None if stalled else ratio >= TARGET_RATIO and all_ok,
            )
        )
        for q in (50, 99):
            report.add(
                Row(
                    "sessions",
                    backend,
                    setting,
                    f"whoami p{q} latency (vs /health/alive)",
                    whoami.percentile(q),
                    "ms",
                    baseline=baseline.percentile(q),
                    target=f"< {TARGET_P99_MS:.0f} ms" if q == 99 else "",
                    met=whoami.percentile(q) < TARGET_P99_MS if q == 99 else None,
                )
            )
        report.add(
            Row(
                "sessions",
                backend,
                f"{label}, c=1",
                "whoami p50 latency unloaded (vs alive)",
                runs["whoami_c1"]["result"].percentile(50),
                "ms",
                baseline=runs["baseline_c1"]["result"].percentile(50),
            )
        )
        if stalled:
            report.note(
                key="nagle",
                text=f"sessions/{backend}/{label}: /health/alive takes "
                f"{runs['baseline_c1']['result'].percentile(50):.0f} ms on an idle keep-alive "
                "connection: the ~40 ms of Nagle's algorithm meeting delayed ACKs. The "
                "server's sockets lack TCP_NODELAY (uvicorn only sets it on sockets it binds).",
            )
        cpu_base = base_run["summary"]["server_cpu_us_per_request"]
        cpu_whoami = whoami_run["summary"]["server_cpu_us_per_request"]
        if cpu_base and cpu_whoami:
            report.add(
                Row(
                    "sessions",
                    backend,
                    setting,
                    "server CPU per request (whoami vs alive)",
                    cpu_whoami,
                    "us",
                    baseline=cpu_base,
                    ratio=cpu_base / cpu_whoami,
                )
            )
        passed = all(check["passed"] for check in revocation.values())
        report.add(
            Row(
                "revocation",
                backend,
                label,
                "next whoami 401 (logout/admin/deactivate)",
                sum(check["passed"] for check in revocation.values()),
                f"of {len(revocation)}",
                target="all 401",
                met=passed,
            )
        )
        if not all_ok:
            report.note(
                f"sessions/{backend}/{label}: non-2xx answers under load: "
                f"whoami {whoami.statuses}, baseline {baseline.statuses}, "
                f"errors {whoami.errors}/{baseline.errors}"
            )
    return out
