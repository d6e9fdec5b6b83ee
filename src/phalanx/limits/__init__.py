"""Brute-force protection (Phalanx only, ``phalanx.rate_limits``): throttling of every
guessable secret and message sender, lockout, counters shared across processes and hosts.

Modules, one job each: :mod:`~phalanx.limits.keys` (what a budget is counted under,
identifiers normalised as the identity schema does), :mod:`~phalanx.limits.address` (the
client address, ``X-Forwarded-For`` only from trusted proxies), :mod:`~phalanx.limits.policy`
(the config as budgets), :mod:`~phalanx.limits.counters` (the store contract) with
:mod:`~phalanx.limits.sql_counters` (the database, default) and
:mod:`~phalanx.limits.redis_counters` (Redis), :mod:`~phalanx.limits.limiter` (checks,
lockout, refusals). The registry builds one :class:`Limiter` with :func:`build_limiter`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from phalanx.limits.address import ClientAddress
from phalanx.limits.keys import Action, KeyMaker
from phalanx.limits.limiter import Limiter, LockoutNotifier
from phalanx.limits.policy import Policy

if TYPE_CHECKING:
    from phalanx.config.model_limits import RateLimitsConfig
    from phalanx.persistence.sql.engine import Database

__all__ = ["Action", "Limiter", "build_limiter"]


def build_limiter(
    config: RateLimitsConfig,
    database: Database,
    secret: str,
    *,
    on_lockout: LockoutNotifier | None = None,
) -> Limiter:
    """The limiter for ``phalanx.rate_limits``: counters in Redis when ``redis_url`` is
    set, else in ``database``; ``secret`` keys the stored counter digests."""
    from phalanx.limits.counters import Counters

    counters: Counters
    if config.redis_url:
        from phalanx.limits.redis_counters import RedisCounters

        counters, name = RedisCounters(config.redis_url), "redis"
    else:
        from phalanx.limits.sql_counters import SQLCounters

        counters, name = SQLCounters(database), "database"
    return Limiter(
        Policy.from_config(config),
        counters,
        KeyMaker(secret),
        ClientAddress(config.trusted_proxies),
        store_name=name,
        on_lockout=on_lockout,
    )
