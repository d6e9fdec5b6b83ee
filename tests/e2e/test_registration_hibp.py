"""Have I Been Pwned k-anonymity checks against a small fake range server on loopback.

Phalanx reads ``haveibeenpwned_host: http://127.0.0.1:<port>`` as "plain HTTP to this
host" (Kratos always uses https); only the first five hex characters of the password's
SHA-1 ever leave the server.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from phalanx.testing import flows_config, node, node_messages
from tests.support.api import error_of
from tests.support.identities import unique_email
from tests.support.openapi import checked
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

#: password -> breach count served by the fake range API
BREACHED = {
    "Pwned-Many-Times-42!": 5000,
    "Pwned-A-Few-Times-42!": 7,
}
BROKEN = "Makes-The-Range-Api-Fail-42!"  # its prefix answers 500


def _sha1(password: str) -> str:
    return hashlib.sha1(password.encode()).hexdigest().upper()


class FakeRange:
    def __init__(self) -> None:
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.requests.append(self.path)
                prefix = self.path.rsplit("/", 1)[-1].upper()
                if prefix == _sha1(BROKEN)[:5]:
                    self.send_response(500)
                    self.end_headers()
                    return
                lines = ["0018A45C4D1DEF81644B54AB7F969B88D65:1"]  # padding-like noise
                for password, count in BREACHED.items():
                    digest = _sha1(password)
                    if digest.startswith(prefix):
                        lines.append(f"{digest[5:]}:{count:,}")
                body = "\r\n".join(lines).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def fake_range() -> Iterator[FakeRange]:
    fake = FakeRange()
    yield fake
    fake.close()


def _hibp(fake: FakeRange, **config: object) -> dict[str, object]:
    return flows_config(
        {
            "selfservice": {
                "methods": {
                    "password": {
                        "config": {
                            "haveibeenpwned_enabled": True,
                            "haveibeenpwned_host": fake.url,
                            **config,
                        }
                    }
                }
            }
        }
    )


@pytest.fixture(scope="module")
def strict(module_server_factory: ServerFactory, fake_range: FakeRange) -> PhalanxServer:
    return module_server_factory.start(
        config=_hibp(fake_range, max_breaches=10, ignore_network_errors=False)
    )


@pytest.fixture(scope="module")
def lenient(module_server_factory: ServerFactory, fake_range: FakeRange) -> PhalanxServer:
    return module_server_factory.start(config=_hibp(fake_range))


def _register(server: PhalanxServer, password: str) -> httpx.Response:
    flow = httpx.get(f"{server.public_url}/self-service/registration/api").json()
    return checked(
        httpx.post(
            flow["ui"]["action"],
            json={"method": "password", "password": password, "traits.email": unique_email()},
            timeout=30,
        )
    )


def test_breached_passwords_are_refused_with_their_count(
    strict: PhalanxServer, fake_range: FakeRange
) -> None:
    r = _register(strict, "Pwned-Many-Times-42!")
    assert r.status_code == 400
    assert node_messages(r.json(), "password") == [4000034]
    assert node(r.json(), "password")["messages"][0]["context"] == {"breaches": 5000}
    digest = _sha1("Pwned-Many-Times-42!")
    assert f"/range/{digest[:5]}" in fake_range.requests
    assert not any(digest[5:] in path for path in fake_range.requests)


def test_max_breaches_allows_a_few(strict: PhalanxServer) -> None:
    assert _register(strict, "Pwned-A-Few-Times-42!").status_code == 200
    assert _register(strict, "Never-Seen-Before-42!x").status_code == 200


def test_network_errors_fail_only_when_not_ignored(
    strict: PhalanxServer, lenient: PhalanxServer
) -> None:
    r = _register(strict, BROKEN)
    assert r.status_code == 502
    assert error_of(r)["message"] == "Leaked password server unavailable"
    assert _register(lenient, BROKEN).status_code == 200
    # max_breaches defaults to 0: one breach is too many
    r = _register(lenient, "Pwned-A-Few-Times-42!")
    assert node_messages(r.json(), "password") == [4000034]
