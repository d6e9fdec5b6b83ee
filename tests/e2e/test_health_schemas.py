"""Health, version and identity-schema endpoints of a real server, plus the error envelope
of unknown routes and wrong methods on both ports.

Kratos v25.4 answers unknown routes and wrong methods with Go's ``http.ServeMux`` plain
text (``404 page not found`` / ``405 Method Not Allowed`` + ``Allow``); Phalanx answers
the same status codes (and ``Allow``) in the Kratos JSON error envelope, which every
Kratos SDK parses as an error as well.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.api import SpecClient, error_of
from tests.support.databases import POSTGRES_HOST, POSTGRES_PORT
from tests.support.openapi import assert_matches_spec
from tests.support.paths import DATA
from tests.support.server import (
    PhalanxServer,
    ServerFactory,
    ServerStartError,
    free_port,
)

pytestmark = pytest.mark.e2e

FILE_SCHEMA = json.loads((DATA / "identity.email.schema.json").read_text(encoding="utf-8"))
INLINE_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "traits": {
            "type": "object",
            "properties": {
                "username": {
                    "type": "string",
                    "ory.sh/kratos": {"credentials": {"password": {"identifier": True}}},
                }
            },
        }
    },
}
REMOTE_SCHEMA: dict[str, Any] = {
    "$id": "https://example.test/remote.schema.json",
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Remote",
    "type": "object",
    "properties": {
        "traits": {
            "type": "object",
            "properties": {
                "email": {
                    "type": "string",
                    "format": "email",
                    "ory.sh/kratos": {"credentials": {"password": {"identifier": True}}},
                }
            },
        }
    },
}
IDS = ["default", "inline", "remote"]


def b64url(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


class SchemaHost:
    """A loopback HTTP server serving ``REMOTE_SCHEMA`` at ``/remote.schema.json``."""

    def __init__(self) -> None:
        body = json.dumps(REMOTE_SCHEMA).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/remote.schema.json":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                else:
                    self.send_error(404)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/remote.schema.json"

    def __enter__(self) -> SchemaHost:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def schema_host() -> Iterator[SchemaHost]:
    with SchemaHost() as host:
        yield host


def schemas_config(schema_host: SchemaHost, **extra: Any) -> dict[str, Any]:
    inline = base64.b64encode(json.dumps(INLINE_SCHEMA).encode()).decode()
    return {
        "identity": {
            "default_schema_id": "default",
            "schemas": [
                {"id": "default", "url": (DATA / "identity.email.schema.json").as_uri()},
                {"id": "inline", "url": f"base64://{inline}"},
                {"id": "remote", "url": schema_host.url},
            ],
        },
        **extra,
    }


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory, schema_host: SchemaHost) -> PhalanxServer:
    # Kratos's default allows fetching schemas from private (here: loopback) addresses.
    return module_server_factory.start(config=schemas_config(schema_host))


# -- health and version ---------------------------------------------------------------------


def test_alive_and_ready_on_both_ports(server: PhalanxServer) -> None:
    with SpecClient(server.public_url) as public, SpecClient(server.admin_url) as admin:
        for client, prefix in ((public, ""), (admin, "/admin"), (admin, "")):
            for check in ("alive", "ready"):
                r = client.get(f"{prefix}/health/{check}", template=f"/health/{check}")
                assert r.status_code == 200 and r.json() == {"status": "ok"}
                assert r.headers["content-type"].startswith("application/json")


def test_version_on_the_admin_port(server: PhalanxServer) -> None:
    from phalanx import __version__

    with SpecClient(server.admin_url) as admin:
        for path in ("/admin/version", "/version"):
            r = admin.get(path, template="/version")
            assert r.status_code == 200 and r.json() == {"version": f"v{__version__}"}


# -- identity schemas -----------------------------------------------------------------------


def test_list_schemas_with_total_and_links(server: PhalanxServer) -> None:
    with SpecClient(server.public_url) as public:
        for path in ("/schemas", "/admin/schemas"):
            r = public.get(path, template="/schemas")
            assert r.status_code == 200
            assert [item["id"] for item in r.json()] == IDS
            assert r.json()[0]["schema"] == FILE_SCHEMA
            assert r.json()[1]["schema"] == INLINE_SCHEMA
            assert r.json()[2]["schema"] == REMOTE_SCHEMA
            assert r.headers["x-total-count"] == "3"
            assert r.links["first"]["url"].startswith(f"{server.public_url}{path}?")
            assert set(r.links) == {"first"}  # everything fits on the first page

        # legacy page pagination and token pagination, with the Link header to walk it
        r = public.get("/schemas?per_page=1&page=1")
        assert [item["id"] for item in r.json()] == ["inline"]
        assert r.headers["x-total-count"] == "3"
        assert set(r.links) == {"first", "next", "prev", "last"}
        r = public.get(r.links["next"]["url"])
        assert [item["id"] for item in r.json()] == ["remote"]
        assert set(r.links) == {"first", "prev"}
        r = public.get(r.links["first"]["url"])
        assert [item["id"] for item in r.json()] == ["default"]
        assert set(r.links) == {"next", "last"}
        assert public.get("/schemas?per_page=1&page=7").json() == []


def test_get_schema_by_id_and_by_base64url_id(server: PhalanxServer) -> None:
    expected = {"default": FILE_SCHEMA, "inline": INLINE_SCHEMA, "remote": REMOTE_SCHEMA}
    with SpecClient(server.public_url) as public:
        for schema_id, raw in expected.items():
            for segment in (schema_id, b64url(schema_id)):
                for prefix in ("", "/admin"):
                    r = public.get(f"{prefix}/schemas/{segment}", template="/schemas/{id}")
                    assert r.status_code == 200, r.text
                    assert r.headers["content-type"].startswith("application/json")
                    assert r.json() == raw
        # the schema_url of an identity points at the base64url form and resolves
        created = httpx.post(
            f"{server.admin_url}/admin/identities",
            json={"schema_id": "remote", "traits": {"email": "remote@example.org"}},
            timeout=10,
        )
        assert created.status_code == 201, created.text
        schema_url = created.json()["schema_url"]
        assert schema_url == f"{server.public_url}/schemas/{b64url('remote')}"
        assert public.get(schema_url, template="/schemas/{id}").json() == REMOTE_SCHEMA


def test_unknown_schema_is_404_with_the_kratos_reason(server: PhalanxServer) -> None:
    with SpecClient(server.public_url) as public:
        # Kratos decodes an unknown id that is valid base64url (so ``nope`` itself would be
        # shown decoded, as garbage); ``no.such`` is not base64url and is shown as given.
        for segment, shown in (("no.such", "no.such"), (b64url("nope"), "nope")):
            r = public.get(f"/schemas/{segment}", template="/schemas/{id}")
            assert r.status_code == 404
            error = error_of(r)
            assert error["status"] == "Not Found"
            assert error["reason"] == f"Identity schema `{shown}` could not be found."


def test_admin_port_redirects_schemas_to_the_public_port(server: PhalanxServer) -> None:
    for path in ("/schemas", "/admin/schemas", f"/admin/schemas/{b64url('inline')}"):
        r = httpx.get(f"{server.admin_url}{path}", timeout=10)
        assert r.is_redirect, (path, r.status_code)
        assert r.headers["location"].startswith(f"{server.public_url}/schemas")
        followed = httpx.get(f"{server.admin_url}{path}", follow_redirects=True, timeout=10)
        assert followed.status_code == 200


# -- unknown routes and wrong methods -------------------------------------------------------


def assert_generic_error(response: httpx.Response, code: int) -> dict[str, Any]:
    """The body is herodot's ``errorGeneric`` envelope (validated against the spec)."""
    assert response.status_code == code
    assert response.headers["content-type"].startswith("application/json")
    # no operation owns an unknown route: validate against an errorGeneric response
    assert_matches_spec("GET", "/schemas/{id}", 404, response.json())
    return error_of(response)


def test_unknown_routes_are_404_envelopes_on_both_ports(server: PhalanxServer) -> None:
    urls = [
        f"{server.public_url}/nope",
        f"{server.public_url}/self-service/nope",
        f"{server.admin_url}/admin/nope",
        f"{server.admin_url}/nope",
        f"{server.admin_url}/",
    ]
    for url in urls:
        error = assert_generic_error(httpx.get(url, timeout=10), 404)
        assert error["status"] == "Not Found", url
        assert error["message"], url


def test_wrong_methods_are_405_envelopes_with_allow(server: PhalanxServer) -> None:
    cases = [
        ("POST", f"{server.public_url}/health/alive", "GET, HEAD"),
        ("DELETE", f"{server.public_url}/schemas", "GET, HEAD"),
        ("PUT", f"{server.admin_url}/admin/identities", "GET, HEAD, PATCH, POST"),
        ("POST", f"{server.admin_url}/version", "GET, HEAD"),
    ]
    for method, url, allowed in cases:
        r = httpx.request(method, url, timeout=10)
        error = assert_generic_error(r, 405)
        assert error["status"] == "Method Not Allowed", url
        assert r.headers["allow"] == allowed, url


# -- remote schemas and private addresses ---------------------------------------------------


def test_private_schema_hosts_are_refused_when_disallowed(
    server_factory: ServerFactory, schema_host: SchemaHost
) -> None:
    config = schemas_config(schema_host, clients={"http": {"disallow_private_ip_ranges": True}})
    with pytest.raises(ServerStartError):
        server_factory.start(config=config, database="memory")
    [refused] = server_factory.servers
    assert refused.process.wait(timeout=10) != 0
    logs = refused.logs()
    assert "Traceback" not in logs, logs
    [line] = [x for x in logs.splitlines() if "identity schema" in x]
    assert line.startswith("serve: cannot load the identity schemas: "), line
    assert schema_host.url in line and "127.0.0.1" in line, line


# -- readiness when the database goes away --------------------------------------------------


async def _drop(name: str) -> None:
    conn = await asyncpg.connect(
        host=POSTGRES_HOST, port=POSTGRES_PORT, user="postgres", database="postgres"
    )
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        await conn.execute(f'DROP DATABASE "{name}"')
    finally:
        await conn.close()


@pytest.mark.db
def test_ready_is_503_when_the_database_is_gone(server_factory: ServerFactory) -> None:
    import asyncio

    server = server_factory.start(database="postgres")
    assert server.database is not None
    asyncio.run(_drop(server.database.name))
    with SpecClient(server.public_url) as public, SpecClient(server.admin_url) as admin:
        r = public.get("/health/ready")
        assert r.status_code == 503
        assert r.json() == {
            "errors": {"database": "error may contain sensitive information and was obfuscated"}
        }
        r = admin.get("/admin/health/ready", template="/health/ready")
        assert r.status_code == 503
        reason = r.json()["errors"]["database"]
        assert reason and "obfuscated" not in reason
        # liveness does not look at the database
        assert public.get("/health/alive").status_code == 200
        assert admin.get("/admin/health/alive", template="/health/alive").status_code == 200
