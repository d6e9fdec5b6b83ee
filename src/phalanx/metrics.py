"""Phalanx's Prometheus registry and the metrics that are not about HTTP requests.

:data:`REGISTRY` is what ``/admin/metrics/prometheus`` renders (the HTTP series are
defined in :mod:`phalanx.http.middleware.metrics`). It is a registry of Phalanx's own
(plus the process and Python runtime collectors), so an application embedding Phalanx
keeps its default registry to itself; importing this module turns off prometheus_client's
``*_created`` series process-wide (Kratos has none).

``phalanx_dependency_failures_total{dependency}`` counts failed calls to services Phalanx
depends on but does not own (``smtp``, ``courier_http``, ``haveibeenpwned``); see
:mod:`phalanx.logs.once` for the log side (reported once, then only counted).

``phalanx_sql_transaction_retries_total{operation}`` counts transactions the database
aborted for a conflict (serialization failure, deadlock, lock wait timeout) that were run
again (:meth:`phalanx.persistence.sql.engine.Database.run_in_transaction`).
"""

from __future__ import annotations

import os

from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)

__all__ = [
    "AUDIT_EVENTS",
    "AUDIT_WRITE_FAILURES",
    "DEPENDENCY_FAILURES",
    "RATE_LIMITED",
    "REGISTRY",
    "TRANSACTION_RETRIES",
]

# Kratos (Go) does not expose *_created series.
disable_created_metrics()  # type: ignore[no-untyped-call]

REGISTRY = CollectorRegistry(auto_describe=True)
"""Phalanx's metrics registry (what ``/admin/metrics/prometheus`` renders)."""

if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    ProcessCollector(registry=REGISTRY)
    PlatformCollector(registry=REGISTRY)
    GCCollector(registry=REGISTRY)

DEPENDENCY_FAILURES = Counter(
    "phalanx_dependency_failures_total",
    "failed calls to an external service (smtp, courier_http, haveibeenpwned)",
    ["dependency"],
    registry=REGISTRY,
)

AUDIT_EVENTS = Counter(
    "phalanx_audit_events_total",
    "audit events recorded (phalanx.audit), by type and outcome",
    ["type", "outcome"],
    registry=REGISTRY,
)

AUDIT_WRITE_FAILURES = Counter(
    "phalanx_audit_write_failures_total",
    "audit events that could not be stored (the database refused or was unreachable)",
    registry=REGISTRY,
)

RATE_LIMITED = Counter(
    "phalanx_rate_limited_total",
    "requests refused by phalanx.rate_limits, by action and budget (id, ip, lockout)",
    ["action", "budget"],
    registry=REGISTRY,
)

TRANSACTION_RETRIES = Counter(
    "phalanx_sql_transaction_retries_total",
    "transactions run again after the database aborted them for a conflict "
    "(serialization failure, deadlock, lock wait timeout), by operation",
    ["operation"],
    registry=REGISTRY,
)
