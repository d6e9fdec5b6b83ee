"""Schema loading (file, base64, http with SSRF protection) and lookup by id."""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from phalanx.errors import NotFoundError
from phalanx.outbound import guard as guard_module
from phalanx.schema import (
    IdentitySchema,
    InvalidIdentitySchemaError,
    PrivateAddressError,
    SchemaLoader,
    SchemaNotFoundError,
    SchemaReadError,
    SchemaRegistry,
    SchemaUpstreamError,
    schema_id_to_url_segment,
    url_segment_to_schema_id,
)
from tests.schema.conftest import PERSON_SCHEMA

PERSON = json.dumps(PERSON_SCHEMA).encode()


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, bytes, dict[str, str]]] = {}

    def do_GET(self) -> None:
        status, body, headers = self.routes.get(self.path, (404, b"not found", {}))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.routes = {
        "/person.json": (200, PERSON, {"Content-Type": "application/json"}),
        "/moved": (302, b"", {"Location": "/person.json"}),
        "/broken": (500, b"oops", {}),
        "/garbage": (200, b"{not json", {}),
    }
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_url_segment_round_trip() -> None:
    assert schema_id_to_url_segment("default") == "ZGVmYXVsdA"
    assert url_segment_to_schema_id("ZGVmYXVsdA") == "default"
    assert url_segment_to_schema_id("a") is None
    assert url_segment_to_schema_id("not base64!") is None


def test_file_and_base64(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "person.json").write_bytes(PERSON)
    monkeypatch.chdir(tmp_path)
    encoded = base64.b64encode(PERSON).decode()
    registry = SchemaRegistry(
        [
            {"id": "default", "url": f"file://{tmp_path}/person.json"},
            {"id": "relative", "url": "file://./person.json", "selfservice_selectable": True},
            {"id": "inline", "url": f"base64://{encoded}"},
            {"id": "plain", "url": str(tmp_path / "person.json")},
        ]
    )
    registry.load_local()
    assert [s.id for s in registry.list()] == ["default", "relative", "inline", "plain"]
    assert all(s.raw == PERSON_SCHEMA for s in registry.list())
    assert registry.get("relative").selfservice_selectable
    assert registry.default.id == "default"


def test_lookup_by_id_segment_and_default() -> None:
    registry = SchemaRegistry.from_schemas({"default": PERSON_SCHEMA, "customer": PERSON_SCHEMA})
    assert registry.get().id == "default"
    assert registry.get("customer").id == "customer"
    assert registry.get(schema_id_to_url_segment("customer")).id == "customer"
    assert "customer" in registry and "Y3VzdG9tZXI" in registry and "nope" not in registry
    schema = registry.get("customer")
    assert isinstance(schema, IdentitySchema)
    assert (
        schema.schema_url("http://127.0.0.1:4433/") == "http://127.0.0.1:4433/schemas/Y3VzdG9tZXI"
    )


@pytest.mark.parametrize(("asked", "reported"), [("no-such!", "no-such!"), ("Zm9v", "foo")])
def test_unknown_id_is_not_found(asked: str, reported: str) -> None:
    registry = SchemaRegistry.from_schemas({"default": PERSON_SCHEMA})
    with pytest.raises(NotFoundError) as info:
        registry.get(asked)
    assert info.value.reason == f"Identity schema `{reported}` could not be found."
    assert info.value.code == 404


def test_invalid_schema_names_its_id(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"properties": {"traits": {"type": "object", "properties": {}}}}))
    registry = SchemaRegistry([{"id": "broken", "url": f"file://{path}"}])
    with pytest.raises(InvalidIdentitySchemaError, match="`broken`"):
        registry.load_local()


def test_missing_file_and_bad_base64(tmp_path: Path) -> None:
    with pytest.raises(SchemaNotFoundError):
        SchemaLoader().load_local(f"file://{tmp_path}/missing.json")
    with pytest.raises(SchemaReadError, match="decode"):
        SchemaLoader().load_local("base64://!!!")
    with pytest.raises(SchemaReadError, match="await"):
        SchemaLoader().load_local("https://example.com/x.json")


@pytest.mark.anyio
async def test_http_loading_on_loopback_when_private_is_allowed(server: str) -> None:
    registry = SchemaRegistry(
        [
            {"id": "default", "url": f"{server}/person.json"},
            {"id": "moved", "url": f"{server}/moved"},
        ],
        loader=SchemaLoader(allow_private=True),
    )
    await registry.load()
    assert registry.get("default").raw == PERSON_SCHEMA
    assert registry.get("moved").raw == PERSON_SCHEMA


@pytest.mark.anyio
async def test_http_errors(server: str) -> None:
    loader = SchemaLoader(allow_private=True)
    with pytest.raises(SchemaNotFoundError):
        await loader.load(f"{server}/missing")
    with pytest.raises(SchemaUpstreamError) as info:
        await loader.load(f"{server}/broken")
    assert info.value.code == 502
    with pytest.raises(SchemaReadError, match="not valid JSON"):
        await loader.load(f"{server}/garbage")


@pytest.mark.anyio
async def test_ssrf_refusal(server: str) -> None:
    loader = SchemaLoader()
    with pytest.raises(PrivateAddressError, match=r"non-public address 127\.0\.0\.1"):
        await loader.load(f"{server}/person.json")
    port = server.rsplit(":", 1)[1]
    with pytest.raises(PrivateAddressError):
        await loader.load(f"http://localhost:{port}/person.json")
    with pytest.raises(PrivateAddressError):
        await loader.load(f"http://[::ffff:127.0.0.1]:{port}/person.json")
    registry = SchemaRegistry([{"id": "default", "url": f"{server}/person.json"}], loader=loader)
    with pytest.raises(PrivateAddressError):
        await registry.load()


@pytest.mark.anyio
async def test_exception_list_allows_exact_urls(server: str) -> None:
    url = f"{server}/person.json"
    loader = SchemaLoader(private_ip_exceptions=[url])
    assert await loader.load(url) == PERSON_SCHEMA
    with pytest.raises(PrivateAddressError):
        await loader.load(f"{server}/moved")  # not exempt
    # a redirect from an exempt URL to a private one is checked again
    moved = SchemaLoader(private_ip_exceptions=[f"{server}/moved"])
    with pytest.raises(PrivateAddressError):
        await moved.load(f"{server}/moved")


@pytest.mark.anyio
async def test_public_hosts_are_pinned_to_the_checked_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def fake_getaddrinfo(host: str, port: int, **kwargs: Any) -> list[Any]:
        assert host == "schemas.example"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=PERSON)

    monkeypatch.setattr(guard_module.anyio, "getaddrinfo", fake_getaddrinfo)
    loader = SchemaLoader(transport=httpx.MockTransport(handler))
    assert await loader.load("https://schemas.example/p.json?x=1") == PERSON_SCHEMA
    (request,) = seen
    assert request.url.host == "93.184.216.34"
    assert request.url.path == "/p.json" and request.url.query == b"x=1"
    assert request.headers["Host"] == "schemas.example"
    assert request.extensions["sni_hostname"] == "schemas.example"
