"""Logs of a real ``phalanx serve`` as Kratos users expect them (issue 9, items 11 and 14):
``log.format`` json/text, ``log.level``, one access line per request with a redacted query,
``log.leak_sensitive_values``/``log.redaction_text``, and an unreachable SMTP server or
Have I Been Pwned reported once, then counted in ``phalanx_dependency_failures_total``."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from phalanx.testing import create_identity
from tests.support.identities import unique_email
from tests.support.server import PhalanxServer, ServerFactory, deep_merge, free_port

pytestmark = pytest.mark.e2e

REDACTED = "Value is sensitive and has been redacted."


class _Refuse:
    """An SMTP server that refuses every recipient the way Postfix does (naming it)."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, *a: Any
    ) -> str:
        return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"


@pytest.fixture(scope="module")
def refusing_smtp() -> Iterator[str]:
    port = free_port()
    controller = Controller(_Refuse(), hostname="127.0.0.1", port=port, ready_timeout=5)
    controller.start()
    yield f"smtp://127.0.0.1:{port}/?disable_starttls=true"
    controller.stop()


def _config(smtp: str, log: dict[str, Any], **more: Any) -> dict[str, Any]:
    base = {
        "log": log,
        "courier": {
            "smtp": {"connection_uri": smtp, "from_address": "no-reply@phalanx.test"},
            "worker": {"pull_wait": "100ms"},
            "message_retries": 0,
        },
        "selfservice": {
            "methods": {
                "password": {"enabled": True, "config": {"haveibeenpwned_enabled": False}},
                "code": {"enabled": True},
            },
            "flows": {"verification": {"enabled": True, "use": "code"}},
        },
    }
    return deep_merge(base, more)


def _verify(server: PhalanxServer, email: str) -> str:
    """Ask for a verification code for ``email``; the flow id."""
    with httpx.Client(base_url=server.public_url, timeout=10) as api:
        flow = api.get("/self-service/verification/api").json()
        r = api.post(
            f"/self-service/verification?flow={flow['id']}",
            json={"method": "code", "email": email},
        )
        assert r.status_code == 200, r.text
        return str(flow["id"])


def _failures(server: PhalanxServer, dependency: str) -> float:
    text = httpx.get(f"{server.admin_url}/admin/metrics/prometheus", timeout=10).text
    match = re.search(
        rf'^phalanx_dependency_failures_total{{dependency="{dependency}"}} (\S+)$', text, re.M
    )
    return float(match.group(1)) if match else 0.0


def _wait_for(predicate: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _json_lines(server: PhalanxServer) -> list[dict[str, Any]]:
    lines = []
    for raw in server.logs().splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    return lines


@pytest.fixture(scope="module")
def quiet(module_server_factory: ServerFactory, refusing_smtp: str) -> PhalanxServer:
    return module_server_factory.start(
        config=_config(refusing_smtp, {"level": "info", "format": "json"}),
        args=("--watch-courier",),
    )


def test_json_access_lines_one_per_request_with_redacted_query(quiet: PhalanxServer) -> None:
    r = httpx.get(
        f"{quiet.public_url}/self-service/login/api?refresh=true&x=ory_st_secretsecret",
        headers={"X-Request-Id": "req-123", "User-Agent": "test-agent"},
        timeout=10,
    )
    assert r.status_code == 200
    httpx.get(f"{quiet.public_url}/health/alive", timeout=10)
    httpx.get(f"{quiet.admin_url}/admin/identities", timeout=10)

    def mine() -> list[dict[str, Any]]:
        return [line for line in _json_lines(quiet) if line.get("request_id") == "req-123"]

    def paths() -> list[str]:
        return [x["http_request"]["path"] for x in _json_lines(quiet) if "http_request" in x]

    _wait_for(lambda: len(mine()) == 1 and "/admin/identities" in paths())
    [line] = mine()
    assert line["msg"] == "completed handling request" and line["level"] == "info"
    assert line["audience"] == "application" and line["service_name"] == "Phalanx"
    assert line["http_request"]["method"] == "GET"
    assert line["http_request"]["path"] == "/self-service/login/api"
    assert line["http_request"]["query"].startswith(REDACTED)
    assert line["http_request"]["headers"] == {"user-agent": "test-agent"}
    assert line["http_response"]["status"] == 200
    assert line["http_response"]["text_status"] == "OK"
    assert isinstance(line["http_response"]["took"], int) and line["http_response"]["took"] > 0
    assert line["http_response"]["size"] == len(r.content)
    assert "ory_st_secretsecret" not in quiet.logs()
    assert "/health/alive" not in paths()  # health checks only at trace level, as Kratos


def test_addresses_never_reach_the_log_and_smtp_failures_are_reported_once(
    quiet: PhalanxServer,
) -> None:
    emails = [unique_email("redact"), unique_email("redact")]
    for email in emails:
        create_identity(quiet.admin_url, email)
        _verify(quiet, email)
    _wait_for(lambda: _failures(quiet, "smtp") >= 2)
    logs = quiet.logs()
    for email in emails:
        assert email not in logs
        assert email.split("@")[0] not in logs
    dispatch = [x for x in _json_lines(quiet) if x["msg"].startswith("Unable to dispatch message")]
    assert len(dispatch) == 1, dispatch  # reported once, then counted
    assert dispatch[0]["level"] == "warning" and dispatch[0]["dependency"] == "smtp"
    assert REDACTED in dispatch[0]["msg"]  # the server's reply named the address
    assert "phalanx_dependency_failures_total" in dispatch[0]["msg"]


def test_leak_sensitive_values_and_text_format(
    module_server_factory: ServerFactory, refusing_smtp: str
) -> None:
    server = module_server_factory.start(
        config=_config(
            refusing_smtp,
            {"level": "info", "format": "text", "leak_sensitive_values": True},
        ),
        args=("--watch-courier",),
    )
    email = unique_email("leak")
    create_identity(server.admin_url, email)
    flow_id = _verify(server, email)
    _wait_for(lambda: email in server.logs())
    lines = server.logs().splitlines()
    [dispatch] = [x for x in lines if "Unable to dispatch message" in x]
    assert dispatch.startswith("time=") and " level=warning " in dispatch
    access = [x for x in lines if 'msg="completed handling request"' in x]
    posted = [x for x in access if "http_request.method=POST" in x]
    assert any(f'http_request.query="flow={flow_id}"' in x for x in posted), posted


def test_redaction_text_replaces_the_default(
    module_server_factory: ServerFactory, refusing_smtp: str
) -> None:
    server = module_server_factory.start(
        config=_config(
            refusing_smtp, {"level": "info", "format": "json", "redaction_text": "[hidden]"}
        ),
    )
    httpx.get(f"{server.public_url}/self-service/login/api?a=b", timeout=10)
    _wait_for(lambda: any("http_request" in x for x in _json_lines(server)))
    [line] = [x for x in _json_lines(server) if "http_request" in x]
    assert line["http_request"]["query"] == "[hidden]"


def test_log_level_warning_writes_no_access_lines(server_factory: ServerFactory) -> None:
    server = server_factory.start(config={"log": {"level": "warning", "format": "json"}})
    httpx.get(f"{server.public_url}/self-service/login/api", timeout=10)
    time.sleep(0.3)
    assert not [x for x in _json_lines(server) if "http_request" in x]


def test_missing_smtp_server_and_offline_hibp_are_reported_once(
    server_factory: ServerFactory,
) -> None:
    closed = free_port()
    config = _config(
        f"smtp://127.0.0.1:{closed}/?disable_starttls=true",
        {"level": "info", "format": "json"},
        selfservice={
            "methods": {
                "password": {
                    "config": {
                        "haveibeenpwned_enabled": True,
                        "haveibeenpwned_host": f"http://127.0.0.1:{free_port()}",
                        "ignore_network_errors": True,
                    }
                }
            }
        },
    )
    server = server_factory.start(config=config, args=("--watch-courier",))
    for _ in range(3):
        email = unique_email("down")
        create_identity(server.admin_url, email)  # hashes; the policy runs on registration
        _verify(server, email)
    with httpx.Client(base_url=server.public_url, timeout=10) as api:
        for _ in range(2):
            flow = api.get("/self-service/registration/api").json()
            r = api.post(
                f"/self-service/registration?flow={flow['id']}",
                json={
                    "method": "password",
                    "traits": {"email": unique_email("hibp")},
                    "password": "a-long-and-unusual-passphrase-77",
                },
            )
            assert r.status_code == 200, r.text
    _wait_for(lambda: _failures(server, "smtp") >= 3)
    assert _failures(server, "haveibeenpwned") == 2
    warnings = [x for x in _json_lines(server) if x["level"] == "warning"]
    by_dependency = [x.get("dependency") for x in warnings]
    assert by_dependency.count("smtp") == 1, warnings
    assert by_dependency.count("haveibeenpwned") == 1, warnings
    assert not [x for x in warnings if "abandoned" in x["msg"]]
