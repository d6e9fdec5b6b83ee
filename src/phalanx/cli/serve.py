"""``phalanx serve``: run the public and admin apps (and optionally the courier)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import click

from phalanx.cli.bootstrap import fail, load_or_exit, setup_logging

if TYPE_CHECKING:
    from phalanx.config import Config

__all__ = ["serve"]

log = logging.getLogger("phalanx.serve")


async def _prepare(config: Config, *, dev: bool) -> object:
    from phalanx.config import parse_dsn
    from phalanx.persistence.sql.migrations import migrate_up, needs_migration
    from phalanx.registry import Registry

    url = parse_dsn(config.dsn)
    registry = await Registry.build(config, dev=dev)
    engine = registry.database.engine
    if await needs_migration(engine):
        if url.is_memory or (dev and url.dialect == "sqlite"):
            await migrate_up(engine)
        else:
            await registry.close()
            fail(
                "serve: the database schema is not up to date. Run `phalanx migrate sql -e --yes` "
                "(with DSN set) or `phalanx migrate sql <dsn> --yes` first."
            )
    return registry


async def _serve(config: Config, *, dev: bool, watch_courier: bool) -> None:
    import uvicorn

    from phalanx.http.admin import create_admin_app
    from phalanx.http.public import create_public_app
    from phalanx.registry import Registry

    registry = await _prepare(config, dev=dev)
    assert isinstance(registry, Registry)
    servers = []
    for name, app, host, port in (
        ("public", create_public_app(registry), config.serve.public.host, config.serve.public.port),
        ("admin", create_admin_app(registry), config.serve.admin.host, config.serve.admin.port),
    ):
        uv_config = uvicorn.Config(
            app,
            host=host or "0.0.0.0",  # noqa: S104 - Kratos listens on all interfaces by default
            port=port,
            loop="uvloop",
            http="httptools",
            log_level="warning",
            access_log=False,
            lifespan="off",
            proxy_headers=False,
        )
        server = uvicorn.Server(uv_config)
        servers.append(server)
        log.info("%s API listening on http://%s:%d", name, host, port)
    tasks = [asyncio.create_task(s.serve()) for s in servers]
    if watch_courier:
        from phalanx.courier.worker import run_worker

        tasks.append(asyncio.create_task(run_worker(registry)))
    try:
        await asyncio.gather(*tasks)
    finally:
        await registry.close()


@click.command()
@click.option("-c", "--config", "configs", multiple=True, help="Config file (repeatable).")
@click.option("--dev", is_flag=True, help="Development mode: http base URLs, insecure cookies.")
@click.option("--watch-courier", is_flag=True, help="Run the courier worker in this process.")
@click.option("--sqa-opt-out", is_flag=True, hidden=True)
def serve(configs: tuple[str, ...], dev: bool, watch_courier: bool, sqa_opt_out: bool) -> None:
    """Run the public and admin HTTP APIs."""
    config = load_or_exit(configs, dev=dev)
    setup_logging(config)
    from phalanx.config import unsupported_keys

    for key in unsupported_keys(config.raw):
        log.warning("config key %s is not yet supported by Phalanx and has no effect", key)
    try:
        asyncio.run(
            _serve(
                config, dev=dev or config.dev, watch_courier=watch_courier or config.watch_courier
            )
        )
    except KeyboardInterrupt:
        pass
