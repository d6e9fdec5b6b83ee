"""Phalanx inside a Python service: one object for the apps, their lifespan and sessions.

::

    px = Phalanx.from_config("kratos.yml")      # or a dict, or None (built-in default)
    app = FastAPI(lifespan=px.lifespan, exception_handlers=px.exception_handlers)
    app.mount("/auth", px.public_app)            # serve.public.base_url: https://host/auth/

    @app.get("/me")
    async def me(session: dict = Depends(px.require_session())) -> dict: ...

``public_app`` and ``admin_app`` exist from the start (mount them at import time); they
answer 503 until :meth:`Phalanx.start` (``px.lifespan``) has opened the database, and
they run their own lifespan when served directly (``uvicorn`` on ``px.public_app``).
Mounted under a prefix, routing strips the prefix (ASGI ``root_path``); the URLs Phalanx
hands out (flow actions, redirects, mail links) come from ``serve.public.base_url``, whose
path must be that prefix -- a mismatch is logged once.

:meth:`Phalanx.current_session` answers what ``/sessions/whoami`` answers, through the same
:class:`~phalanx.session.whoami.Whoami` (token lookup, cache, AAL guard).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import anyio
import orjson
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from phalanx.config import Config, load_config, parse_dsn
from phalanx.errors import AAL2RequiredError, ServiceUnavailableError, UnauthorizedError
from phalanx.errors import error_envelope as _envelope
from phalanx.http.responses import NO_CACHE, error_response
from phalanx.session.whoami import NO_SESSION

if TYPE_CHECKING:
    from phalanx.registry import Registry
    from phalanx.selfservice.hook.python import PythonHooks

__all__ = ["Phalanx", "RequiredAal", "SessionError", "session_error_response"]

log = logging.getLogger("phalanx.embed")

RequiredAal = Literal["aal1", "highest_available"]
_LEVELS = ("aal1", "highest_available")


class SessionError(HTTPException):
    """No usable session: 401 (none, expired, revoked, inactive identity) or 403
    ``session_aal2_required`` (below the required AAL), with whoami's body in ``body``."""

    def __init__(self, status_code: int, body: bytes, error_id: str | None = None) -> None:
        envelope = orjson.loads(body)
        detail = str(envelope.get("error", {}).get("reason") or envelope["error"]["message"])
        headers = {"Cache-Control": NO_CACHE}
        if error_id:
            headers["Ory-Error-Id"] = error_id
        super().__init__(status_code, detail=detail, headers=headers)
        self.body = body
        self.error: dict[str, Any] = envelope["error"]


async def session_error_response(request: Request, exc: Exception) -> Response:
    """An exception handler answering a :class:`SessionError` exactly as whoami would."""
    assert isinstance(exc, SessionError)
    return Response(
        exc.body, status_code=exc.status_code, media_type="application/json", headers=exc.headers
    )


class _App:
    """A mountable ASGI app in front of one of Phalanx's apps, there before the registry."""

    def __init__(self, owner: Phalanx, kind: Literal["public", "admin"]) -> None:
        self.owner = owner
        self.kind = kind
        self.inner: ASGIApp | None = None
        self._prefix_checked = False

    def _expected_prefix(self) -> str:
        config = self.owner.config
        base = config.public_base_url if self.kind == "public" else config.admin_base_url
        return urlsplit(base).path.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if not self._prefix_checked:
            self._prefix_checked = True
            root = scope.get("root_path", "")
            if root and root != self._expected_prefix():
                log.warning(
                    "the %s app is mounted at %s but serve.%s.base_url has the path %r: "
                    "URLs Phalanx hands out will miss the prefix",
                    self.kind,
                    root,
                    self.kind,
                    self._expected_prefix() or "/",
                )
        inner = self.inner
        if inner is None:
            if scope["type"] == "http":
                error = ServiceUnavailableError("Phalanx is not started (run px.lifespan).")
                await error_response(error)(scope, receive, send)
            return
        await inner(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        """Served on its own (not mounted): start and stop Phalanx with the server."""
        message = await receive()
        assert message["type"] == "lifespan.startup"
        try:
            await self.owner.start()
        except Exception as exc:
            await send({"type": "lifespan.startup.failed", "message": str(exc)})
            return
        await send({"type": "lifespan.startup.complete"})
        message = await receive()
        try:
            await self.owner.stop()
        finally:
            await send({"type": "lifespan.shutdown.complete"})


class Phalanx:
    """Phalanx as a library: the public and admin ASGI apps, their lifespan, sessions."""

    def __init__(
        self,
        config: Config,
        *,
        hooks: PythonHooks | None = None,
        migrate: bool = False,
        courier: bool = True,
    ) -> None:
        """``migrate``: bring the database schema up to date on start (an in-memory
        database always is); otherwise an outdated schema stops :meth:`start`.
        ``courier``: run the courier worker (mail, SMS) while started."""
        self.config = config
        self.hooks = hooks
        self.migrate = migrate
        self.courier = courier
        self.public_app: ASGIApp = _App(self, "public")
        self.admin_app: ASGIApp = _App(self, "admin")
        self.exception_handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]]
        self.exception_handlers = {SessionError: session_error_response}
        self._registry: Registry | None = None
        self._users = 0
        self._lock = asyncio.Lock()
        self._courier_stop: anyio.Event | None = None
        self._courier_task: asyncio.Task[None] | None = None

    @classmethod
    def from_config(
        cls,
        source: str | Path | Mapping[str, Any] | Config | None = None,
        *,
        env: Mapping[str, str] | None = None,
        dev: bool = False,
        data_dir: str | Path | None = None,
        hooks: PythonHooks | None = None,
        migrate: bool = False,
        courier: bool = True,
    ) -> Phalanx:
        """From a config file (``kratos.yml``, JSON, TOML), a dict in the same shape, a
        loaded :class:`~phalanx.config.Config`, or ``None`` for the built-in default
        (SQLite and secrets in ``data_dir``). Environment variables override files as in
        ``phalanx serve`` (``env={}`` ignores them)."""
        if isinstance(source, Config):
            config = source
        else:
            config = load_config(
                [] if source is None else [source], env=env, dev=dev, data_dir=data_dir
            )
        return cls(config, hooks=hooks, migrate=migrate, courier=courier)

    @property
    def registry(self) -> Registry:
        """The composition root (stores, services); there while started."""
        if self._registry is None:
            raise RuntimeError("Phalanx is not started: use px.lifespan or await px.start()")
        return self._registry

    @property
    def started(self) -> bool:
        return self._registry is not None

    async def start(self) -> None:
        """Open the database (pools), check or migrate its schema, build the apps, start the
        courier worker. Nested starts are counted; the last :meth:`stop` closes."""
        async with self._lock:
            self._users += 1
            if self._registry is not None:
                return
            try:
                await self._open()
            except BaseException:
                self._users -= 1
                raise

    async def _open(self) -> None:
        from phalanx.console import console_routes_for
        from phalanx.courier.worker import run_worker
        from phalanx.http.admin import create_admin_app
        from phalanx.http.public import create_public_app
        from phalanx.registry import Registry
        from phalanx.web.routes import routes as ui_routes

        registry = await Registry.build(self.config, hooks=self.hooks)
        try:
            await self._prepare_schema(registry)
            await registry.start()  # the whoami cache's cross-host invalidation listener
        except BaseException:
            await registry.close()
            raise
        assert isinstance(self.public_app, _App) and isinstance(self.admin_app, _App)
        self.public_app.inner = create_public_app(registry, ui=ui_routes)
        self.admin_app.inner = create_admin_app(
            registry, console=console_routes_for(self.config, dev=registry.dev)
        )
        self._registry = registry
        if self.courier:
            self._courier_stop = anyio.Event()
            self._courier_task = asyncio.create_task(
                run_worker(registry, stop_event=self._courier_stop), name="phalanx-courier"
            )

    async def _prepare_schema(self, registry: Registry) -> None:
        from phalanx.persistence.sql.migrations import migrate_up, needs_migration

        engine = registry.database.engine
        if self.migrate or parse_dsn(self.config.dsn).is_memory:
            await migrate_up(engine)
        elif await needs_migration(engine):
            raise RuntimeError(
                "the database schema is not up to date: run `phalanx migrate sql -e --yes` "
                "or build Phalanx with migrate=True"
            )

    async def stop(self) -> None:
        """Stop the courier worker and close the pools (when the last start is undone)."""
        async with self._lock:
            if self._users == 0:
                return
            self._users -= 1
            if self._users or self._registry is None:
                return
            registry, self._registry = self._registry, None
            assert isinstance(self.public_app, _App) and isinstance(self.admin_app, _App)
            self.public_app.inner = self.admin_app.inner = None
            task, self._courier_task = self._courier_task, None
            try:
                if task is not None and self._courier_stop is not None:
                    self._courier_stop.set()
                    await task
            finally:
                await registry.close()

    @contextlib.asynccontextmanager
    async def lifespan(self, app: object = None) -> AsyncIterator[None]:
        """``FastAPI(lifespan=px.lifespan)`` / ``Starlette(lifespan=...)``, or
        ``async with px.lifespan():`` inside the host's own lifespan."""
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    async def current_session(
        self, request: HTTPConnection, required_aal: RequiredAal | None = None
    ) -> dict[str, Any]:
        """The request's session as ``/sessions/whoami`` answers it (identity included),
        from ``X-Session-Token``, the session cookie or ``Authorization: Bearer``; raises
        :class:`SessionError` 401 or 403 as whoami would. ``required_aal`` (``aal1`` or
        ``highest_available``) replaces ``session.whoami.required_aal``."""
        if required_aal is not None and required_aal not in _LEVELS:
            raise ValueError(f"required_aal must be one of {_LEVELS}, not {required_aal!r}")
        registry = self.registry
        found = registry.sessions.presented_token(request.headers, request.cookies)
        answer = None
        if found is not None and found.token:
            answer = await registry.whoami.answer(found.token, required_aal)
        if answer is None:
            raise SessionError(401, orjson.dumps(_envelope(UnauthorizedError(NO_SESSION))))
        if answer.forbidden:
            raise SessionError(403, answer.body, AAL2RequiredError.error_id)
        session: dict[str, Any] = orjson.loads(answer.body)
        return session

    def require_session(
        self, required_aal: RequiredAal | None = None
    ) -> Callable[[Request], Awaitable[dict[str, Any]]]:
        """A FastAPI dependency (``Depends(px.require_session("aal1"))``): the level is
        fixed here, never taken from the request."""
        if required_aal is not None and required_aal not in _LEVELS:
            raise ValueError(f"required_aal must be one of {_LEVELS}, not {required_aal!r}")

        async def session(request: Request) -> dict[str, Any]:
            return await self.current_session(request, required_aal)

        return session
