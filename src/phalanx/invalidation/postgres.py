"""PostgreSQL ``LISTEN``/``NOTIFY`` as the invalidation channel (the default on PostgreSQL).

``NOTIFY`` is transactional: the message issued inside the write transaction is delivered
to listeners when (and only if) it commits, so another host can never hear of a change
before it is visible to its reads. Each worker process listens on its own asyncpg
connection (not one of the engine's pool) and runs ``SELECT 1`` on it every
:data:`~phalanx.invalidation.channel.HEARTBEAT` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from phalanx.invalidation.channel import HEARTBEAT, Channel
from phalanx.invalidation.message import CHANNEL

__all__ = ["LISTENER_NAME", "PostgresChannel"]

LISTENER_NAME = "phalanx-whoami-listener"
"""``application_name`` of the listening connections (``pg_stat_activity``)."""


class PostgresChannel(Channel):
    """``pg_notify`` in write transactions; ``LISTEN`` on a dedicated connection."""

    name = "postgres"

    def __init__(self, sqlalchemy_url: str, connect_args: dict[str, Any] | None = None) -> None:
        url = make_url(sqlalchemy_url)
        self._connect: dict[str, Any] = {
            "host": url.host,
            "port": url.port,
            "user": url.username,
            "password": url.password,
            "database": url.database,
            "timeout": 5.0,
            **(connect_args or {}),
        }
        settings = dict(self._connect.get("server_settings") or {})
        settings["application_name"] = LISTENER_NAME
        self._connect["server_settings"] = settings

    async def before_commit(self, conn: AsyncConnection, payload: str) -> None:
        await conn.execute(select(func.pg_notify(CHANNEL, payload)))

    async def after_commit(self, payload: str) -> None:
        """Nothing: the message went out with the commit."""

    async def close(self) -> None:
        """Nothing: the listening connection closes when :meth:`listen` is cancelled."""

    async def listen(self, deliver: Callable[[str], None], subscribed: Callable[[], None]) -> None:
        import asyncpg

        conn = await asyncpg.connect(**self._connect)
        lost = asyncio.Event()
        try:
            conn.add_termination_listener(lambda _conn: lost.set())
            await conn.add_listener(CHANNEL, lambda _c, _pid, _ch, payload: deliver(payload))
            subscribed()
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), HEARTBEAT)
                    break
                await asyncio.wait_for(conn.execute("SELECT 1"), HEARTBEAT)
            raise ConnectionError("the listening connection was closed")
        finally:
            conn.terminate()
