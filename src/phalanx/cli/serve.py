"""``phalanx serve``: run the public and admin apps (and optionally the courier).

With ``--workers N`` (N > 1) the parent binds both listening sockets, checks the
database schema once, creates the shared revocation epoch, then forks N workers that each
serve both apps on the shared sockets (the kernel spreads connections), like gunicorn's
pre-fork model. Every worker builds its own registry and its own whoami cache
(``phalanx.session_cache``); every write that can change a whoami answer advances the
shared epoch (:mod:`phalanx.session.epoch`), so a revoked session is refused by every
worker on its very next request. Workers exit when the parent dies, even by ``kill -9``
(``PR_SET_PDEATHSIG`` on Linux, plus a watchdog polling the parent pid), so they never keep
the ports.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import socket
import sys
from typing import TYPE_CHECKING

import click

from phalanx.cli.bootstrap import fail, load_or_exit, setup_logging

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from phalanx.config import Config
    from phalanx.registry import Registry
    from phalanx.session.epoch import RevocationEpoch

__all__ = ["serve"]

log = logging.getLogger("phalanx.serve")

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_PARENT_POLL = 1.0  # seconds between the watchdog's looks at the parent


async def _check_schema(config: Config, *, dev: bool) -> None:
    """Migrate embedded databases in dev/memory mode; refuse unmigrated others."""
    from phalanx.config import parse_dsn
    from phalanx.persistence.sql.engine import engine_for
    from phalanx.persistence.sql.migrations import migrate_up, needs_migration

    url = parse_dsn(config.dsn)
    if url.is_memory:
        return  # every process migrates its own private in-memory database
    engine = engine_for(url)
    try:
        if await needs_migration(engine):
            if dev and url.dialect == "sqlite":
                await migrate_up(engine)
            else:
                fail(
                    "serve: the database schema is not up to date. Run "
                    "`phalanx migrate sql -e --yes` (with DSN set) or "
                    "`phalanx migrate sql <dsn> --yes` first."
                )
    except SystemExit:
        raise
    except Exception as exc:  # unreachable database and friends: one readable line
        fail(f"serve: cannot use the database: {type(exc).__name__}: {exc}".splitlines()[0])
    finally:
        await engine.dispose()


async def _check_identity_schemas(config: Config) -> None:
    """Load every identity schema once before serving: a schema that cannot be read,
    fetched (or is refused by ``clients.http.disallow_private_ip_ranges``) stops start-up
    with one line instead of a traceback in every worker."""
    from phalanx.errors import KratosError
    from phalanx.registry import identity_schemas

    try:
        await identity_schemas(config).load()
    except Exception as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if isinstance(exc, KratosError):
            where = exc.details.get("url") or exc.details.get("uri")
            if where and str(where) not in problem:
                problem += f" ({where})"
        fail(f"serve: cannot load the identity schemas: {problem}")


async def _build_registry(
    config: Config, *, dev: bool, epoch: RevocationEpoch | None = None
) -> Registry:
    from phalanx.config import parse_dsn
    from phalanx.persistence.sql.migrations import migrate_up
    from phalanx.registry import Registry

    registry = await Registry.build(config, dev=dev, epoch=epoch)
    if parse_dsn(config.dsn).is_memory:
        await migrate_up(registry.database.engine)
    return registry


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this on Linux. uvicorn only sets it on sockets it
    # binds itself; without it every keep-alive response waits ~40 ms for delayed ACKs.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        fail(f"serve: cannot listen on {host}:{port}: {exc.strerror}")
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


async def _serve_worker(
    config: Config,
    sockets: dict[str, socket.socket],
    *,
    dev: bool,
    watch_courier: bool,
    epoch: RevocationEpoch | None = None,
    parent: int | None = None,
) -> None:
    import uvicorn

    from phalanx import tracing
    from phalanx.console import console_routes_for
    from phalanx.http.admin import create_admin_app
    from phalanx.http.protocol import guarded_protocol
    from phalanx.http.public import create_public_app
    from phalanx.web.routes import routes as ui_routes

    _start_tracing(config)
    registry = await _build_registry(config, dev=dev, epoch=epoch)
    await registry.start()
    limits = config.phalanx.connections
    apps: dict[str, ASGIApp] = {
        "public": create_public_app(registry, ui=ui_routes),
        "admin": create_admin_app(registry, console=console_routes_for(config, dev=registry.dev)),
    }
    _freeze_startup_heap()
    servers = []
    for name, app in apps.items():
        uv_config = uvicorn.Config(
            app,
            loop="uvloop",
            http=guarded_protocol(limits),
            timeout_keep_alive=max(1, round(limits.keep_alive_timeout.total_seconds())),
            log_level="warning",
            log_config=None,  # uvicorn's records go through phalanx.logs like ours
            access_log=False,
            lifespan="off",
            proxy_headers=False,
            server_header=False,
        )
        servers.append((uvicorn.Server(uv_config), sockets[name]))
    tasks = [asyncio.create_task(server.serve(sockets=[sock])) for server, sock in servers]
    watchdog = asyncio.create_task(_watch_parent(parent)) if parent is not None else None
    if watch_courier:
        from phalanx.courier.worker import run_worker

        tasks.append(asyncio.create_task(run_worker(registry)))
    try:
        await asyncio.gather(*tasks)
    finally:
        if watchdog is not None:
            watchdog.cancel()
        await registry.close()
        tracing.shutdown()


def _freeze_startup_heap() -> None:
    """Move what start-up built (modules, schemas, templates, the registry: ~170,000
    objects) out of the garbage collector's reach: it lives as long as the process, and
    every full collection walked all of it, a 100-200 ms pause of the event loop that
    was whoami's p99 (issue #15). Requests' own garbage is still collected."""
    gc.collect()
    gc.freeze()


def _start_tracing(config: Config) -> None:
    """``tracing.*`` for this (worker) process; an unusable setup is reported, not fatal."""
    from phalanx import tracing

    try:
        if tracing.configure(config.tracing):
            otlp = config.tracing.providers.get("otlp") or {}
            log.info("OTLP tracer configured! Sending spans to %s", otlp.get("server_url"))
    except ValueError as exc:
        log.warning("tracing is off: %s", exc)


def _die_with_parent(parent: int) -> None:
    """Make this forked worker exit when ``parent`` dies, even by ``kill -9``.

    Linux delivers SIGTERM on the parent's death (``prctl(PR_SET_PDEATHSIG)``); if the
    parent died before that was set, exit now. :func:`_watch_parent` covers other systems.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the watchdog still works
            pass
    if os.getppid() != parent:
        os._exit(0)


async def _watch_parent(parent: int) -> None:
    """Exit (gracefully, through uvicorn's SIGTERM handling) once ``parent`` is gone."""
    while True:  # polling is the point: nothing signals a parent's death portably
        if os.getppid() != parent:
            break
        await asyncio.sleep(_PARENT_POLL)
    log.warning("the supervising process %d is gone: this worker stops", parent)
    os.kill(os.getpid(), signal.SIGTERM)


def _run_worker_process(
    config: Config,
    sockets: dict[str, socket.socket],
    *,
    dev: bool,
    watch_courier: bool,
    epoch: RevocationEpoch | None = None,
    parent: int | None = None,
) -> None:
    # uvicorn's ``loop="uvloop"`` only applies to loops uvicorn creates itself;
    # ``Server.serve()`` runs on the caller's loop, so create a uvloop one here.
    import uvloop

    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(
            _serve_worker(
                config, sockets, dev=dev, watch_courier=watch_courier, epoch=epoch, parent=parent
            )
        )


def _default_workers() -> int:
    raw = os.environ.get("PHALANX_WORKERS")
    if raw and raw.isdigit() and int(raw) > 0:
        return int(raw)
    return 1


def _supervise(
    config: Config,
    sockets: dict[str, socket.socket],
    workers: int,
    *,
    dev: bool,
    watch_courier: bool,
) -> None:
    """Fork ``workers`` children; the courier runs only in the first one. The revocation
    epoch is created here, before forking, so all children share its memory."""
    from phalanx.session.epoch import RevocationEpoch

    epoch = RevocationEpoch(slots=workers)
    children: list[int] = []
    for index in range(workers):
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # child
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            _die_with_parent(parent)
            epoch.use_slot(index)
            _run_worker_process(
                config,
                sockets,
                dev=dev,
                watch_courier=watch_courier and index == 0,
                epoch=epoch,
                parent=parent,
            )
            os._exit(0)
        children.append(pid)
    log.info("started %d worker processes", workers)

    def stop(signum: int, _frame: object) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    status = 0
    for child in children:
        try:
            _, code = os.waitpid(child, 0)
        except ChildProcessError:
            continue
        if os.waitstatus_to_exitcode(code) not in (0, -signal.SIGTERM):
            status = 1
    sys.exit(status)


@click.command()
@click.option("-c", "--config", "configs", multiple=True, help="Config file (repeatable).")
@click.option("--dev", is_flag=True, help="Development mode: http base URLs, insecure cookies.")
@click.option("--watch-courier", is_flag=True, help="Run the courier worker in this process.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes serving both APIs (default: PHALANX_WORKERS or 1).",
)
@click.option("--sqa-opt-out", is_flag=True, hidden=True)
def serve(
    configs: tuple[str, ...],
    dev: bool,
    watch_courier: bool,
    workers: int | None,
    sqa_opt_out: bool,
) -> None:
    """Run the public and admin HTTP APIs."""
    config = load_or_exit(configs, dev=dev)
    setup_logging(config)
    from phalanx.config import parse_dsn, unsupported_keys

    for key in unsupported_keys(config.raw):
        log.warning("config key %s is not yet supported by Phalanx and has no effect", key)
    from phalanx.config import ConfigError
    from phalanx.invalidation import channel_setting

    try:
        channel_setting(config, parse_dsn(config.dsn))
    except ConfigError as exc:
        fail(str(exc))
    dev = dev or config.dev
    watch_courier = watch_courier or config.watch_courier
    asyncio.run(_check_schema(config, dev=dev))
    asyncio.run(_check_identity_schemas(config))
    count = workers or _default_workers()
    if count > 1 and parse_dsn(config.dsn).is_memory:
        log.warning("an in-memory database cannot be shared: running one worker")
        count = 1
    sockets = {
        "public": _bind(config.serve.public.host or "0.0.0.0", config.serve.public.port),  # noqa: S104
        "admin": _bind(config.serve.admin.host or "0.0.0.0", config.serve.admin.port),  # noqa: S104
    }
    log.info("public API listening on %s", config.public_base_url)
    log.info("admin API listening on %s", config.admin_base_url)
    if count == 1:
        _run_worker_process(config, sockets, dev=dev, watch_courier=watch_courier)
        return
    _supervise(config, sockets, count, dev=dev, watch_courier=watch_courier)
