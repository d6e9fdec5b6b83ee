"""``/self-service/errors``: browser-facing failures are stored and shown by id."""

from __future__ import annotations

import uuid

import httpx
import pytest

from phalanx.testing import Browser, flows_config, query_of
from phalanx.testing.sdk import frontend
from tests.support.api import error_of
from tests.support.openapi import checked
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(
        config=flows_config({"selfservice": {"flows": {"error": {"ui_url": "/my-errors"}}}})
    )


def test_browser_failures_redirect_to_the_error_ui(server: PhalanxServer) -> None:
    with Browser(server, json=False) as html:
        r = html.get("/self-service/login/browser?return_to=https://evil.test/")
        assert r.status_code == 303
        location = r.headers["location"]
        assert location.startswith(f"{server.public_url}/my-errors?id=")
        error_id = query_of(location)["id"]
    for param in ("id", "error"):
        r = checked(httpx.get(f"{server.public_url}/self-service/errors?{param}={error_id}"))
        assert r.status_code == 200
        body = r.json()
        assert body["id"] == error_id
        assert body["error"]["id"] == "self_service_flow_return_to_forbidden"
        assert body["error"]["code"] == 400
        assert body["created_at"] and body["updated_at"]
    with frontend(server) as api:
        stored = api.get_flow_error(error_id)
    assert stored.id == error_id and stored.error is not None


def test_unknown_and_stub_errors(server: PhalanxServer) -> None:
    r = checked(httpx.get(f"{server.public_url}/self-service/errors?id={uuid.uuid4()}"))
    assert r.status_code == 404
    assert error_of(r) == {
        "code": 404,
        "status": "Not Found",
        "message": "Unable to locate the resource",
    }
    r = checked(httpx.get(f"{server.public_url}/self-service/errors?id=nonsense"))
    assert r.status_code == 404
    r = checked(httpx.get(f"{server.public_url}/self-service/errors?id=stub:500"))
    assert r.status_code == 200
    assert r.json()["error"] == {
        "code": 500,
        "status": "Internal Server Error",
        "reason": "This is a stub error.",
        "message": "An internal server error occurred, please contact the system administrator",
    }


def test_json_clients_get_the_error_itself(server: PhalanxServer) -> None:
    with Browser(server) as spa:
        r = spa.get("/self-service/login/browser?return_to=https://evil.test/")
    assert r.status_code == 400 and error_of(r)["id"] == "self_service_flow_return_to_forbidden"
    # (the spec types every 400 of this operation as a flow; Kratos sends an error here)
    r = httpx.post(f"{server.public_url}/self-service/login?flow=nope", json={})
    assert r.status_code == 400
    assert error_of(r)["reason"] == "The flow query parameter is missing or malformed."
    r = checked(httpx.post(f"{server.public_url}/self-service/login?flow={uuid.uuid4()}", json={}))
    assert r.status_code == 404
    with Browser(server, json=False) as html:
        r = html.http.post(f"/self-service/login?flow={uuid.uuid4()}", data={})
        assert r.status_code == 303 and "/my-errors?id=" in r.headers["location"]
