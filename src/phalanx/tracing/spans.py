"""Request and database-statement spans (imported only when tracing is on)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer, set_span_in_context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

__all__ = ["RequestSpans", "StatementSpans"]

_PROPAGATOR = CompositePropagator([TraceContextTextMapPropagator(), W3CBaggagePropagator()])
_UNTRACED = ("/health/", "/admin/health/")
_OPERATION = re.compile(r"\s*(\w+)")


def _carrier(scope: Any) -> dict[str, str]:
    carrier: dict[str, str] = {}
    for name, value in scope.get("headers", ()):
        if name in (b"traceparent", b"tracestate", b"baggage"):
            carrier[name.decode()] = value.decode("latin-1")
    return carrier


class _Started:
    __slots__ = ("span", "token")

    def __init__(self, span: Span, token: object) -> None:
        self.span = span
        self.token = token


class RequestSpans:
    """One server span per HTTP request, made current while the request runs."""

    def __init__(self, tracer: Tracer, provider: TracerProvider) -> None:
        self.tracer = tracer
        self.provider = provider

    def start(self, scope: Any) -> _Started | None:
        path: str = scope.get("path", "")
        if path.startswith(_UNTRACED):
            return None
        parent = _PROPAGATOR.extract(_carrier(scope))
        client = scope.get("client")
        attributes: dict[str, Any] = {
            "http.request.method": scope.get("method", ""),
            "url.path": path,
            "url.scheme": scope.get("scheme", "http"),
        }
        if client:
            attributes["client.address"] = client[0]
        span = self.tracer.start_span(
            path, context=parent, kind=SpanKind.SERVER, attributes=attributes
        )
        token = otel_context.attach(set_span_in_context(span, parent))
        return _Started(span, token)

    def end(self, started: _Started, scope: Any, status: int) -> dict[str, str] | None:
        """End the span; the ``otel`` log field (``trace_id``, ``span_id``)."""
        span = started.span
        route = scope.get("route")
        route_path = getattr(route, "path_format", None)
        if route_path:
            span.set_attribute("http.route", route_path)
        span.set_attribute("http.response.status_code", status)
        if status >= 500:
            span.set_status(Status(StatusCode.ERROR))
        span.end()
        otel_context.detach(started.token)  # type: ignore[arg-type]
        ctx = span.get_span_context()
        if not ctx.is_valid:
            return None
        return {"trace_id": f"{ctx.trace_id:032x}", "span_id": f"{ctx.span_id:016x}"}


class StatementSpans:
    """One client span per database statement, child of the current span."""

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer

    def start(self, system: str, statement: str) -> Span:
        match = _OPERATION.match(statement)
        operation = match.group(1).upper() if match else "SQL"
        return self.tracer.start_span(
            f"{operation} {system}",
            kind=SpanKind.CLIENT,
            attributes={
                "db.system.name": system,
                "db.operation.name": operation,
                "db.query.text": statement,
            },
        )

    @staticmethod
    def finish(span: Span, error: BaseException | None = None) -> None:
        if error is not None:
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        span.end()

    @contextmanager
    def span(self, system: str, statement: str) -> Iterator[Span]:
        span = self.start(system, statement)
        try:
            yield span
        except BaseException as exc:
            self.finish(span, exc)
            raise
        self.finish(span)

    def instrument(self, engine: Any) -> None:
        """Wrap every statement of a SQLAlchemy (async) engine in a span."""
        from sqlalchemy import event

        sync_engine = getattr(engine, "sync_engine", engine)
        system = {"postgresql": "postgresql", "mysql": "mysql", "mariadb": "mariadb"}.get(
            sync_engine.dialect.name, sync_engine.dialect.name
        )

        def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            conn.info.setdefault("phalanx_spans", []).append(self.start(system, statement))

        def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            spans = conn.info.get("phalanx_spans")
            if spans:
                self.finish(spans.pop())

        def failed(context: Any) -> None:
            conn = context.connection
            spans = conn.info.get("phalanx_spans") if conn is not None else None
            if spans:
                self.finish(spans.pop(), context.original_exception)

        event.listen(sync_engine, "before_cursor_execute", before)
        event.listen(sync_engine, "after_cursor_execute", after)
        event.listen(sync_engine, "handle_error", failed)
