"""The HTTP metrics recorder: requests are tallied cheaply and moved into the Prometheus
series before a scrape; what a scrape shows must equal what ``prometheus_client`` would
have shown had every request been observed directly."""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.exposition import generate_latest
from starlette.routing import Route

from phalanx.http.middleware import metrics

_ROUTE = Route("/tally/{id}", lambda request: None, methods=["GET"])
_TIMES = [0.0001, 0.005, 0.0050001, 0.02, 0.3, 0.3, 7.0, 11.0, 0.0]
_SIZES = [0, 5, 6, 1_000, 20_000]


def _scope() -> dict[str, object]:
    headers = [(b"host", b"127.0.0.1")]
    return {
        "type": "http",
        "method": "GET",
        "path": "/tally/1",
        "raw_path": b"/tally/1",
        "query_string": b"",
        "http_version": "1.1",
        "headers": headers,
        "route": _ROUTE,
    }


def _samples(text: str, name: str) -> dict[str, float]:
    """``{le or "": value}`` of the series ``name`` of the test endpoint, code 200."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        if 'endpoint="GET /tally/{param}"' not in line or 'code="200"' not in line:
            continue
        le = re.search(r'le="([^"]+)"', line)
        out[le[1] if le else ""] = float(line.rsplit(" ", 1)[1])
    return out


def _reference(values: list[float]) -> dict[str, float]:
    registry = CollectorRegistry()
    histogram = Histogram("ref", "ref", buckets=metrics._BUCKETS, registry=registry)
    for value in values:
        histogram.observe(value)
    text = generate_latest(registry).decode()
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("ref_bucket{"):
            le = re.search(r'le="([^"]+)"', line)
            assert le is not None
            out[le[1]] = float(line.rsplit(" ", 1)[1])
        elif line.startswith("ref_sum ") or line.startswith("ref_count "):
            out[line.split(" ")[0][4:]] = float(line.rsplit(" ", 1)[1])
    return out


def _delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: after[k] - before.get(k, 0.0) for k in after}


def test_a_scrape_shows_every_request_as_direct_observation_would() -> None:
    before, _ = metrics.render_metrics()
    for seconds in _TIMES:
        metrics.observe(_scope(), 200, 17, seconds)
    after, _ = metrics.render_metrics()
    name = "http_requests_duration_seconds_bucket"
    got = _delta(_samples(before.decode(), name), _samples(after.decode(), name))
    want = {k: v for k, v in _reference(_TIMES).items() if k not in ("sum", "count")}
    assert got == want
    total = _delta(
        _samples(before.decode(), "http_requests_total"),
        _samples(after.decode(), "http_requests_total"),
    )
    assert total == {"": float(len(_TIMES))}
    sums = _delta(
        _samples(before.decode(), "http_requests_duration_seconds_sum"),
        _samples(after.decode(), "http_requests_duration_seconds_sum"),
    )
    assert abs(sums[""] - sum(_TIMES)) < 1e-9


def test_response_sizes_land_in_the_buckets_prometheus_would_choose() -> None:
    scope = _scope()
    tally_before = metrics._series(201, "GET", metrics.endpoint_label(scope))
    histogram = tally_before.children[0]
    counts_before = [b.get() for b in histogram._buckets]
    for size in _SIZES:
        metrics.observe(scope, 201, size, 0.001)
    metrics.flush()
    counts = [b.get() - c for b, c in zip(histogram._buckets, counts_before, strict=True)]
    reference = Histogram("ref_sizes", "r", buckets=metrics._BUCKETS, registry=CollectorRegistry())
    for size in _SIZES:
        reference.observe(size)
    assert counts == [b.get() for b in reference._buckets]


def test_nothing_is_left_in_a_tally_after_a_scrape() -> None:
    metrics.observe(_scope(), 202, 1, 0.001)
    metrics.render_metrics()
    assert all(t.requests == 0 for t in metrics._tallies.values())


def test_any_collection_of_the_registry_sees_the_tallied_requests() -> None:
    """An embedding app exposing :data:`phalanx.metrics.REGISTRY` itself (not through
    ``render_metrics``) sees every finished request too."""
    from phalanx.metrics import REGISTRY

    name = "http_requests_total"
    before = _samples(generate_latest(REGISTRY).decode(), name)
    metrics.observe(_scope(), 200, 3, 0.002)
    metrics.observe(_scope(), 200, 3, 0.002)
    after = _samples(generate_latest(REGISTRY).decode(), name)
    assert _delta(before, after) == {"": 2.0}
