"""Whether this process may answer whoami from its cache: its listener is subscribed."""

from __future__ import annotations

import logging

from prometheus_client import Gauge

from phalanx.logs import dependency_failed, dependency_recovered
from phalanx.metrics import REGISTRY

__all__ = ["BYPASSED", "DEPENDENCY", "ChannelHealth"]

log = logging.getLogger("phalanx.invalidation")

DEPENDENCY = "whoami_invalidation"
"""The ``dependency`` label of ``phalanx_dependency_failures_total`` for channel losses."""

BYPASSED = Gauge(
    "phalanx_session_cache_bypassed",
    "1 while this process answers whoami from the database because its cross-host "
    "invalidation channel is not subscribed (starting, lost or reconnecting)",
    registry=REGISTRY,
)


class ChannelHealth:
    """The gate :class:`~phalanx.session.cache.WhoamiCache` checks on every get and put.

    ``up`` is False until the listener is subscribed, and again from the moment it loses
    its subscription until it has one again. A loss is logged once per outage (and counted
    in ``phalanx_dependency_failures_total{dependency="whoami_invalidation"}``), the gauge
    ``phalanx_session_cache_bypassed`` is 1 meanwhile."""

    __slots__ = ("channel", "up")

    def __init__(self, channel: str, *, up: bool = False) -> None:
        self.channel = channel
        self.up = up
        BYPASSED.set(0 if up else 1)

    def lost(self, reason: str) -> None:
        self.up = False
        BYPASSED.set(1)
        dependency_failed(
            DEPENDENCY,
            "whoami cache bypassed: the %s invalidation channel is down (%s); whoami reads "
            "the database until it is back",
            self.channel,
            reason,
        )

    def restored(self) -> None:
        self.up = True
        BYPASSED.set(0)
        dependency_recovered(DEPENDENCY)
