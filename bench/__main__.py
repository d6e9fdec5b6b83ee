"""``python -m bench [--quick] [--only ...] [--backends ...]``: run the benchmarks.

Starts real ``phalanx serve`` processes on free loopback ports (fresh SQLite files and
throw-away PostgreSQL/MariaDB databases), prints a table and writes
``bench/results/<timestamp>.json``. Exit status 0 even when a target is missed: a
benchmark reports, it does not gate; 2 when a benchmark could not run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bench import server
from bench.audit import run_audit
from bench.console import ConsoleConfig, run_console
from bench.identities import IdentityConfig, run_identities
from bench.limits import LimitsConfig, run_limits
from bench.login import LoginConfig, hash_for, run_login
from bench.mfa import run_mfa
from bench.report import Report, machine_info
from bench.scale import ScaleConfig, run_scale
from bench.server import BACKENDS, Backend, ServerPool, backend_available, supports_workers
from bench.sessions import SessionConfig, run_sessions

__all__ = ["main"]

BENCHMARKS = ("identities", "sessions", "login", "mfa", "console", "audit", "limits", "scale")


FULL_SCALE = ScaleConfig(sessions=200, connections=64, duration=4.0, warmup=1.0, rounds=2)


@dataclass(frozen=True, slots=True)
class Plan:
    identities: IdentityConfig
    identity_backends: tuple[Backend, ...]
    sessions: SessionConfig
    session_backends: tuple[Backend, ...]
    login: LoginConfig
    login_backends: tuple[Backend, ...]
    mfa: SessionConfig
    console: ConsoleConfig
    console_backends: tuple[Backend, ...]
    audit: SessionConfig
    audit_login: LoginConfig
    scale: ScaleConfig = FULL_SCALE
    scale_backends: tuple[Backend, ...] = ("sqlite", "postgres", "mysql")


def make_plan(quick: bool, multi_workers: int | None, *, session_cache: bool = True) -> Plan:
    """The counts and durations of ``--quick`` (< 60 s) and of the full run (minutes)."""
    cost = 10 if quick else 12
    suffix = "" if session_cache else ", no cache"
    settings: list[tuple[str, int | None]] = [(f"1 process{suffix}", None)]
    if multi_workers:
        settings.append((f"{multi_workers} workers{suffix}", multi_workers))
    server_config: dict[str, Any] = (
        {} if session_cache else {"phalanx": {"session_cache": {"enabled": False}}}
    )
    quick_sessions = SessionConfig(
        sessions=200,
        connections=64,
        duration=1.0,
        warmup=0.5,
        rounds=1,
        unloaded_duration=0.5,
        process_settings=tuple(settings),
        server_config=server_config,
    )
    full_sessions = SessionConfig(
        sessions=1000,
        connections=64,
        duration=6.0,
        warmup=1.0,
        rounds=2,
        unloaded_duration=2.0,
        process_settings=tuple(settings),
        server_config=server_config,
    )
    if quick:
        return Plan(
            identities=IdentityConfig(
                count=2000,
                list_passes=1,
                plaintext_count=10,
                bcrypt_cost=cost,
                hashed_password=hash_for(cost),
            ),
            identity_backends=("sqlite",),
            sessions=quick_sessions,
            session_backends=("sqlite", "postgres"),
            login=LoginConfig(
                bcrypt_cost=cost,
                users=50,
                concurrency=8,
                duration=3.0,
                warmup=1.0,
                raw_duration=1.5,
            ),
            login_backends=("sqlite",),
            mfa=replace(quick_sessions, sessions=100, duration=2.0, rounds=2),
            console=ConsoleConfig(
                count=2000, samples=10, bcrypt_cost=cost, hashed_password=hash_for(cost)
            ),
            console_backends=("sqlite",),
            audit=replace(quick_sessions, sessions=100, duration=2.0, rounds=2),
            audit_login=LoginConfig(
                bcrypt_cost=4, users=100, concurrency=8, duration=4.0, warmup=1.0, raw_duration=0
            ),
            scale=ScaleConfig(sessions=100, connections=64, duration=1.0, warmup=0.5, rounds=1),
            scale_backends=("sqlite", "postgres"),
        )
    return Plan(
        identities=IdentityConfig(
            count=10_000,
            list_passes=3,
            plaintext_count=50,
            bcrypt_cost=cost,
            hashed_password=hash_for(cost),
        ),
        identity_backends=BACKENDS,
        sessions=full_sessions,
        session_backends=("sqlite", "postgres"),
        login=LoginConfig(
            bcrypt_cost=cost,
            users=200,
            concurrency=8,
            duration=20.0,
            warmup=3.0,
            raw_duration=10.0,
        ),
        login_backends=("sqlite",),
        mfa=replace(full_sessions, sessions=300, rounds=4, process_settings=tuple(settings[:1])),
        console=ConsoleConfig(
            count=10_000, samples=30, bcrypt_cost=cost, hashed_password=hash_for(cost)
        ),
        console_backends=("sqlite", "postgres"),
        audit=replace(full_sessions, sessions=500, rounds=4, process_settings=tuple(settings[:1])),
        audit_login=LoginConfig(
            bcrypt_cost=4, users=500, concurrency=8, duration=6.0, warmup=1.0, raw_duration=0
        ),
    )


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small counts, under a minute")
    parser.add_argument(
        "--only",
        default=",".join(BENCHMARKS),
        help=f"comma-separated subset of {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--backends",
        default="",
        help="comma-separated subset of sqlite,postgres,mysql (default: per benchmark)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes of the multi-process run when `phalanx serve` has --workers "
        "(default: CPU count; 1 disables it)",
    )
    parser.add_argument(
        "--no-session-cache",
        action="store_true",
        help="sessions: run the servers with phalanx.session_cache.enabled false (every whoami "
        "reads the database, as a deployment of several hosts must)",
    )
    parser.add_argument(
        "--log-level",
        default="error",
        help="log.level of the servers (default error; info turns the access log on, "
        "one line per request written to the server log)",
    )
    parser.add_argument("--keep", action="store_true", help="keep configs, logs and SQLite files")
    return parser.parse_args(argv)


def _selected(wanted: str, defaults: tuple[Backend, ...]) -> tuple[Backend, ...]:
    if not wanted:
        return defaults
    names = [name.strip() for name in wanted.split(",") if name.strip()]
    unknown = [name for name in names if name not in BACKENDS]
    if unknown:
        raise SystemExit(f"unknown backend(s): {', '.join(unknown)}")
    return tuple(b for b in BACKENDS if b in names)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    server.LOG_LEVEL = args.log_level
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    if only - set(BENCHMARKS):
        raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(only - set(BENCHMARKS)))}")
    has_workers = supports_workers()
    multi = args.workers if has_workers and args.workers > 1 else None
    plan = make_plan(args.quick, multi, session_cache=not args.no_session_cache)
    report = Report(mode="quick" if args.quick else "full")
    info = machine_info()
    print(
        f"Phalanx benchmarks ({report.mode}) on {info['cpu']}, {info['cores']} cores, "
        f"Python {info['python']}, commit {info['commit']}, phalanx from "
        f"{info['phalanx_source']}, load average {info['load_average'][0]}",
        flush=True,
    )
    if not has_workers:
        report.note("`phalanx serve` has no --workers option: single-process figures only")
    unavailable: dict[Backend, str] = {}
    for backend in BACKENDS:
        reason = backend_available(backend)
        if reason:
            unavailable[backend] = reason
            report.note(f"{backend} unavailable, skipped: {reason}")

    jobs: list[tuple[str, Backend, Callable[[ServerPool, Backend], dict[str, Any]]]] = []
    if "identities" in only:
        for backend in _selected(args.backends, plan.identity_backends):
            jobs.append(
                ("identities", backend, lambda p, b: run_identities(p, b, plan.identities, report))
            )
    if "sessions" in only:
        for backend in _selected(args.backends, plan.session_backends):
            jobs.append(
                ("sessions", backend, lambda p, b: run_sessions(p, b, plan.sessions, report))
            )
    if "mfa" in only:
        for backend in _selected(args.backends, ("sqlite",)):
            jobs.append(("mfa", backend, lambda p, b: run_mfa(p, b, plan.mfa, report)))
    if "console" in only:
        for backend in _selected(args.backends, plan.console_backends):
            jobs.append(("console", backend, lambda p, b: run_console(p, b, plan.console, report)))
    if "audit" in only:
        for backend in _selected(args.backends, ("sqlite",)):
            jobs.append(
                (
                    "audit",
                    backend,
                    lambda p, b: run_audit(p, b, plan.audit, plan.audit_login, report),
                )
            )
    if "scale" in only:
        for backend in _selected(args.backends, plan.scale_backends):
            jobs.append(("scale", backend, lambda p, b: run_scale(p, b, plan.scale, report)))
    if "login" in only:
        for backend in _selected(args.backends, plan.login_backends)[:1] or ("sqlite",):
            jobs.append(("login", backend, lambda p, b: run_login(p, b, plan.login, report)))
    if "limits" in only:
        limits = LimitsConfig(login=plan.login, rounds=2 if args.quick else 3)
        for backend in _selected(args.backends, ("sqlite",)):
            jobs.append(("limits", backend, lambda p, b: run_limits(p, b, limits, report)))

    failed = False
    began = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="phalanx-bench-"))
    try:
        for name, backend, job in jobs:
            if backend in unavailable:
                continue
            print(f"-- {name} on {backend} ...", flush=True)
            started = time.perf_counter()
            pool = ServerPool(workdir)
            load_before = os.getloadavg()[0]
            try:
                result = job(pool, backend)
                result["load_average_1m"] = {"before": load_before, "after": os.getloadavg()[0]}
                report.details.setdefault(name, {})[backend] = result
            except Exception as exc:  # report and carry on with the other benchmarks
                failed = True
                traceback.print_exc()
                logs = "\n".join(server.logs()[-3000:] for server in pool.servers)
                report.note(f"{name} on {backend} failed: {type(exc).__name__}: {exc}")
                if logs.strip():
                    print(f"--- server log tail ---\n{logs}", file=sys.stderr)
            finally:
                pool.close()
            print(f"   done in {time.perf_counter() - started:.1f} s", flush=True)
    finally:
        if args.keep:
            print(f"kept configs, logs and SQLite files in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    report.details["elapsed_s"] = round(time.perf_counter() - began, 1)
    path = report.save()
    print()
    print(report.table())
    for text in report.notes:
        print(f"note: {text}")
    print(f"\n{len(jobs)} runs in {report.details['elapsed_s']} s; results: {path}")
    return 2 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
