"""``phalanx cleanup sql [DSN] [-e] [-c config] [--keep-last 0s] [-b 100]
[--database.cleanup.sleep.tables 1m]``: delete expired sessions, flows, codes and more.

Kratos's ``cmd/cleanup``. The DSN comes from the argument, else (``-e``, on by
default as in Kratos) from the ``DSN`` environment variable or the ``dsn`` key of the
``-c`` config files. Batch size and the pause between tables come from the flags, else
from ``database.cleanup.*`` of the config (or ``DATABASE_CLEANUP_BATCH_SIZE`` /
``DATABASE_CLEANUP_SLEEP_TABLES``), else Kratos's defaults (100 rows, 1 minute).
``--keep-last`` defaults to ``database.cleanup.older_than`` (0s). Audit events older
than ``--audit.retention`` (default: ``phalanx.audit.retention`` of the config, or
``PHALANX_AUDIT_RETENTION``; unset: kept) are pruned too; if the audit log does not
verify they are kept and the command exits 1 after cleaning the rest.
"""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta

import click

from phalanx.cli.bootstrap import fail
from phalanx.cli.params import DURATION

__all__ = ["cleanup"]

_DEFAULT_BATCH = 100
_DEFAULT_SLEEP = timedelta(minutes=1)


@click.group()
def cleanup() -> None:
    """Various cleanup helpers."""


def _settings(
    dsn: str | None,
    read_from_env: bool,
    configs: tuple[str, ...],
    batch_size: int | None,
    sleep_tables: timedelta | None,
    keep_last: timedelta | None,
) -> tuple[str, int, timedelta, timedelta, timedelta | None]:
    from phalanx.config import parse_duration

    config_dsn: str | None = None
    batch, sleep, older = _DEFAULT_BATCH, _DEFAULT_SLEEP, timedelta(0)
    retention: timedelta | None = None
    if configs:
        from phalanx.cli.bootstrap import load_or_exit

        config = load_or_exit(configs, dev=False)
        config_dsn = config.dsn
        batch = config.database.cleanup.batch_size
        sleep = config.database.cleanup.sleep.tables
        older = config.database.cleanup.older_than
        retention = config.phalanx.audit.retention
    else:
        try:
            if raw := os.environ.get("DATABASE_CLEANUP_BATCH_SIZE"):
                batch = int(raw)
            if raw := os.environ.get("DATABASE_CLEANUP_SLEEP_TABLES"):
                sleep = parse_duration(raw)
            if raw := os.environ.get("PHALANX_AUDIT_RETENTION"):
                retention = parse_duration(raw)
        except ValueError as exc:
            fail(f"cleanup: invalid environment variable: {exc}")
    if not dsn and read_from_env:
        dsn = os.environ.get("DSN") or config_dsn
    if not dsn:
        if not read_from_env:
            fail('expected to get the DSN as an argument, or the "read-from-env" flag')
        fail('required config value "dsn" was not set')
    batch = batch_size if batch_size is not None else batch
    if batch < 1:
        fail("cleanup: the batch size must be at least 1")
    return (
        dsn,
        batch,
        sleep_tables if sleep_tables is not None else sleep,
        keep_last if keep_last is not None else older,
        retention,
    )


async def _run(
    dsn: str,
    *,
    batch_size: int,
    sleep_tables: timedelta,
    keep_last: timedelta,
    audit_retention: timedelta | None = None,
) -> int:
    from phalanx.config import ConfigError, parse_dsn
    from phalanx.persistence.sql.cleanup import cleanup_database
    from phalanx.persistence.sql.engine import Database, engine_for
    from phalanx.persistence.sql.migrations import needs_migration

    try:
        url = parse_dsn(dsn)
    except ConfigError as exc:
        fail(str(exc))
    db = Database(engine_for(url))
    try:
        if await needs_migration(db.engine):
            fail(
                "cleanup: the database schema is not up to date; run "
                "`phalanx migrate sql <dsn> --yes` first"
            )
        result = await cleanup_database(
            db,
            keep_last=keep_last,
            batch_size=batch_size,
            sleep_tables=sleep_tables,
            progress=lambda line: click.echo(line, err=True),
            audit_retention=audit_retention,
        )
    except SystemExit:
        raise
    except Exception as exc:  # driver errors become one readable line
        fail(
            "An error occurred while cleaning up expired data: "
            f"{type(exc).__name__}: {exc}".splitlines()[0]
        )
    finally:
        await db.dispose()
    if result.audit_error is not None:
        fail(
            f"Deleted {result.total} expired records; audit events were kept: "
            f"the audit log does not verify ({result.audit_error})"
        )
    return result.total


@cleanup.command("sql")
@click.argument("dsn", required=False)
@click.option(
    "-e",
    "--read-from-env/--no-read-from-env",
    default=True,
    help="Read the DSN from the DSN environment variable or the config's dsn key (default on).",
)
@click.option("-c", "--config", "configs", multiple=True, help="Config file(s) to read.")
@click.option(
    "--keep-last", type=DURATION, default=None, help="Don't remove records younger than this."
)
@click.option(
    "-b",
    "--database.cleanup.batch_size",
    "batch_size",
    type=int,
    default=None,
    help="Set the number of records to be cleaned per batch (default 100).",
)
@click.option(
    "--database.cleanup.sleep.tables",
    "sleep_tables",
    type=DURATION,
    default=None,
    help="How long to wait between each table cleanup (default 1m).",
)
@click.option(
    "--audit.retention",
    "audit_retention",
    type=DURATION,
    default=None,
    help="Delete audit events older than this (default: phalanx.audit.retention; unset: keep).",
)
def sql(
    dsn: str | None,
    read_from_env: bool,
    configs: tuple[str, ...],
    keep_last: timedelta | None,
    batch_size: int | None,
    sleep_tables: timedelta | None,
    audit_retention: timedelta | None,
) -> None:
    """Cleanup sql database from expired flows and sessions.

    Run this command as often as you need, close to the database. Back up the
    database before running it on an existing one.
    """
    target, batch, sleep, keep, retention = _settings(
        dsn, read_from_env, configs, batch_size, sleep_tables, keep_last
    )
    total = asyncio.run(
        _run(
            target,
            batch_size=batch,
            sleep_tables=sleep,
            keep_last=keep,
            audit_retention=audit_retention if audit_retention is not None else retention,
        )
    )
    click.echo(f"Deleted {total} expired records.")
