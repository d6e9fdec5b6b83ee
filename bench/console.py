"""Benchmark 5 (issue #17): the admin console's list and search pages on a big table.

Imports ``count`` identities (10,000; ``--quick``: 2,000) through ``PATCH
/admin/identities`` with a pre-computed bcrypt hash, then times each console page
(``GET /admin/ui/identities...``, rendered HTML, 50 rows) ``samples`` times and reports the
median against the target (< 100 ms) and against a baseline measured in the same run: the
admin API's JSON answer to the same question (``GET /admin/identities`` with the same page
size and filter), so the ratio is what the console's rendering adds.

Pages: the first page; a page in the middle of the table (keyset ``after=``); an exact
identifier search; a prefix search; the ``state`` filter with no match (the whole table is
scanned: the worst case of a filter).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bench import api
from bench.report import Report, Row, step
from bench.server import Backend, ServerPool

__all__ = ["ConsoleConfig", "run_console"]

BATCH = 1000
PAGE_SIZE = 50
TARGET_MS = 100.0


@dataclass(frozen=True, slots=True)
class ConsoleConfig:
    count: int
    samples: int
    bcrypt_cost: int
    hashed_password: str


async def _median_ms(client: httpx.AsyncClient, url: str, samples: int) -> float:
    api.expect(await client.get(url), 200)  # warm-up (template compilation, caches)
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        api.expect(await client.get(url), 200)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


async def _run(admin_url: str, cfg: ConsoleConfig, backend: Backend) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=admin_url, timeout=httpx.Timeout(300.0)) as admin:
        ids: list[str] = []
        with step(f"import {cfg.count} identities"):
            for number in range(0, cfg.count, BATCH):
                size = min(BATCH, cfg.count - number)
                emails = [f"console-{backend}-{number + i}@bench.test" for i in range(size)]
                body = api.batch_body(emails, hashed_password=cfg.hashed_password)
                ids.extend(await api.batch_create(admin, body))
        middle = sorted(ids)[len(ids) // 2]
        exact = f"console-{backend}-{cfg.count // 2}@bench.test"
        prefix = f"console-{backend}-{cfg.count // 20}"
        pages = {
            "first page": (
                "/admin/ui/identities",
                f"/admin/identities?page_size={PAGE_SIZE}",
            ),
            "middle page (keyset)": (
                f"/admin/ui/identities?after={middle}",
                f"/admin/identities?page_size={PAGE_SIZE}&page_token={middle}",
            ),
            "search exact": (
                f"/admin/ui/identities?q={exact}&match=exact",
                f"/admin/identities?credentials_identifier={exact}",
            ),
            "search prefix": (
                f"/admin/ui/identities?q={prefix}&match=prefix",
                f"/admin/identities?page_size={PAGE_SIZE}&preview_credentials_identifier_similar={prefix}",
            ),
            "state filter, no match": ("/admin/ui/identities?state=inactive", None),
        }
        results: dict[str, dict[str, float | None]] = {}
        with step(f"time console pages ({cfg.samples} samples each)"):
            for name, (page, baseline) in pages.items():
                page_ms = await _median_ms(admin, page, cfg.samples)
                base_ms = await _median_ms(admin, baseline, cfg.samples) if baseline else None
                results[name] = {"console_ms": page_ms, "api_ms": base_ms}
    return {"identities": len(ids), "page_size": PAGE_SIZE, "pages": results}


def run_console(
    pool: ServerPool, backend: Backend, cfg: ConsoleConfig, report: Report
) -> dict[str, Any]:
    """Run the console benchmark on a fresh database of ``backend``."""
    import uvloop

    with step("create database, start server"):
        db = pool.database(backend)
        server = pool.start(db, bcrypt_cost=cfg.bcrypt_cost)
    try:
        result = uvloop.run(_run(server.admin_url, cfg, backend))
    finally:
        server.stop()
    for name, numbers in result["pages"].items():
        console_ms, api_ms = numbers["console_ms"], numbers["api_ms"]
        assert console_ms is not None
        report.add(
            Row(
                "console",
                backend,
                f"{name} ({result['identities']} identities)",
                "median page time",
                console_ms,
                "ms",
                baseline=api_ms,
                ratio=console_ms / api_ms if api_ms else None,
                target=f"< {TARGET_MS:g} ms",
                met=console_ms < TARGET_MS,
            )
        )
    return result
