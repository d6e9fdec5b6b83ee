"""The notifier the stores get when a cross-host channel is configured."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection

from phalanx.invalidation.channel import Channel
from phalanx.invalidation.health import ChannelHealth
from phalanx.invalidation.message import decode, encode
from phalanx.persistence.sql.changes import Broadcast
from phalanx.session.epoch import RevocationEpoch

if TYPE_CHECKING:
    from phalanx.config import Config, DatabaseURL

__all__ = ["Invalidation", "channel_setting", "invalidation_for"]

log = logging.getLogger("phalanx.invalidation")

_RETRY_FIRST = 0.05
_RETRY_MAX = 2.0


class Invalidation(Broadcast):
    """This host's revocation epoch plus a :class:`Channel` to the other hosts.

    :meth:`run` (one task per worker process) keeps a subscription and turns other hosts'
    messages into epoch advances; :attr:`health` is the whoami cache's gate."""

    def __init__(self, epoch: RevocationEpoch, channel: Channel) -> None:
        self.epoch = epoch
        self.channel = channel
        self.health = ChannelHealth(channel.name)
        self._task: asyncio.Task[None] | None = None

    # -- sending (called by notifying_write) ------------------------------------------
    def changed(self, identity_ids: Iterable[uuid.UUID] | None = None) -> None:
        self.epoch.changed(identity_ids)

    async def before_commit(
        self, conn: AsyncConnection, identity_ids: Sequence[uuid.UUID] | None
    ) -> None:
        await self.channel.before_commit(conn, encode(self.epoch.origin, identity_ids))

    async def after_commit(self, identity_ids: Sequence[uuid.UUID] | None) -> None:
        await self.channel.after_commit(encode(self.epoch.origin, identity_ids))

    # -- receiving ----------------------------------------------------------------------
    def _deliver(self, payload: str) -> None:
        try:
            origin, identity_ids = decode(payload)
        except ValueError:
            log.warning("ignored a malformed whoami invalidation message: %.80r", payload)
            return
        if origin != self.epoch.origin:
            self.epoch.changed(identity_ids)

    def _subscribed(self) -> None:
        # Messages sent while this process was not subscribed are lost: whatever its
        # cache holds may be stale, and reads in flight took their snapshot before this.
        self.epoch.changed(None)
        self.health.restored()

    async def run(self) -> None:
        """Listen until cancelled, resubscribing (with backoff) whenever the channel drops."""
        delay = _RETRY_FIRST
        while True:
            try:
                await self.channel.listen(self._deliver, self._subscribed)
                reason = "the subscription ended"
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any driver or network error: fail safe, retry
                reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
            was_up = self.health.up
            self.health.lost(reason)
            delay = _RETRY_FIRST if was_up else min(delay * 2, _RETRY_MAX)
            await asyncio.sleep(delay)

    def start(self) -> None:
        """Run :meth:`run` as a task of the running loop (idempotent)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self.run(), name="phalanx-whoami-invalidation"
            )

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.channel.close()


def channel_setting(config: Config, url: DatabaseURL) -> str:
    """``phalanx.session_cache.invalidation`` with its default filled in: unset means
    ``postgres`` on PostgreSQL and ``none`` on SQLite, MySQL/MariaDB and CockroachDB (which
    has no ``LISTEN``). Raises ``ConfigError`` for ``postgres`` on another database."""
    from phalanx.config import ConfigError

    setting = config.phalanx.session_cache.invalidation
    if setting is None:
        return "postgres" if url.dialect == "postgres" else "none"
    if setting == "postgres" and url.dialect != "postgres":
        raise ConfigError(
            "phalanx.session_cache.invalidation",
            f'"postgres" needs a PostgreSQL dsn (this one is {url.dialect}); use redis://',
        )
    return setting


def invalidation_for(
    config: Config, url: DatabaseURL, epoch: RevocationEpoch
) -> Invalidation | None:
    """The configured channel (see :func:`channel_setting`), or None for this host only."""
    setting = channel_setting(config, url)
    if setting == "none":
        return None
    if setting == "postgres":
        from phalanx.invalidation.postgres import PostgresChannel

        return Invalidation(epoch, PostgresChannel(url.sqlalchemy_url, url.connect_args()))
    from phalanx.invalidation.redis_pubsub import RedisChannel

    return Invalidation(epoch, RedisChannel(setting))
