"""Prometheus HTTP metrics, as Kratos's ``prometheusx`` records them.

Kratos wraps every matched route of both ports with one metrics manager
(``NewMetricsManagerWithPrefix("kratos", "http", version, hash, date)``) and exposes the
result on the admin port at ``/admin/metrics/prometheus``. Phalanx records the same
series, with the same names and labels:

* ``http_requests_total`` (counter; ``code``, ``method``, ``endpoint``)
* ``http_requests_duration_seconds`` (histogram; ``code``, ``method``, ``endpoint``)
* ``http_response_time_seconds`` (histogram; ``endpoint``)
* ``http_response_size_bytes`` and ``http_requests_size_bytes`` (histograms; ``code``,
  ``method``)
* ``http_requests_statuses_total`` (counter; ``method``, ``status_bucket`` = ``2xx`` ...)

Every series also carries Kratos's constant labels ``app="kratos"``, ``version``,
``hash`` and ``buildTime`` so dashboards built for Kratos work unchanged; Phalanx adds
``phalanx_build_info``. ``endpoint`` is the route *template* with its method, as Go's
``ServeMux`` pattern (``GET /admin/identities/{param}``), never the raw path, so the
number of series stays bounded. Requests no route matched (404, 405) count as
``{unmatched}`` (Kratos does not count them at all). ``method`` is the lower-case
method (``unknown`` for non-standard ones).

Metrics live in :data:`phalanx.metrics.REGISTRY`. Each process counts only its own
requests: with ``serve --workers N`` a scrape sees one worker. Set
``PROMETHEUS_MULTIPROC_DIR`` to an empty directory before starting Phalanx to use
prometheus_client's multiprocess mode instead; the endpoint then aggregates every worker
(without the process and runtime collectors and ``phalanx_build_info``, which that mode
cannot share).
"""

from __future__ import annotations

import os
import platform
import re
from bisect import bisect_left
from functools import lru_cache
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, Info
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.metrics_core import Metric
from starlette.routing import Mount, Route
from starlette.types import Scope

from phalanx import __version__
from phalanx.metrics import REGISTRY

__all__ = ["REGISTRY", "endpoint_label", "flush", "observe", "render_metrics"]

# Go's prometheus.DefBuckets, which Kratos's histograms use for times and sizes alike.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_CONST_NAMES = ("app", "version", "hash", "buildTime")
_CONST_VALUES = ("kratos", f"v{__version__}", "", "")
_METHODS = frozenset(
    ["GET", "PUT", "HEAD", "POST", "DELETE", "CONNECT", "OPTIONS", "NOTIFY", "TRACE", "PATCH"]
)
_PARAM = re.compile(r"\{[^}]+\}")
UNMATCHED = "{unmatched}"


class _FlushFirst:
    """Registered before the HTTP series, so it is collected before them: every collection
    of the registry (a scrape, or an embedding app's own exposition of
    :data:`~phalanx.metrics.REGISTRY`) first moves the tallied requests in (:func:`flush`)."""

    def describe(self) -> list[Metric]:
        return []  # no series of its own (and no collection when registered)

    def collect(self) -> list[Metric]:
        flush()
        return []


REGISTRY.register(_FlushFirst())


def _labels(*names: str) -> tuple[str, ...]:
    return (*_CONST_NAMES, *names)


_response_time = Histogram(
    "http_response_time_seconds",
    "Description",
    _labels("endpoint"),
    buckets=_BUCKETS,
    registry=REGISTRY,
)
_requests = Counter(
    "http_requests_total",
    "number of requests",
    _labels("code", "method", "endpoint"),
    registry=REGISTRY,
)
_duration = Histogram(
    "http_requests_duration_seconds",
    "duration of a requests in seconds",
    _labels("code", "method", "endpoint"),
    buckets=_BUCKETS,
    registry=REGISTRY,
)
_response_size = Histogram(
    "http_response_size_bytes",
    "size of the responses in bytes",
    _labels("code", "method"),
    buckets=_BUCKETS,
    registry=REGISTRY,
)
_request_size = Histogram(
    "http_requests_size_bytes",
    "size of the requests in bytes",
    _labels("code", "method"),
    buckets=_BUCKETS,
    registry=REGISTRY,
)
_statuses = Counter(
    "http_requests_statuses_total",
    "count number of responses per status",
    _labels("method", "status_bucket"),
    registry=REGISTRY,
)
_build = Info("phalanx_build", "Phalanx build information", registry=REGISTRY)
_build.info({"version": f"v{__version__}", "python": platform.python_version()})


@lru_cache(maxsize=1024)
def _template(method: str, path_format: str) -> str:
    return f"{method} {_PARAM.sub('{param}', path_format)}"


def endpoint_label(scope: Scope) -> str:
    """The route template Kratos uses as ``endpoint`` (``GET /sessions/{param}``)."""
    route = scope.get("route")
    method: str = scope.get("method", "GET")
    if isinstance(route, Route):
        if route.methods is not None and method not in route.methods:
            return UNMATCHED  # 405: no route matched the method
        if method == "HEAD" and route.methods is not None and "GET" in route.methods:
            method = "GET"  # a GET pattern serves HEAD in Go's ServeMux too
        return _template(method, route.path_format)
    if isinstance(route, Mount):
        return _template(method if method in _METHODS else "GET", route.path + "/{param}")
    return UNMATCHED


def _method(method: str) -> str:
    return method.lower() if method in _METHODS else "unknown"


def _status_bucket(status: int) -> str:
    if 200 <= status <= 599:
        return f"{status // 100}xx"
    return "unknown"


def _request_bytes(scope: Scope) -> int:
    """promhttp's approximate request size: URL, method, protocol, headers, body length."""
    size = len(scope.get("raw_path") or scope["path"].encode()) + len(
        scope.get("query_string", b"")
    )
    size += len(scope.get("method", "")) + len("HTTP/") + len(scope.get("http_version", ""))
    for name, value in scope.get("headers", []):
        size += len(name) + len(value)
        if name == b"content-length" and value.isdigit():
            size += int(value)
    return size


class _Tally:
    """The requests of one (status, method, endpoint) not yet moved into the Prometheus
    series: plain integers and floats, so recording a request costs a few additions.

    ``prometheus_client`` takes a lock and walks the bucket list for every ``observe``,
    and a request feeds four histograms and two counters: about a quarter of a cached
    whoami's CPU in its profile (issue #15). The tallies are moved into the real series
    (:func:`flush`) whenever the registry is collected, so a scrape sees every finished
    request."""

    __slots__ = (
        "children",
        "duration",
        "duration_sum",
        "request_size",
        "request_size_sum",
        "requests",
        "response_size",
        "response_size_sum",
    )

    def __init__(self, children: tuple[Any, ...]) -> None:
        self.children = children
        self.requests = 0
        self.duration = [0] * (len(_BUCKETS) + 1)  # the last one is +Inf
        self.duration_sum = 0.0
        self.response_size = [0] * (len(_BUCKETS) + 1)
        self.response_size_sum = 0.0
        self.request_size = [0] * (len(_BUCKETS) + 1)
        self.request_size_sum = 0.0

    def flush(self) -> None:
        if not self.requests:
            return
        response_size, requests, duration, response_time, request_size, statuses = self.children
        requests.inc(self.requests)
        statuses.inc(self.requests)
        _add(duration, self.duration, self.duration_sum)
        _add(response_time, self.duration, self.duration_sum)
        _add(response_size, self.response_size, self.response_size_sum)
        _add(request_size, self.request_size, self.request_size_sum)
        self.requests = 0
        self.duration = [0] * (len(_BUCKETS) + 1)
        self.duration_sum = 0.0
        self.response_size = [0] * (len(_BUCKETS) + 1)
        self.response_size_sum = 0.0
        self.request_size = [0] * (len(_BUCKETS) + 1)
        self.request_size_sum = 0.0


def _add(histogram: Any, counts: list[int], total: float) -> None:
    """Add tallied observations to a labelled ``prometheus_client`` histogram child: its
    per-bucket values (not cumulative, +Inf last, as its ``observe`` keeps them) and sum.
    ``prometheus_client`` has no public call for many observations at once; the pinned
    version's layout is checked by ``tests/http/test_metrics.py``."""
    buckets = histogram._buckets
    for index, count in enumerate(counts):
        if count:
            buckets[index].inc(count)
    histogram._sum.inc(total)


_SERIES_MAX = 4096
_tallies: dict[tuple[int, str, str], _Tally] = {}
#: In prometheus_client's multiprocess mode another process may scrape at any time, so
#: every request goes into the shared series at once (the slower, exact path).
_DEFER = "PROMETHEUS_MULTIPROC_DIR" not in os.environ


def _series(status: int, raw_method: str, endpoint: str) -> _Tally:
    """The tally of one (status, method, endpoint), with the six labelled children it
    flushes into, looked up once (a ``labels()`` call takes a lock and builds tuples).
    Every part of the key has few values (statuses, methods, route templates); past a
    bound, new series are flushed at once instead of kept."""
    method = _method(raw_method)
    const, code = _CONST_VALUES, str(status)
    return _Tally(
        (
            _response_size.labels(*const, code, method),
            _requests.labels(*const, code, method, endpoint),
            _duration.labels(*const, code, method, endpoint),
            _response_time.labels(*const, endpoint),
            _request_size.labels(*const, code, method),
            _statuses.labels(
                *const, raw_method if raw_method in _METHODS else "unknown", _status_bucket(status)
            ),
        )
    )


def observe(scope: Scope, status: int, response_bytes: int, seconds: float) -> None:
    """Record one finished request."""
    raw_method: str = scope.get("method", "")
    key = (status, raw_method, endpoint_label(scope))
    tally = _tallies.get(key)
    if tally is None:
        tally = _series(*key)
        if len(_tallies) < _SERIES_MAX:
            _tallies[key] = tally
    tally.requests += 1
    tally.duration[bisect_left(_BUCKETS, seconds)] += 1
    tally.duration_sum += seconds
    tally.response_size[bisect_left(_BUCKETS, response_bytes)] += 1
    tally.response_size_sum += response_bytes
    request_bytes = _request_bytes(scope)
    tally.request_size[bisect_left(_BUCKETS, request_bytes)] += 1
    tally.request_size_sum += request_bytes
    if not _DEFER or _tallies.get(key) is not tally:
        tally.flush()


def flush() -> None:
    """Move every tallied request into the Prometheus series (before a scrape)."""
    for tally in list(_tallies.values()):
        tally.flush()


def render_metrics() -> tuple[bytes, str]:
    """The Prometheus text exposition (format 0.0.4, as Kratos's ``promhttp.Handler``)."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_PLAIN_0_0_4
    return generate_latest(REGISTRY), CONTENT_TYPE_PLAIN_0_0_4
