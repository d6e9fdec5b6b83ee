"""OpenTelemetry tracing, configured as Kratos configures it (``tracing.*``).

``tracing.provider: otel`` sends spans over OTLP/HTTP to
``tracing.providers.otlp.server_url`` (``host:port``; ``http`` when ``insecure: true``, else
``https``; path ``/v1/traces``) with the optional ``authorization_header``, sampled
parent-based at ``sampling.sampling_ratio`` (default 1), in batches; the resource carries
``service.name`` (``tracing.service_name``, default ``Phalanx``) and
``deployment.environment.name``. Incoming W3C ``traceparent``/``baggage`` headers are
honoured.

Spans: one server span per HTTP request (named by the URL path, as Kratos's
``otelx.TraceHandler``; health checks are not traced) and one client span per database
statement, child of the request's span (SQLAlchemy engine events, plus the whoami
lookup that runs on the driver).

Off (no provider) nothing is imported and nothing is wrapped: :func:`request_spans`
returns ``None`` and engines get no listeners. Configure once per process, after forking
(the batch exporter runs a thread): ``serve`` does it in every worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from phalanx.config.model_core import TracingConfig
    from phalanx.tracing.spans import RequestSpans, StatementSpans

__all__ = ["configure", "request_spans", "shutdown", "statement_spans"]

_requests: RequestSpans | None = None
_statements: StatementSpans | None = None


def request_spans() -> RequestSpans | None:
    """The request span factory, or ``None`` when tracing is off."""
    return _requests


def statement_spans() -> StatementSpans | None:
    """The database statement span factory, or ``None`` when tracing is off."""
    return _statements


def configure(config: TracingConfig, *, exporter: object | None = None) -> bool:
    """Set tracing up for this process from ``tracing.*``; True when it is on.

    ``exporter`` (an OpenTelemetry ``SpanExporter``) replaces the OTLP one (tests).
    """
    global _requests, _statements
    if (config.provider or "") == "" and exporter is None:
        _requests = _statements = None
        return False
    from phalanx.tracing.setup import build_provider
    from phalanx.tracing.spans import RequestSpans, StatementSpans

    provider = build_provider(config, exporter=exporter)
    tracer = provider.get_tracer("phalanx")
    _requests = RequestSpans(tracer, provider)
    _statements = StatementSpans(tracer)
    return True


def shutdown() -> None:
    """Flush and stop the exporter (end of the process)."""
    global _requests, _statements
    if _requests is not None:
        _requests.provider.shutdown()
    _requests = _statements = None
