"""uvicorn's httptools protocol with the limits slow clients need (``phalanx.connections``).

uvicorn closes idle keep-alive connections, but a client that sends half a request line or
half its headers, or announces a body it never sends, holds its connection (and a file
descriptor) forever; a thousand of them exhaust a process. :func:`guarded_protocol` returns
a protocol class that

* closes a connection whose request headers are not complete ``header_timeout`` after the
  connection opened or the request's first byte arrived;
* closes a connection whose request body is not complete ``body_timeout`` after its headers
  (the application then sees a disconnect);
* closes new connections at once while ``max_connections`` are open in this process.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from phalanx.config.model_core import ConnectionsConfig

__all__ = ["guarded_protocol"]

log = logging.getLogger("phalanx.http")


class _GuardedProtocol(HttpToolsProtocol):
    header_timeout: float = 10.0
    body_timeout: float = 60.0
    max_connections: int = 4096
    #: When the current phase (headers, body) must be complete; None between requests.
    _deadline_at: float | None = None
    #: The one timer of this connection and when it fires. Moving the deadline later does
    #: not touch it (it re-arms itself for the rest when it fires): a request costs an
    #: attribute write, not a timer started and cancelled twice.
    _timer: asyncio.TimerHandle | None = None
    _timer_at: float = 0.0

    def _arm(self, seconds: float) -> None:
        at = self.loop.time() + seconds
        self._deadline_at = at
        if self._timer is None or at < self._timer_at:
            self._schedule(at)

    def _schedule(self, at: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.loop.call_at(at, self._expired)
        self._timer_at = at

    def _disarm(self) -> None:
        self._deadline_at = None  # a pending timer finds nothing to do

    def _expired(self) -> None:
        self._timer = None
        at = self._deadline_at
        if at is None:
            return
        if self.loop.time() < at:  # the deadline moved on since the timer was set
            self._schedule(at)
            return
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            log.debug("connection limit reached (%d): closing", self.max_connections)
            transport.close()
            return
        self._arm(self.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm(self.header_timeout)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._arm(self.body_timeout)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()


def guarded_protocol(config: ConnectionsConfig) -> type[HttpToolsProtocol]:
    """A protocol class for ``uvicorn.Config(http=...)`` enforcing ``config``."""
    return type(
        "GuardedHttpToolsProtocol",
        (_GuardedProtocol,),
        {
            "header_timeout": config.header_timeout.total_seconds(),
            "body_timeout": config.body_timeout.total_seconds(),
            "max_connections": config.max_connections,
        },
    )
