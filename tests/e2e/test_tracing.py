"""``tracing.provider: otel`` end to end (issue 9, item 16): a real ``phalanx serve`` sends
OTLP/HTTP to an in-process receiver; one server span per request, one client span per
database statement as its child, W3C ``traceparent`` honoured, the access line carries
the ids. And tracing off costs nothing: the SDK is not even imported."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from phalanx.testing import PASSWORD
from tests.support.identities import create_body, unique_email
from tests.support.paths import DATA
from tests.support.server import BACKENDS, PhalanxServer, ServerFactory, free_port

pytestmark = pytest.mark.e2e


class Receiver:
    """A minimal OTLP/HTTP trace receiver (``POST /v1/traces``, protobuf)."""

    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self.resources: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                with receiver.lock:
                    receiver.headers.append({k.lower(): v for k, v in self.headers.items()})
                    for resource_spans in request.resource_spans:
                        attrs = {
                            a.key: a.value.string_value for a in resource_spans.resource.attributes
                        }
                        receiver.resources.append(attrs)
                        for scope_spans in resource_spans.scope_spans:
                            for span in scope_spans.spans:
                                receiver.spans.append(
                                    {
                                        "name": span.name,
                                        "trace_id": span.trace_id.hex(),
                                        "span_id": span.span_id.hex(),
                                        "parent": span.parent_span_id.hex(),
                                        "kind": span.kind,
                                        "attributes": {
                                            a.key: (
                                                a.value.string_value
                                                or a.value.int_value
                                                or a.value.bool_value
                                            )
                                            for a in span.attributes
                                        },
                                    }
                                )
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.port = free_port()
        self.http = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def wait(self, predicate: Any, timeout: float = 20.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                found = [s for s in self.spans if predicate(s)]
            if found:
                return found
            assert time.monotonic() < deadline, f"no such span; got {self.spans}"
            time.sleep(0.05)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    yield r
    r.http.shutdown()


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, module_server_factory: ServerFactory, receiver: Receiver
) -> PhalanxServer:
    return module_server_factory.start(
        database=request.param,
        config={
            "log": {"level": "info", "format": "json"},
            "tracing": {
                "provider": "otel",
                "service_name": "phalanx-under-test",
                "deployment_environment": "ci",
                "providers": {
                    "otlp": {
                        "server_url": f"127.0.0.1:{receiver.port}",
                        "insecure": True,
                        "authorization_header": "Bearer t0ken",
                        "sampling": {"sampling_ratio": 1},
                    }
                },
            },
        },
        env={"OTEL_BSP_SCHEDULE_DELAY": "50"},
    )


def _session_token(server: PhalanxServer) -> str:
    email = unique_email("trace")
    httpx.post(
        f"{server.admin_url}/admin/identities",
        json=create_body(email, password=PASSWORD),
        timeout=10,
    ).raise_for_status()
    with httpx.Client(base_url=server.public_url, timeout=10) as api:
        flow = api.get("/self-service/login/api").json()
        r = api.post(
            f"/self-service/login?flow={flow['id']}",
            json={"method": "password", "identifier": email, "password": PASSWORD},
        )
        assert r.status_code == 200, r.text
        return str(r.json()["session_token"])


def test_request_and_statement_spans_reach_the_otlp_receiver(
    server: PhalanxServer, receiver: Receiver
) -> None:
    token = _session_token(server)
    trace_id, parent = secrets.token_hex(16), secrets.token_hex(8)  # one per backend
    r = httpx.get(
        f"{server.public_url}/sessions/whoami",
        headers={
            "Authorization": f"Bearer {token}",
            "traceparent": f"00-{trace_id}-{parent}-01",
            "X-Request-Id": f"trace-{trace_id}",
        },
        timeout=10,
    )
    assert r.status_code == 200
    [span] = receiver.wait(lambda s: s["trace_id"] == trace_id and s["parent"] == parent)
    assert span["name"] == "/sessions/whoami" and span["kind"] == 2  # SERVER
    assert span["attributes"]["http.request.method"] == "GET"
    assert span["attributes"]["http.response.status_code"] == 200
    assert span["attributes"]["http.route"] == "/sessions/whoami"
    statements = receiver.wait(
        lambda s: s["trace_id"] == trace_id and s["parent"] == span["span_id"]
    )
    assert all(s["kind"] == 3 for s in statements)  # CLIENT
    assert statements[0]["name"].startswith("SELECT ")
    assert "db.query.text" in statements[0]["attributes"]
    assert token not in json.dumps(receiver.spans)  # statements carry placeholders only

    # The access line names the same trace.
    deadline = time.monotonic() + 10
    while True:
        lines = [json.loads(x) for x in server.logs().splitlines() if x.startswith("{")]
        mine = [x for x in lines if x.get("request_id", "").startswith("trace-")]
        if mine or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert mine and mine[0]["otel"] == {"trace_id": trace_id, "span_id": span["span_id"]}
    resource = receiver.resources[-1]
    assert resource["service.name"] == "phalanx-under-test"
    assert resource["deployment.environment.name"] == "ci"
    assert receiver.headers[-1]["authorization"] == "Bearer t0ken"


def test_admin_writes_trace_their_sqlalchemy_statements(
    server: PhalanxServer, receiver: Receiver
) -> None:
    trace_id = secrets.token_hex(16)
    r = httpx.post(
        f"{server.admin_url}/admin/identities",
        json=create_body(unique_email("trace")),
        headers={"traceparent": f"00-{trace_id}-b7ad6b7169203331-01"},
        timeout=10,
    )
    assert r.status_code == 201
    [span] = receiver.wait(lambda s: s["trace_id"] == trace_id and s["kind"] == 2)
    assert span["name"] == "/admin/identities"
    children = receiver.wait(
        lambda s: s["parent"] == span["span_id"] and s["name"].startswith("INSERT")
    )
    assert children[0]["attributes"]["db.operation.name"] == "INSERT"


def test_health_checks_are_not_traced(server: PhalanxServer, receiver: Receiver) -> None:
    httpx.get(f"{server.public_url}/health/alive", timeout=10)
    httpx.get(f"{server.admin_url}/admin/health/ready", timeout=10)
    time.sleep(0.5)
    assert not [s for s in receiver.spans if "health" in s["name"]]


def test_tracing_off_imports_nothing_and_wraps_nothing(tmp_path: Any) -> None:
    code = """
import sys, asyncio
from phalanx import tracing
from phalanx.config import load_config
from phalanx.http.public import create_public_app
from phalanx.persistence.sql.engine import create_engine
from phalanx.registry import Registry
path = sys.argv[1]
config = load_config([path], env={})
assert tracing.configure(config.tracing) is False
async def main():
    registry = await Registry.build(config)
    create_public_app(registry)
    engine = create_engine("sqlite+aiosqlite:///" + sys.argv[2])
    listeners = engine.sync_engine.dispatch.before_cursor_execute
    assert not [f for f in listeners if f.__module__.startswith("phalanx.tracing")], listeners
    await engine.dispose()
    await registry.close()
asyncio.run(main())
assert tracing.request_spans() is None and tracing.statement_spans() is None
leaked = sorted(m for m in sys.modules if m.startswith("opentelemetry"))
assert not leaked, leaked
"""
    cfg = tmp_path / "k.yml"
    schema = (DATA / "identity.email.schema.json").as_uri()
    cfg.write_text(
        "dsn: memory\n"
        f"identity: {{schemas: [{{id: default, url: '{schema}'}}]}}\n"
        "selfservice: {default_browser_return_url: 'http://localhost:4455/'}\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(cfg), str(tmp_path / "x.db")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
