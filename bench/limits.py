"""Benchmark 6 (issue #14): password-login throughput with ``phalanx.rate_limits`` on
against off, in one run.

One database, ``users`` identities imported with a bcrypt hash of the configured cost.
Two servers on it, started one after the other: limits **off** (``enabled: false``) and
limits **on** with every counter in use -- a per-identifier and a per-address sign-in
budget and lockout, so each login costs three counter hits and one reset besides the
hash; the budgets are large enough never to refuse (every login must answer 200). The
servers alternate ``rounds`` times (off, on, off, on, ...) so a change of the machine's
load hits both; the best round of each counts. Target: on >= 95% of off. Also reported:
the server's CPU time per login (least of the rounds), off over on: logins are CPU-bound,
so this is the throughput ratio an unloaded machine would show, and it barely moves when
other work shares the cores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.login import LoginConfig, hash_for, import_users, measure_logins
from bench.report import Report, Row, step
from bench.server import Backend, ServerPool

__all__ = ["LIMITS_ON", "LimitsConfig", "run_limits"]

TARGET_RATIO = 0.95

#: Every kind of counter on, budgets that never refuse a benchmark login.
LIMITS_ON: dict[str, Any] = {
    "enabled": True,
    "sign_in": {
        "per_identifier": {"limit": 1_000_000, "window": "5m"},
        "per_address": {"limit": 1_000_000, "window": "5m"},
    },
    "lockout": {"enabled": True, "max_failures": 1_000_000},
}


@dataclass(frozen=True, slots=True)
class LimitsConfig:
    login: LoginConfig
    rounds: int


def run_limits(
    pool: ServerPool, backend: Backend, cfg: LimitsConfig, report: Report
) -> dict[str, Any]:
    """Run benchmark 6 on a fresh database of ``backend``."""
    import uvloop

    login = cfg.login
    hashed = hash_for(login.bcrypt_cost)
    db = pool.database(backend)
    settings = {
        "off": {"phalanx": {"rate_limits": {"enabled": False}}},
        "on": {"phalanx": {"rate_limits": LIMITS_ON}},
    }
    emails: list[str] = []
    rounds: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
    for index in range(cfg.rounds):
        for name, config in settings.items():
            with step(f"round {index + 1}: limits {name}"):
                server = pool.start(
                    db, bcrypt_cost=login.bcrypt_cost, workers=login.workers, config=config
                )
                try:
                    if not emails:
                        emails = uvloop.run(
                            import_users(server.admin_url, backend, login.users, hashed)
                        )
                    cpu_before = server.cpu_seconds()
                    result = uvloop.run(measure_logins(server.public_url, emails, login))
                    cpu = server.cpu_seconds() - cpu_before
                    result["server_cpu_ms_per_login"] = cpu / max(result["completed"], 1) * 1000
                    rounds[name].append(result)
                finally:
                    server.stop()
    best = {name: max(r["per_second"] for r in runs) for name, runs in rounds.items()}
    cpu = {name: min(r["server_cpu_ms_per_login"] for r in runs) for name, runs in rounds.items()}
    ratio = best["on"] / best["off"] if best["off"] else 0.0
    setting = f"bcrypt {login.bcrypt_cost}, c={login.concurrency}, best of {cfg.rounds}"
    report.add(
        Row(
            "limits",
            backend,
            setting,
            "logins/s, limits on (vs off)",
            best["on"],
            "/s",
            baseline=best["off"],
            ratio=ratio,
            target=f">= {TARGET_RATIO:.2f}",
            met=ratio >= TARGET_RATIO,
        )
    )
    # Logins are CPU-bound (bcrypt): on a machine shared with other work, throughput swings
    # with the neighbours' load, the server's CPU time per login much less.
    cpu_ratio = cpu["off"] / cpu["on"] if cpu["on"] else 0.0
    report.add(
        Row(
            "limits",
            backend,
            setting,
            "server CPU per login, limits off (vs on)",
            cpu["off"],
            "ms",
            baseline=cpu["on"],
            ratio=cpu_ratio,
            target=f">= {TARGET_RATIO:.2f}",
            met=cpu_ratio >= TARGET_RATIO,
        )
    )
    return {
        "rounds": rounds,
        "best": best,
        "ratio": ratio,
        "cpu_ms_per_login": cpu,
        "cpu_ratio": cpu_ratio,
        "limits_on": LIMITS_ON,
    }
