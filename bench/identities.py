"""Benchmark 1 (issue #2): batch identity import and keyset listing.

* Import ``count`` identities through ``PATCH /admin/identities`` in batches of 1000, each
  with a pre-computed bcrypt hash (``credentials.password.config.hashed_password``), so the
  API and the database are measured, not the hasher. Reported: identities per second, and
  the time of the last batch over the first (inserts should not slow down as the table
  grows).
* After every batch, time ``GET /admin/identities?page_size=500`` (first page) to show the
  first page's cost against the table size.
* Page through everything with ``page_size=500`` following ``Link: rel="next"`` (several
  passes; per-page median). Reported: pages per second and the time of the last pages over
  the first pages: keyset pagination keeps that ratio near 1 where OFFSET grows linearly.
* A small batch with plaintext passwords shows what server-side hashing costs.
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

__all__ = ["IdentityConfig", "run_identities"]

BATCH = 1000
PAGE_SIZE = 500
EDGE_PAGES = 3
"""How many pages at each end form "first pages" and "last pages"."""


@dataclass(frozen=True, slots=True)
class IdentityConfig:
    count: int
    list_passes: int
    plaintext_count: int
    bcrypt_cost: int
    hashed_password: str
    """A bcrypt hash computed once, imported for every identity."""


async def _import(
    admin: httpx.AsyncClient, cfg: IdentityConfig, backend: Backend
) -> dict[str, Any]:
    batch_seconds: list[float] = []
    first_page_ms: list[dict[str, float]] = []
    total = 0
    for number in range(0, cfg.count, BATCH):
        size = min(BATCH, cfg.count - number)
        emails = [f"import-{backend}-{number + i}@bench.test" for i in range(size)]
        body = api.batch_body(emails, hashed_password=cfg.hashed_password)
        start = time.perf_counter()
        ids = await api.batch_create(admin, body)
        batch_seconds.append(time.perf_counter() - start)
        total += len(ids)
        samples = []
        for _ in range(3):
            t0 = time.perf_counter()
            api.expect(await admin.get("/admin/identities", params={"page_size": PAGE_SIZE}), 200)
            samples.append((time.perf_counter() - t0) * 1000)
        first_page_ms.append({"identities": total, "ms": round(min(samples), 2)})
    return {
        "identities": total,
        "batch_seconds": [round(s, 4) for s in batch_seconds],
        "per_second": total / sum(batch_seconds),
        "last_over_first_batch": batch_seconds[-1] / batch_seconds[0],
        "first_page_ms_by_table_size": first_page_ms,
    }


async def _list_pass(admin: httpx.AsyncClient) -> tuple[list[float], int]:
    """One walk through all pages; returns per-page seconds and the identities seen."""
    url: str | None = f"/admin/identities?page_size={PAGE_SIZE}"
    times: list[float] = []
    seen = 0
    while url is not None:
        start = time.perf_counter()
        response = api.expect(await admin.get(url), 200)
        body = response.json()
        times.append(time.perf_counter() - start)
        seen += len(body)
        url = api.next_link(response)
        if not body:
            break
    return times, seen


async def _listing(admin: httpx.AsyncClient, cfg: IdentityConfig, expected: int) -> dict[str, Any]:
    passes: list[list[float]] = []
    for _ in range(cfg.list_passes):
        times, seen = await _list_pass(admin)
        if seen != expected:
            raise api.ApiError(f"paging saw {seen} identities, expected {expected}")
        passes.append(times)
    pages = min(len(p) for p in passes)
    # The last page holds whatever is left; leave it out of the edge comparison when short.
    full_pages = pages if expected % PAGE_SIZE == 0 else pages - 1
    per_page = [statistics.median(p[i] for p in passes) for i in range(pages)]
    edge = min(EDGE_PAGES, max(1, full_pages // 2))
    first = statistics.mean(per_page[:edge])
    last = statistics.mean(per_page[full_pages - edge : full_pages])
    total_time = statistics.median(sum(p) for p in passes)
    return {
        "pages": pages,
        "passes": cfg.list_passes,
        "page_ms": [round(t * 1000, 2) for t in per_page],
        "pages_per_second": pages / total_time,
        "identities_per_second": expected / total_time,
        "first_pages_ms": first * 1000,
        "last_pages_ms": last * 1000,
        "last_over_first": last / first,
    }


async def _plaintext(
    admin: httpx.AsyncClient, cfg: IdentityConfig, backend: Backend
) -> dict[str, Any]:
    emails = [f"plain-{backend}-{i}@bench.test" for i in range(cfg.plaintext_count)]
    body = api.batch_body(emails, password="Bench-Password-4711!")
    start = time.perf_counter()
    ids = await api.batch_create(admin, body)
    seconds = time.perf_counter() - start
    return {
        "identities": len(ids),
        "bcrypt_cost": cfg.bcrypt_cost,
        "seconds": seconds,
        "per_second": len(ids) / seconds,
    }


async def _run(admin_url: str, cfg: IdentityConfig, backend: Backend) -> dict[str, Any]:
    limits = httpx.Timeout(300.0)
    async with httpx.AsyncClient(base_url=admin_url, timeout=limits) as admin:
        with step(f"import {cfg.count} identities (hashed) in batches of {BATCH}"):
            imported = await _import(admin, cfg, backend)
        with step(f"list with page_size={PAGE_SIZE}, {cfg.list_passes} pass(es)"):
            listing = await _listing(admin, cfg, imported["identities"])
        plaintext = None
        if cfg.plaintext_count:
            with step(f"import {cfg.plaintext_count} identities (plaintext)"):
                plaintext = await _plaintext(admin, cfg, backend)
    return {"import": imported, "listing": listing, "plaintext": plaintext}


def run_identities(
    pool: ServerPool, backend: Backend, cfg: IdentityConfig, report: Report
) -> dict[str, Any]:
    """Run benchmark 1 on a fresh database of ``backend``; adds summary rows to ``report``."""
    import uvloop

    with step("create database, start server"):
        db = pool.database(backend)
        server = pool.start(db, bcrypt_cost=cfg.bcrypt_cost)
    try:
        result = uvloop.run(_run(server.admin_url, cfg, backend))
    finally:
        server.stop()
    imported, listing, plaintext = result["import"], result["listing"], result["plaintext"]
    report.add(
        Row("identities", backend, "hashed import", "created/s", imported["per_second"], "/s")
    )
    report.add(
        Row(
            "identities",
            backend,
            "hashed import",
            "last/first batch time",
            imported["last_over_first_batch"],
            "",
            ratio=imported["last_over_first_batch"],
            target="~1 (flat)",
            met=imported["last_over_first_batch"] < 1.5,
        )
    )
    report.add(
        Row(
            "identities",
            backend,
            "list page_size=500",
            "pages/s",
            listing["pages_per_second"],
            "/s",
        )
    )
    report.add(
        Row(
            "identities",
            backend,
            "list page_size=500",
            "last/first page time",
            listing["last_pages_ms"],
            "ms",
            baseline=listing["first_pages_ms"],
            ratio=listing["last_over_first"],
            target="~1 (keyset)",
            met=listing["last_over_first"] < 1.5,
        )
    )
    if plaintext is not None:
        report.add(
            Row(
                "identities",
                backend,
                f"plaintext import (bcrypt {plaintext['bcrypt_cost']})",
                "created/s",
                plaintext["per_second"],
                "/s",
                baseline=imported["per_second"],
                ratio=plaintext["per_second"] / imported["per_second"],
            )
        )
    return result
