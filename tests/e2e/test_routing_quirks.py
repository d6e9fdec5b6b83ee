"""Kratos's routing quirks on a real server: cross-port 307 redirects, ``/admin/health/config``
and ``/admin/metrics/prometheus``."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
import pytest

from phalanx.http.routes.redirects import redirect_target
from tests.support.identities import create_body
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30.0, follow_redirects=False) as client:
        yield client


# Fixed (not uuid4()): test ids must be the same in every pytest-xdist worker.
ID = "1ca2ad1b-78a9-4aaf-9e53-c2909dba48b2"

PUBLIC_TO_ADMIN = [
    ("GET", "/identities", "/admin/identities"),
    ("POST", "/identities", "/admin/identities"),
    ("GET", f"/identities/{ID}", f"/admin/identities/{ID}"),
    ("PUT", f"/identities/{ID}", f"/admin/identities/{ID}"),
    ("PATCH", f"/identities/{ID}", f"/admin/identities/{ID}"),
    ("DELETE", f"/identities/{ID}", f"/admin/identities/{ID}"),
    ("GET", "/identities/by/external/ext-1", "/admin/identities/by/external/ext-1"),
    ("DELETE", f"/identities/{ID}/credentials/totp", f"/admin/identities/{ID}/credentials/totp"),
    ("GET", "/admin/identities?page_size=2", "/admin/identities?page_size=2"),
    ("DELETE", f"/admin/identities/{ID}", f"/admin/identities/{ID}"),
    ("GET", "/admin/courier/messages", "/admin/courier/messages"),
    ("GET", f"/admin/courier/messages/{ID}", f"/admin/courier/messages/{ID}"),
    ("POST", "/recovery/code", "/admin/recovery/code"),
    ("POST", "/recovery/link", "/admin/recovery/link"),
    ("DELETE", f"/identities/{ID}/sessions", f"/admin/identities/{ID}/sessions"),
]

ADMIN_TO_PUBLIC = [
    ("GET", "/admin/self-service/login/browser", "/self-service/login/browser"),
    ("GET", "/admin/self-service/login/api?refresh=true", "/self-service/login/api?refresh=true"),
    ("POST", "/admin/self-service/login?flow=abc", "/self-service/login?flow=abc"),
    ("GET", "/admin/self-service/registration/flows?id=x", "/self-service/registration/flows?id=x"),
    ("GET", "/admin/self-service/settings/api", "/self-service/settings/api"),
    ("POST", "/admin/self-service/recovery", "/self-service/recovery"),
    ("GET", "/admin/self-service/verification", "/self-service/verification"),
    ("GET", "/admin/self-service/logout/browser", "/self-service/logout/browser"),
    ("DELETE", "/admin/self-service/logout/api", "/self-service/logout/api"),
    ("GET", "/admin/self-service/errors?id=1", "/self-service/errors?id=1"),
    ("GET", "/admin/schemas", "/schemas"),
    ("GET", "/admin/schemas/default", "/schemas/default"),
    ("DELETE", "/admin/sessions", "/sessions"),
    ("GET", "/admin/sessions/whoami", "/sessions/whoami"),
    # The admin port adds /admin to paths lacking it, then redirects to public.
    ("GET", "/self-service/login/api", "/self-service/login/api"),
    ("GET", "/schemas/default", "/schemas/default"),
]


@pytest.mark.parametrize(("method", "path", "target"), PUBLIC_TO_ADMIN)
def test_public_port_redirects_admin_routes(
    server: PhalanxServer, http: httpx.Client, method: str, path: str, target: str
) -> None:
    r = http.request(method, server.public_url + path)
    assert r.status_code == 307, r.text
    assert r.headers["location"] == server.admin_url + target


@pytest.mark.parametrize(("method", "path", "target"), ADMIN_TO_PUBLIC)
def test_admin_port_redirects_public_routes(
    server: PhalanxServer, http: httpx.Client, method: str, path: str, target: str
) -> None:
    r = http.request(method, server.admin_url + path)
    assert r.status_code == 307, r.text
    assert r.headers["location"] == server.public_url + target


def test_redirects_keep_method_and_body(server: PhalanxServer) -> None:
    with httpx.Client(timeout=30.0, follow_redirects=True) as client:
        created = client.post(f"{server.public_url}/identities", json=create_body())
        assert created.status_code == 201, created.text
        assert created.url.port == httpx.URL(server.admin_url).port
        identity_id = created.json()["id"]
        fetched = client.get(f"{server.public_url}/admin/identities/{identity_id}")
        assert fetched.status_code == 200 and fetched.json()["id"] == identity_id
        flow = client.get(f"{server.admin_url}/admin/self-service/login/api")
        assert flow.status_code == 200 and flow.json()["type"] == "api"
        assert client.delete(f"{server.public_url}/identities/{identity_id}").status_code == 204


def test_redirects_do_not_shadow_real_routes(server: PhalanxServer, http: httpx.Client) -> None:
    # Public serves /admin/schemas itself; the admin session routes still answer for ids.
    listed = http.get(f"{server.public_url}/admin/schemas")
    assert listed.status_code == 200 and listed.json()[0]["id"] == "default"
    missing = http.get(f"{server.admin_url}/admin/sessions/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == 404
    assert http.get(f"{server.admin_url}/admin/identities").status_code == 200
    # Only DELETE /identities/{id}/sessions is redirected from the public port.
    assert http.get(f"{server.public_url}/identities/{ID}/sessions").status_code == 405
    assert http.get(f"{server.public_url}/admin/recovery/code").status_code == 404


def test_redirect_target_joins_base_path() -> None:
    assert (
        redirect_target("https://admin.example/kratos/", "/admin/identities/", "a=1", admin=True)
        == "https://admin.example/kratos/admin/identities?a=1"
    )
    assert (
        redirect_target("http://public:4433/", "/admin/self-service/login", "", admin=False)
        == "http://public:4433/self-service/login"
    )
    assert (
        redirect_target("http://a/", "/admin/identities/a b", "", admin=True)
        == "http://a/admin/identities/a%20b"
    )


def test_health_config_is_a_stable_hash(server: PhalanxServer, http: httpx.Client) -> None:
    first = http.get(f"{server.admin_url}/admin/health/config")
    assert first.status_code == 200
    assert first.headers["content-type"] == "text/plain"
    assert re.fullmatch(r"[0-9a-f]{64}", first.text)
    again = http.get(f"{server.admin_url}/health/config")
    assert again.text == first.text
    assert http.get(f"{server.public_url}/health/config").status_code == 404


def test_health_config_answers_the_revision(server_factory: ServerFactory) -> None:
    srv = server_factory.start(config={"revision": "release-42"}, database="memory")
    r = httpx.get(f"{srv.admin_url}/admin/health/config")
    assert r.status_code == 200 and r.text == "release-42"


def _samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    out = []
    for line in text.splitlines():
        match = re.fullmatch(name + r"\{(.*)\} (\S+)", line)
        if match:
            labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match[1]))
            out.append((labels, float(match[2])))
    return out


def test_metrics_count_requests_by_route_template(
    server: PhalanxServer, http: httpx.Client
) -> None:
    for _ in range(3):
        assert http.get(f"{server.public_url}/health/alive").status_code == 200
    for _ in range(2):
        http.get(f"{server.admin_url}/admin/identities/{uuid.uuid4()}")
    http.get(f"{server.admin_url}/identities")  # rewritten to /admin/identities
    http.get(f"{server.public_url}/no/such/{uuid.uuid4()}")

    r = http.get(f"{server.admin_url}/admin/metrics/prometheus")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    requests = _samples(r.text, "http_requests_total")
    assert requests, r.text

    def count(endpoint: str, code: str) -> float:
        return sum(
            v for labels, v in requests if labels["endpoint"] == endpoint and labels["code"] == code
        )

    assert count("GET /health/alive", "200") >= 3
    assert count("GET /admin/identities/{param}", "404") >= 2
    assert count("GET /admin/identities", "200") >= 1
    assert count("{unmatched}", "404") >= 1
    labels = requests[0][0]
    assert labels["app"] == "kratos" and labels["method"] in {"get", "post", "delete"}
    assert set(labels) == {"app", "version", "hash", "buildTime", "code", "method", "endpoint"}
    # Bounded cardinality: no raw ids in the endpoint label.
    assert not re.search(
        r"[0-9a-f]{8}-[0-9a-f]{4}", "".join(lab["endpoint"] for lab, _ in requests)
    )
    assert _samples(r.text, "http_requests_duration_seconds_bucket")
    assert _samples(r.text, "http_response_time_seconds_count")
    statuses = _samples(r.text, "http_requests_statuses_total")
    assert any(lab["status_bucket"] == "2xx" and lab["method"] == "GET" for lab, _ in statuses)
    assert "phalanx_build_info{" in r.text
    assert "_created" not in r.text
    # The admin port serves it without /admin too.
    assert http.get(f"{server.admin_url}/metrics/prometheus").status_code == 200
