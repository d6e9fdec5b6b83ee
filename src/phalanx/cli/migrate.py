"""``phalanx migrate sql [DSN] [-e] [--yes]``: create or upgrade the database schema."""

from __future__ import annotations

import asyncio
import os

import click

from phalanx.cli.bootstrap import fail

__all__ = ["migrate"]


@click.group()
def migrate() -> None:
    """Various migration helpers."""


async def _run(dsn: str, *, status_only: bool) -> None:
    from phalanx.config import ConfigError, parse_dsn
    from phalanx.persistence.sql.engine import engine_for
    from phalanx.persistence.sql.migrations import migrate_up, migration_status

    try:
        url = parse_dsn(dsn)
    except ConfigError as exc:
        fail(str(exc))
    engine = engine_for(url)
    try:
        if status_only:
            current, head = await migration_status(engine)
            state = "up to date" if current == head else "pending"
            click.echo(f"current: {current or 'none'}  head: {head}  ({state})")
            return
        await migrate_up(engine)
        click.echo("Successfully applied all migrations.")
    except Exception as exc:  # driver errors become one readable line
        fail(f"migrate: {type(exc).__name__}: {exc}".splitlines()[0])
    finally:
        await engine.dispose()


def _resolve_dsn(dsn: str | None, read_from_env: bool, config: tuple[str, ...]) -> str:
    if dsn:
        return dsn
    if read_from_env or config:
        if config:
            from phalanx.cli.bootstrap import load_or_exit

            return load_or_exit(config, dev=False).dsn
        env_dsn = os.environ.get("DSN")
        if env_dsn:
            return env_dsn
        fail("migrate: no DSN: set the DSN environment variable or pass it as an argument")
    fail("migrate: give a DSN argument, or -e to read it from the DSN environment variable")


@migrate.command("sql")
@click.argument("args", nargs=-1)
@click.option("-e", "--read-from-env", is_flag=True, help="Read the DSN from the environment.")
@click.option("-y", "--yes", is_flag=True, help="Apply without asking.")
@click.option("-c", "--config", multiple=True, help="Config file(s) to read the DSN from.")
def sql(args: tuple[str, ...], read_from_env: bool, yes: bool, config: tuple[str, ...]) -> None:
    """Create or upgrade the SQL schema (idempotent).

    \b
    phalanx migrate sql [up] [DSN] [-e] [--yes]   apply all pending migrations
    phalanx migrate sql status [DSN] [-e]         show whether migrations are pending
    """
    action = "up"
    rest = list(args)
    if rest and rest[0] in ("up", "status"):
        action = rest.pop(0)
    if len(rest) > 1:
        fail("migrate: too many arguments; expected at most one DSN")
    target = _resolve_dsn(rest[0] if rest else None, read_from_env, config)
    if action == "status":
        asyncio.run(_run(target, status_only=True))
        return
    if not yes and not click.confirm("Apply pending migrations?", default=True):
        fail("migrate: aborted")
    asyncio.run(_run(target, status_only=False))
