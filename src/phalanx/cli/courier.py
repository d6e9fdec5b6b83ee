"""``phalanx courier watch [-c config.yml ...] [--expose-metrics-port N]`` (Kratos ``cmd/courier``).

Runs the courier worker on its own, against the configured database, until SIGINT or
SIGTERM. Several ``courier watch`` processes (or ``serve --watch-courier``) may run at
once: each message is claimed by one worker only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import TYPE_CHECKING

import click

from phalanx.cli.bootstrap import fail, load_or_exit, setup_logging

if TYPE_CHECKING:
    from phalanx.config import Config

__all__ = ["courier"]

log = logging.getLogger("phalanx.courier")


async def _watch(config: Config) -> None:
    import anyio

    from phalanx.config import parse_dsn
    from phalanx.courier.worker import CourierWorker
    from phalanx.persistence.sql.courier_store import SQLCourierStore
    from phalanx.persistence.sql.engine import Database, engine_for
    from phalanx.persistence.sql.migrations import migrate_up, needs_migration

    url = parse_dsn(config.dsn)
    database = Database(engine_for(url))
    try:
        if await needs_migration(database.engine):
            if not url.is_memory:
                fail(
                    "courier watch: the database schema is not up to date. "
                    "Run `phalanx migrate sql -e --yes` first."
                )
            await migrate_up(database.engine)
        stop = anyio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        worker = CourierWorker(SQLCourierStore(database), config.courier)
        log.info("Courier worker started")
        await worker.run(stop)
        log.info("Courier worker stopped")
    finally:
        await database.dispose()


@click.group()
def courier() -> None:
    """Commands related to the courier (e-mail and SMS delivery)."""


@courier.command()
@click.option("-c", "--config", "configs", multiple=True, help="Config file (repeatable).")
@click.option(
    "--expose-metrics-port",
    type=click.IntRange(0, 65535),
    default=0,
    help="The port to expose the metrics endpoint on (not yet supported by Phalanx).",
)
def watch(configs: tuple[str, ...], expose_metrics_port: int) -> None:
    """Start the courier worker: deliver queued e-mail and SMS."""
    config = load_or_exit(configs, dev=False)
    setup_logging(config)
    port = expose_metrics_port or config.expose_metrics_port
    if port:
        log.warning("--expose-metrics-port %d: courier metrics are not yet supported", port)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_watch(config))
