"""One middleware that observes every HTTP request: metrics, access log, trace span.

It wraps ``send`` once to learn the status and the response size, then, when the request
is finished, records the Prometheus series (:func:`phalanx.http.middleware.metrics.observe`)
and writes the access-log line (:class:`phalanx.logs.access.AccessLog`). With tracing on
(:mod:`phalanx.tracing`) the request runs inside a server span, so the database spans of
the statements it runs are its children; with tracing off nothing of it is touched.

Install it inside the Starlette app (``Starlette(middleware=[Middleware(ObserveRequests)])``)
so it sees the ``route`` the router puts into the scope. An exception escaping the app
counts as a 500, which is what the outer error middleware then sends.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from phalanx import tracing
from phalanx.http.middleware.metrics import observe
from phalanx.logs.access import AccessLog, request_id_of
from phalanx.logs.context import REQUEST_ID

__all__ = ["ObserveRequests"]


class ObserveRequests:
    """Plain ASGI middleware: metrics + access log (+ a span when tracing is on)."""

    def __init__(self, app: ASGIApp, access_log: AccessLog | None = None) -> None:
        self.app = app
        self.access_log = access_log or AccessLog()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter_ns()
        request_id = request_id_of(scope.get("headers", ()))
        token = REQUEST_ID.set(request_id)
        state: dict[str, Any] = {"status": 0, "bytes": 0}
        spans = tracing.request_spans()
        span = spans.start(scope) if spans is not None else None

        async def send_and_count(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
            elif message["type"] == "http.response.body":
                state["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_and_count)
        except BaseException:
            if not state["status"]:
                state["status"] = 500
            raise
        finally:
            took = time.perf_counter_ns() - start
            status: int = state["status"]
            observe(scope, status, state["bytes"], took / 1e9)
            otel = None
            if span is not None and spans is not None:
                otel = spans.end(span, scope, status)
            self.access_log.emit(scope, status, state["bytes"], took, request_id, otel)
            REQUEST_ID.reset(token)
