"""Benchmark (issue 14, items 4 and 5): what the audit log and the idle timeout cost.

Three servers on one fresh database, measured interleaved in one run (alternating which
goes first each round, so drifting machine load hits both sides):

* **whoami, idle timeout on vs off**: ``GET /sessions/whoami`` with every token of
  ``sessions`` native registrations, against a server with
  ``phalanx.session.idle_timeout: 30m`` and one without (both with the whoami cache as
  configured: on by default, off with ``--no-session-cache``). Target: on >= 95 % of off,
  in req/s and in server CPU per request.
* **password login, audit log on vs off**: native password logins (bcrypt cost 4, so the
  database work of a login -- where the two audit rows of a sign-in go: ``login.succeeded``
  and ``session.issued`` -- is not drowned by hashing) against a server with the audit
  log (the default) and one with ``phalanx.audit.enabled: false``.
"""

from __future__ import annotations

from typing import Any

import httpx

from bench import api
from bench.loadgen import LoadResult, build_request
from bench.login import PASSWORD, LoginConfig, measure_logins
from bench.report import Report, Row, step
from bench.server import Backend, Server, ServerPool, deep_merge
from bench.sessions import SETUP_CONCURRENCY, SessionConfig, bounded, measure_load

__all__ = ["IDLE_TIMEOUT", "run_audit"]

IDLE_TIMEOUT = "30m"
TARGET_RATIO = 0.95


async def _register(server: Server, count: int, backend: Backend) -> tuple[list[str], list[str]]:
    async with httpx.AsyncClient(base_url=server.public_url, timeout=60) as public:
        infos = await bounded(
            SETUP_CONCURRENCY,
            [api.register(public, f"a-{backend}-{i}@bench.test", PASSWORD) for i in range(count)],
        )
    return [info.token for info in infos], [info.email for info in infos]


def _whoami_requests(server: Server, tokens: list[str]) -> list[bytes]:
    host = "{}:{}".format(*server.public_addr)
    return [build_request("GET", "/sessions/whoami", host, {"X-Session-Token": t}) for t in tokens]


def _ratio_rows(
    report: Report,
    backend: Backend,
    setting: str,
    what: str,
    on: dict[str, Any],
    off: dict[str, Any],
) -> float:
    on_rps, off_rps = on["result"].rps, off["result"].rps
    ratio = on_rps / off_rps if off_rps else 0.0
    all_ok = on["result"].ok_ratio == 1.0 and off["result"].ok_ratio == 1.0
    report.add(
        Row(
            "audit",
            backend,
            setting,
            f"whoami req/s, {what} (vs off)",
            on_rps,
            "/s",
            baseline=off_rps,
            ratio=ratio,
            target=f">= {TARGET_RATIO:.2f}",
            met=ratio >= TARGET_RATIO and all_ok,
        )
    )
    cpu_on = on["summary"]["server_cpu_us_per_request"]
    cpu_off = off["summary"]["server_cpu_us_per_request"]
    if cpu_on and cpu_off:
        report.add(
            Row(
                "audit",
                backend,
                setting,
                f"server CPU per whoami, {what} (vs off)",
                cpu_on,
                "us",
                baseline=cpu_off,
                ratio=cpu_off / cpu_on,
                target=f">= {TARGET_RATIO:.2f}",
                met=cpu_off / cpu_on >= TARGET_RATIO,
            )
        )
    if not all_ok:
        report.note(
            f"audit/{backend}: non-2xx whoami answers: on {on['result'].statuses}, "
            f"off {off['result'].statuses}"
        )
    return ratio


def run_audit(
    pool: ServerPool,
    backend: Backend,
    cfg: SessionConfig,
    login_cfg: LoginConfig,
    report: Report,
) -> dict[str, Any]:
    import uvloop

    db = pool.database(backend)
    base = dict(cfg.server_config)
    with step("start 3 servers: idle timeout off, idle timeout on, audit log off"):
        plain = pool.start(db, bcrypt_cost=4, config=base)
        idle = pool.start(
            db,
            bcrypt_cost=4,
            config=deep_merge(base, {"phalanx": {"session": {"idle_timeout": IDLE_TIMEOUT}}}),
        )
        quiet = pool.start(
            db, bcrypt_cost=4, config=deep_merge(base, {"phalanx": {"audit": {"enabled": False}}})
        )
    out: dict[str, Any] = {"idle_timeout": IDLE_TIMEOUT}
    try:
        with step(f"setup: {cfg.sessions} registrations"):
            tokens, emails = uvloop.run(_register(plain, cfg.sessions, backend))
        plans = {
            "off": (plain, _whoami_requests(plain, tokens)),
            "on": (idle, _whoami_requests(idle, tokens)),
        }
        best: dict[str, dict[str, Any]] = {}
        rounds: list[dict[str, Any]] = []
        with step(f"load: whoami idle timeout off vs on x {cfg.rounds} round(s)"):
            for index in range(cfg.rounds):
                order = ["off", "on"] if index % 2 == 0 else ["on", "off"]
                measured = {
                    name: measure_load(plans[name][0], plans[name][1], cfg) for name in order
                }
                rounds.append({name: m["summary"] for name, m in measured.items()})
                for name, m in measured.items():
                    if name not in best or m["result"].rps > best[name]["result"].rps:
                        best[name] = m
        logins: dict[str, list[dict[str, Any]]] = {"on": [], "off": []}
        with step(f"load: password logins audit on vs off x {cfg.rounds} round(s)"):
            servers = {"on": plain, "off": quiet}
            for index in range(cfg.rounds):
                order = ["on", "off"] if index % 2 == 0 else ["off", "on"]
                for name in order:
                    cpu_before = servers[name].cpu_seconds()
                    measured = uvloop.run(
                        measure_logins(servers[name].public_url, emails, login_cfg)
                    )
                    cpu = servers[name].cpu_seconds() - cpu_before
                    if measured["completed"]:
                        measured["server_cpu_ms_per_login"] = cpu / measured["completed"] * 1000
                    logins[name].append(measured)
    finally:
        for server in (plain, idle, quiet):
            server.stop()
    setting = f"c={cfg.connections}, {len(tokens)} sessions"
    ratio = _ratio_rows(report, backend, setting, "idle timeout on", best["on"], best["off"])
    on_rate = max(r["per_second"] for r in logins["on"])
    off_rate = max(r["per_second"] for r in logins["off"])
    login_ratio = on_rate / off_rate if off_rate else 0.0
    report.add(
        Row(
            "audit",
            backend,
            f"bcrypt 4, c={login_cfg.concurrency}",
            "logins/s, audit log on (vs off)",
            on_rate,
            "/s",
            baseline=off_rate,
            ratio=login_ratio,
            target=f">= {TARGET_RATIO:.2f}",
            met=login_ratio >= TARGET_RATIO,
        )
    )
    cpu_on = [r["server_cpu_ms_per_login"] for r in logins["on"] if "server_cpu_ms_per_login" in r]
    cpu_off = [
        r["server_cpu_ms_per_login"] for r in logins["off"] if "server_cpu_ms_per_login" in r
    ]
    if cpu_on and cpu_off:
        # CPU per login barely moves with the machine's load; the median round of each.
        med_on, med_off = sorted(cpu_on)[len(cpu_on) // 2], sorted(cpu_off)[len(cpu_off) // 2]
        report.add(
            Row(
                "audit",
                backend,
                f"bcrypt 4, c={login_cfg.concurrency}",
                "server CPU per login, audit log on (vs off)",
                med_on,
                "ms",
                baseline=med_off,
                ratio=med_off / med_on,
                target=f">= {TARGET_RATIO:.2f}",
                met=med_off / med_on >= TARGET_RATIO,
            )
        )
    result_off: LoadResult = best["off"]["result"]
    result_on: LoadResult = best["on"]["result"]
    out.update(
        {
            "whoami_idle_off": best["off"]["summary"],
            "whoami_idle_on": best["on"]["summary"],
            "whoami_ratio": ratio,
            "whoami_p99_ms": {"off": result_off.percentile(99), "on": result_on.percentile(99)},
            "whoami_rounds": rounds,
            "logins": logins,
            "login_ratio": login_ratio,
        }
    )
    return out
