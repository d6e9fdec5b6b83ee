"""Build the OpenTelemetry SDK tracer provider from ``tracing.*`` (imported only when on)."""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from phalanx.config.model_core import TracingConfig

__all__ = ["DEFAULT_SERVICE_NAME", "TracingSetupError", "build_provider", "otlp_endpoint"]

DEFAULT_SERVICE_NAME = "Phalanx"


class TracingSetupError(ValueError):
    """``tracing.*`` cannot be used (unknown provider, missing server URL)."""


def _otlp(config: TracingConfig) -> dict[str, Any]:
    providers = config.providers or {}
    otlp = providers.get("otlp") or {}
    return otlp if isinstance(otlp, dict) else {}


def otlp_endpoint(config: TracingConfig) -> str:
    """``http(s)://<server_url>/v1/traces`` (Go's ``otlptracehttp.WithEndpoint``)."""
    otlp = _otlp(config)
    server = str(otlp.get("server_url") or "").strip()
    if not server:
        raise TracingSetupError(
            "tracing.provider is otel but tracing.providers.otlp.server_url is not set"
        )
    scheme = "http" if otlp.get("insecure") else "https"
    return f"{scheme}://{server}/v1/traces"


def _exporter(config: TracingConfig) -> SpanExporter:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    otlp = _otlp(config)
    headers = {}
    if otlp.get("authorization_header"):
        headers["Authorization"] = str(otlp["authorization_header"])
    return OTLPSpanExporter(endpoint=otlp_endpoint(config), headers=headers)


def build_provider(config: TracingConfig, *, exporter: Any = None) -> TracerProvider:
    """A tracer provider exporting to ``exporter`` (given) or OTLP/HTTP (``provider: otel``)."""
    if exporter is None and config.provider != "otel":
        raise TracingSetupError(
            f"tracing.provider {config.provider!r} is not supported by Phalanx (use otel)"
        )
    sampling = _otlp(config).get("sampling") or {}
    ratio = sampling.get("sampling_ratio", 1) if isinstance(sampling, dict) else 1
    attributes = {"service.name": config.service_name or DEFAULT_SERVICE_NAME}
    if config.deployment_environment:
        attributes["deployment.environment.name"] = config.deployment_environment
    provider = TracerProvider(
        resource=Resource.create(attributes),
        sampler=ParentBased(TraceIdRatioBased(float(ratio))),
    )
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        provider.add_span_processor(BatchSpanProcessor(_exporter(config)))
    return provider
