"""``phalanx audit list|verify [DSN] [-e] [-c config]``: read and check the audit log.

Both read the database directly (like ``phalanx cleanup sql``): the DSN comes from the
argument, else (``-e``, on by default) from the ``DSN`` environment variable or the ``dsn``
key of the ``-c`` config files.

* ``list`` prints events newest first, one JSON object per line (``--identity``,
  ``--type`` (repeatable), ``--since``, ``--until``, ``--limit``);
* ``verify`` walks the hash chain from its anchor to its head and exits 1, naming each
  problem, when a row was edited or deleted (see :mod:`phalanx.audit.chain`).
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

import click
import orjson

from phalanx.cli.bootstrap import fail

__all__ = ["audit"]

T = TypeVar("T")


@click.group()
def audit() -> None:
    """Read and verify the audit log."""


def _dsn(dsn: str | None, read_from_env: bool, configs: tuple[str, ...]) -> str:
    if dsn:
        return dsn
    if read_from_env:
        if found := os.environ.get("DSN"):
            return found
        if configs:
            from phalanx.cli.bootstrap import load_or_exit

            return load_or_exit(configs, dev=False).dsn
    fail('audit: give a DSN argument, or set DSN (or the config key "dsn") with -e')


def _run(dsn: str, work: Callable[..., Awaitable[T]]) -> T:
    from phalanx.config import ConfigError, parse_dsn
    from phalanx.persistence.sql.audit_store import SQLAuditStore
    from phalanx.persistence.sql.engine import Database, engine_for

    try:
        url = parse_dsn(dsn)
    except ConfigError as exc:
        fail(str(exc))

    async def go() -> T:
        db = Database(engine_for(url))
        try:
            return await work(SQLAuditStore(db))
        finally:
            await db.dispose()

    try:
        return asyncio.run(go())
    except SystemExit:
        raise
    except Exception as exc:  # driver errors become one readable line
        fail(f"audit: {type(exc).__name__}: {exc}".splitlines()[0])


_DSN_OPTIONS = [
    click.argument("dsn", required=False),
    click.option(
        "-e",
        "--read-from-env/--no-read-from-env",
        default=True,
        help="Read the DSN from the DSN environment variable or the config (default on).",
    ),
    click.option("-c", "--config", "configs", multiple=True, help="Config file(s) to read."),
]


def _with_dsn(command: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(_DSN_OPTIONS):
        command = option(command)
    return command


def _time(raw: str | None) -> datetime | None:
    from phalanx.identity.decoding import parse_rfc3339

    if not raw:
        return None
    try:
        return parse_rfc3339(raw)
    except ValueError:
        fail(f"audit: not an RFC 3339 time: {raw!r}")


@audit.command("list")
@_with_dsn
@click.option("--identity", default=None, help="Only events of this identity id.")
@click.option("--type", "types", multiple=True, help="Only events of this type (repeatable).")
@click.option("--since", default=None, help="Only events at or after this RFC 3339 time.")
@click.option("--until", default=None, help="Only events before this RFC 3339 time.")
@click.option("--limit", type=click.IntRange(1), default=100, help="At most this many (100).")
def list_events(
    dsn: str | None,
    read_from_env: bool,
    configs: tuple[str, ...],
    identity: str | None,
    types: tuple[str, ...],
    since: str | None,
    until: str | None,
    limit: int,
) -> None:
    """Print audit events, newest first, one JSON object per line."""
    from phalanx.audit import AuditQuery
    from phalanx.audit.port import AuditStore
    from phalanx.audit.wire import event_to_wire

    identity_id: uuid.UUID | None = None
    if identity:
        try:
            identity_id = uuid.UUID(identity)
        except ValueError:
            fail(f"audit: not an identity id: {identity!r}")
    target = _dsn(dsn, read_from_env, configs)

    async def work(store: AuditStore) -> None:
        remaining, before = limit, None
        while remaining > 0:
            page = await store.page(
                AuditQuery(
                    identity_id=identity_id,
                    types=types,
                    since=_time(since),
                    until=_time(until),
                    page_size=min(remaining, 1000),
                    before_seq=before,
                )
            )
            for stored in page.events:
                sys.stdout.write(orjson.dumps(event_to_wire(stored)).decode() + "\n")
            remaining -= len(page.events)
            if page.next_seq is None:
                return
            before = page.next_seq

    _run(target, work)


@audit.command("verify")
@_with_dsn
def verify_chain(dsn: str | None, read_from_env: bool, configs: tuple[str, ...]) -> None:
    """Check that no audit event was edited or deleted (exit 1 if one was)."""
    from phalanx.audit import VerifyReport, verify
    from phalanx.audit.port import AuditStore

    target = _dsn(dsn, read_from_env, configs)

    async def work(store: AuditStore) -> VerifyReport:
        return await verify(await store.anchor(), store.scan())

    report = _run(target, work)
    if report.ok:
        click.echo(f"Audit log intact: {report.checked} events verified.")
        return
    for problem in report.problems:
        click.echo(f"TAMPERED: {problem}", err=True)
    fail(
        f"Audit log does NOT verify: {len(report.problems)} problem(s) in {report.checked} events."
    )
