"""Log lines, redaction, report-once: the pieces of :mod:`phalanx.logs` in process."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from typing import Any

import pytest

from phalanx.config import load_config
from phalanx.logs import once, redact
from phalanx.logs.access import AccessLog, request_id_of
from phalanx.logs.render import render_json, render_text
from phalanx.logs.setup import LineWriter, StructuredHandler, configure
from phalanx.metrics import DEPENDENCY_FAILURES


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    redact.configure(leak=False, text=None)
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in handlers:
        root.addHandler(h)
    root.setLevel(level)


class Capture:
    """A LineWriter over a pipe: what the process would write to stderr."""

    def __init__(self, fmt: str = "json") -> None:
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        from phalanx.logs.render import renderer

        self.writer = LineWriter(renderer(fmt), fd=self.write_fd)

    def lines(self) -> list[str]:
        try:
            data = os.read(self.read_fd, 1 << 20)
        except BlockingIOError:
            return []
        return data.decode().splitlines()


def _logger(capture: Capture, level: int = logging.DEBUG) -> logging.Logger:
    log = logging.getLogger("phalanx.test.logs")
    log.handlers[:] = [StructuredHandler(capture.writer)]
    log.propagate = False
    log.setLevel(level)
    return log


def test_json_lines_carry_logrus_fields_and_extras() -> None:
    line = json.loads(render_json("info", "hello", {"a": {"b": 1}}, 0.5))
    assert line == {
        "audience": "application",
        "service_name": "Phalanx",
        "service_version": line["service_version"],
        "a": {"b": 1},
        "level": "info",
        "msg": "hello",
        "time": "1970-01-01T00:00:00.5Z",
    }


def test_text_lines_are_logfmt_with_dotted_fields() -> None:
    text = render_text("warning", "two words", {"http": {"status": 200, "path": "/a b"}}, 0)
    assert text.decode() == (
        'time=1970-01-01T00:00:00Z level=warning msg="two words" audience=application '
        "service_name=Phalanx service_version="
        + text.decode().split("service_version=")[1].split(" ")[0]
        + ' http.status=200 http.path="/a b"\n'
    )


@pytest.mark.parametrize(
    "raw",
    [
        "Unable to deliver to josé@example.org: refused",
        "{'a.b+c@example.co.uk': (550, b'no such user')}",
        "token ory_st_abcdefABCDEF0123456789 was refused",
        "GET /self-service/verification?flow=1234&code=987654 failed",
        "sms to +49 151 2345678 failed",
    ],
)
def test_scrub_removes_addresses_tokens_query_values_and_phones(raw: str) -> None:
    scrubbed = redact.scrub(raw)
    for secret in (
        "josé@example.org",
        "a.b+c@example.co.uk",
        "ory_st_abc",
        "987654",
        "1234",
        "2345678",
    ):
        assert secret not in scrubbed, scrubbed
    assert redact.DEFAULT_REDACTION_TEXT in scrubbed
    redact.configure(leak=True, text=None)
    assert redact.scrub(raw) == raw


def test_redaction_text_and_sensitive_values() -> None:
    capture = Capture()
    log = _logger(capture)
    redact.configure(leak=False, text="[hidden]")
    log.warning("to %s", redact.sensitive("a@example.org"), extra={"to": redact.sensitive("x")})
    [line] = [json.loads(x) for x in capture.lines()]
    assert line["msg"] == "to [hidden]" and line["to"] == "[hidden]"
    redact.configure(leak=True, text="[hidden]")
    log.warning("to %s", redact.sensitive("a@example.org"), extra={"to": redact.sensitive("x")})
    [line] = [json.loads(x) for x in capture.lines()]
    assert line["msg"] == "to a@example.org" and line["to"] == "x"


def test_exceptions_become_a_scrubbed_error_field() -> None:
    capture = Capture()
    log = _logger(capture)
    try:
        raise ValueError("recipient bob@example.org refused")
    except ValueError:
        log.exception("boom")
    [line] = [json.loads(x) for x in capture.lines()]
    assert line["level"] == "error" and line["msg"] == "boom"
    assert "bob@example.org" not in json.dumps(line)
    assert line["error"]["message"].startswith("recipient Value is sensitive")
    assert "Traceback" in line["error"]["stack_trace"]


def test_dependency_failures_are_logged_once_then_counted(caplog: pytest.LogCaptureFixture) -> None:
    name = "test_dependency"
    before = DEPENDENCY_FAILURES.labels(name)._value.get()
    with caplog.at_level(logging.DEBUG, logger="phalanx.dependencies"):
        for _ in range(5):
            once.dependency_failed(name, "it failed: %s", "refused")
        once.dependency_recovered(name)
        once.dependency_recovered(name)
        once.dependency_failed(name, "it failed: %s", "again")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage().split(" (")[0] for r in warnings] == [
        "it failed: refused",
        "it failed: again",
    ]
    assert "phalanx_dependency_failures_total" in warnings[0].getMessage()
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.INFO] == [
        "test_dependency works again"
    ]
    assert DEPENDENCY_FAILURES.labels(name)._value.get() - before == 6
    once.dependency_recovered(name)


def _scope(**extra: Any) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": "/self-service/verification",
        "raw_path": b"/self-service/verification",
        "query_string": b"flow=abc&code=123456",
        "client": ("127.0.0.1", 5000),
        "scheme": "http",
        "headers": [(b"host", b"h:1"), (b"user-agent", b"ua"), (b"cookie", b"secret")],
    }
    scope.update(extra)
    return scope


def test_access_line_fields_and_redacted_query() -> None:
    capture = Capture()
    logging.getLogger().setLevel(logging.INFO)
    AccessLog(capture.writer).emit(_scope(), 303, 12, 1_500_000, "rid-1")
    [line] = [json.loads(x) for x in capture.lines()]
    assert line["msg"] == "completed handling request" and line["level"] == "info"
    assert line["request_id"] == "rid-1"
    assert line["http_request"] == {
        "method": "GET",
        "path": "/self-service/verification",
        "query": redact.DEFAULT_REDACTION_TEXT,
        "remote": "127.0.0.1:5000",
        "scheme": "http",
        "host": "h:1",
        "headers": {"user-agent": "ua"},
    }
    assert line["http_response"] == {
        "status": 303,
        "size": 12,
        "text_status": "See Other",
        "took": 1_500_000,
    }
    redact.configure(leak=True, text=None)
    AccessLog(capture.writer).emit(_scope(), 200, 0, 1, "rid-2")
    [line] = [json.loads(x) for x in capture.lines()]
    assert line["http_request"]["query"] == "flow=abc&code=123456"


def test_health_checks_are_logged_at_trace_only() -> None:
    capture = Capture()
    logging.getLogger().setLevel(logging.DEBUG)
    AccessLog(capture.writer).emit(_scope(path="/health/ready", raw_path=None), 200, 0, 1, "r")
    assert capture.lines() == []
    logging.getLogger().setLevel(5)
    AccessLog(capture.writer).emit(_scope(path="/health/ready", raw_path=None), 200, 0, 1, "r")
    [line] = [json.loads(x) for x in capture.lines()]
    assert line["level"] == "trace"


def test_request_ids_come_from_the_header_when_they_are_plain() -> None:
    assert request_id_of([(b"x-request-id", b"abc-123")]) == "abc-123"
    made = request_id_of([(b"x-request-id", b"bad id\n")])
    assert made != "bad id\n" and len(made) == 16
    assert request_id_of([]) != request_id_of([])


def test_configure_reads_log_keys(tmp_path: Any) -> None:
    path = tmp_path / "k.yml"
    path.write_text(
        "dsn: memory\n"
        "identity: {schemas: [{id: default, url: 'file:///etc/identity.schema.json'}]}\n"
        "selfservice: {default_browser_return_url: 'http://localhost:4455/'}\n"
        "log: {level: debug, format: json, leak_sensitive_values: true, redaction_text: '***'}\n"
    )
    config = load_config([path], env={})
    configure(config)
    assert logging.getLogger().level == logging.DEBUG
    assert redact.leak_sensitive() and redact.redaction_text() == "***"


def test_the_fast_text_access_line_equals_the_generic_rendering() -> None:
    capture = Capture("text")
    logging.getLogger().setLevel(logging.INFO)
    scope = _scope(headers=[(b"host", b"h:1"), (b"user-agent", b"a b")])
    AccessLog(capture.writer).emit(scope, 200, 5, 7, "rid", {"trace_id": "t", "span_id": "s"})
    [fast] = capture.lines()
    fields = {
        "request_id": "rid",
        "http_request": {
            "method": "GET",
            "path": "/self-service/verification",
            "query": redact.DEFAULT_REDACTION_TEXT,
            "remote": "127.0.0.1:5000",
            "scheme": "http",
            "host": "h:1",
            "headers": {"user-agent": "a b"},
        },
        "http_response": {"status": 200, "size": 5, "text_status": "OK", "took": 7},
        "otel": {"trace_id": "t", "span_id": "s"},
    }
    generic = render_text("info", "completed handling request", fields, 0).decode().rstrip("\n")
    assert fast.split(" ", 1)[1] == generic.split(" ", 1)[1]  # all but the time
