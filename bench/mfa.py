"""Benchmark (issue #11): ``GET /sessions/whoami`` of aal2 sessions against aal1 sessions.

Setup on a fresh database, ``totp`` enabled, ``session.whoami.required_aal`` at its
default ``highest_available``: ``sessions`` identities register through the native flow
(aal1 session tokens); half of them then link TOTP in the settings flow with a code from
``pyotp``, which makes their registration session aal2 (password + totp). So both groups
answer 200 and differ only in the assurance level and its check.

Measured in one run, interleaved (alternating which goes first), at ``connections``
keep-alive connections: whoami with the aal1 tokens, whoami with the aal2 tokens,
``rounds`` times each; the best round of each is reported, with the server's CPU time per
request (which other load on the machine barely moves). Target: aal2 throughput (and CPU
per request) within 10% of aal1. With ``--no-session-cache`` every
request reads the database: aal2 sessions pass the AAL check on the session alone, aal1
sessions of identities without a second factor are checked against their credentials.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pyotp

from bench import api
from bench.loadgen import LoadResult, build_request
from bench.report import Report, Row, step
from bench.server import Backend, Server, ServerPool
from bench.sessions import SessionConfig, bounded, measure_load

__all__ = ["MFA_CONFIG", "run_mfa"]

PASSWORD = "Bench-Password-4711!"
SETUP_CONCURRENCY = 8
TARGET_RATIO = 0.90
MFA_CONFIG: dict[str, Any] = {
    "selfservice": {"methods": {"totp": {"enabled": True, "config": {"issuer": "Bench"}}}}
}


@dataclass(frozen=True, slots=True)
class _Tokens:
    aal1: list[str]
    aal2: list[str]


async def _link_totp(public: httpx.AsyncClient, token: str) -> None:
    headers = {"X-Session-Token": token, "Accept": "application/json"}
    flow = api.expect(await public.get("/self-service/settings/api", headers=headers), 200).json()
    secret = next(
        n["attributes"]["text"]["context"]["secret"]
        for n in flow["ui"]["nodes"]
        if n["attributes"].get("id") == "totp_secret_key"
    )
    body = {"method": "totp", "totp_code": pyotp.TOTP(secret).now()}
    api.expect(await public.post(flow["ui"]["action"], headers=headers, json=body), 200)


async def _setup(server: Server, count: int, backend: Backend) -> _Tokens:
    async with httpx.AsyncClient(base_url=server.public_url, timeout=60) as public:
        infos = await bounded(
            SETUP_CONCURRENCY,
            [api.register(public, f"m-{backend}-{i}@bench.test", PASSWORD) for i in range(count)],
        )
        half = len(infos) // 2
        aal2 = [info.token for info in infos[:half]]
        await bounded(SETUP_CONCURRENCY, [_link_totp(public, token) for token in aal2])
        for token, level in ((aal2[0], "aal2"), (infos[-1].token, "aal1")):
            me = api.expect(
                await public.get("/sessions/whoami", headers={"X-Session-Token": token}), 200
            ).json()
            if me["authenticator_assurance_level"] != level:
                raise api.ApiError(
                    f"setup produced a {me['authenticator_assurance_level']} session"
                )
    return _Tokens(aal1=[info.token for info in infos[half:]], aal2=aal2)


def run_mfa(
    pool: ServerPool, backend: Backend, cfg: SessionConfig, report: Report
) -> dict[str, Any]:
    import uvloop

    db = pool.database(backend)
    out: dict[str, Any] = {}
    tokens: _Tokens | None = None
    label, workers = cfg.process_settings[0]
    config = {**MFA_CONFIG, **cfg.server_config}
    with step(f"start server ({label})"):
        server = pool.start(db, bcrypt_cost=4, workers=workers, config=config)
    try:
        with step(f"setup: {cfg.sessions} registrations, half with TOTP linked"):
            tokens = uvloop.run(_setup(server, cfg.sessions, backend))
        host = "{}:{}".format(*server.public_addr)

        def requests(group: list[str]) -> list[bytes]:
            return [
                build_request("GET", "/sessions/whoami", host, {"X-Session-Token": t})
                for t in group
            ]

        plans = {"aal1": requests(tokens.aal1), "aal2": requests(tokens.aal2)}
        best: dict[str, dict[str, Any]] = {}
        rounds: list[dict[str, Any]] = []
        with step(f"load: whoami aal1 vs aal2 x {cfg.rounds} round(s)"):
            for index in range(cfg.rounds):
                # Alternate which group goes first, so drifting machine load hits both.
                order = list(plans) if index % 2 == 0 else list(reversed(plans))
                measured = {name: measure_load(server, plans[name], cfg) for name in order}
                rounds.append({name: m["summary"] for name, m in measured.items()})
                for name, m in measured.items():
                    if name not in best or m["result"].rps > best[name]["result"].rps:
                        best[name] = m
    finally:
        server.stop()
    aal1: LoadResult = best["aal1"]["result"]
    aal2: LoadResult = best["aal2"]["result"]
    ratio = aal2.rps / aal1.rps if aal1.rps else 0.0
    all_ok = aal1.ok_ratio == 1.0 and aal2.ok_ratio == 1.0
    out[label] = {
        "sessions": {"aal1": len(tokens.aal1), "aal2": len(tokens.aal2)},
        "whoami_aal1": best["aal1"]["summary"],
        "whoami_aal2": best["aal2"]["summary"],
        "ratio": ratio,
        "rounds": rounds,
    }
    setting = f"{label}, c={cfg.connections}"
    report.add(
        Row(
            "mfa",
            backend,
            setting,
            "whoami aal2 req/s (vs aal1 sessions)",
            aal2.rps,
            "/s",
            baseline=aal1.rps,
            ratio=ratio,
            target=f">= {TARGET_RATIO:.2f}",
            met=ratio >= TARGET_RATIO and all_ok,
        )
    )
    cpu1 = best["aal1"]["summary"]["server_cpu_us_per_request"]
    cpu2 = best["aal2"]["summary"]["server_cpu_us_per_request"]
    if cpu1 and cpu2:
        # Server CPU per request barely moves with other load on the machine.
        report.add(
            Row(
                "mfa",
                backend,
                setting,
                "server CPU per whoami, aal2 (vs aal1)",
                cpu2,
                "us",
                baseline=cpu1,
                ratio=cpu1 / cpu2,
                target=f">= {TARGET_RATIO:.2f}",
                met=cpu1 / cpu2 >= TARGET_RATIO,
            )
        )
    report.add(
        Row(
            "mfa",
            backend,
            setting,
            "whoami aal2 p99 latency (vs aal1)",
            aal2.percentile(99),
            "ms",
            baseline=aal1.percentile(99),
        )
    )
    if not all_ok:
        report.note(
            f"mfa/{backend}/{label}: non-2xx answers: aal1 {aal1.statuses}, aal2 {aal2.statuses}"
        )
    return out
