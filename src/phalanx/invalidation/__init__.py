"""Cross-host invalidation of the whoami cache (a Phalanx addition; Kratos has no cache).

Every write that can change a ``/sessions/whoami`` answer goes through
:func:`phalanx.persistence.sql.changes.notifying_write`, which advances this host's
revocation epoch (:mod:`phalanx.session.epoch`) and, through :class:`Invalidation`, tells
every other host sharing the database over a :class:`Channel`:

* :class:`PostgresChannel`: ``pg_notify`` inside the write transaction (delivered with the
  commit), ``LISTEN`` on a dedicated asyncpg connection per worker process;
* :class:`RedisChannel`: ``PUBLISH`` after the commit, ``SUBSCRIBE`` per worker process
  (``phalanx.session_cache.invalidation: redis://…``; any database).

A listener that hears another host's message advances the epoch of the identities it
names, so this host's next whoami for them reads the database. While a listener is not
subscribed (starting, connection lost, heartbeat unanswered, reconnecting) its
:class:`ChannelHealth` is down and the whoami cache is bypassed; once it is subscribed
again it advances everyone's epoch (messages may have been missed) before the cache is
used again.
"""

from __future__ import annotations

from phalanx.invalidation.channel import Channel
from phalanx.invalidation.health import ChannelHealth
from phalanx.invalidation.notifier import Invalidation, channel_setting, invalidation_for
from phalanx.invalidation.postgres import PostgresChannel
from phalanx.invalidation.redis_pubsub import RedisChannel

__all__ = [
    "Channel",
    "ChannelHealth",
    "Invalidation",
    "PostgresChannel",
    "RedisChannel",
    "channel_setting",
    "invalidation_for",
]
