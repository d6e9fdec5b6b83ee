"""The password migration hook: identities imported without a hash sign in by asking the
old system (a real receiver on loopback) once; then Phalanx stores a hash and never asks
again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from phalanx.testing import flows_config
from tests.support.api import error_of
from tests.support.identities import unique_email
from tests.support.openapi import checked
from tests.support.receiver import Receiver, running
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

LEGACY_PASSWORD = "legacy-Passw0rd-from-the-old-days"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    yield from running()


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory, receiver: Receiver) -> PhalanxServer:
    migrate = {
        "enabled": True,
        "config": {
            "url": receiver.url("/migrate"),
            "auth": {
                "type": "api_key",
                "config": {"name": "X-Legacy", "value": "k3y", "in": "header"},
            },
        },
    }
    config = flows_config(
        {
            "selfservice": {"methods": {"password": {"config": {"migrate_hook": migrate}}}},
            "phalanx": {"web_hooks": {"retries": 0}},
        }
    )
    return module_server_factory.start(config=config)


@pytest.fixture(autouse=True)
def fresh(receiver: Receiver) -> None:
    receiver.reset()


def _import(server: PhalanxServer, email: str) -> dict[str, Any]:
    body = {
        "schema_id": "default",
        "traits": {"email": email},
        "credentials": {"password": {"config": {"use_password_migration_hook": True}}},
    }
    r = httpx.post(f"{server.admin_url}/admin/identities", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _login(server: PhalanxServer, email: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=server.public_url, timeout=30) as api:
        flow = checked(api.get("/self-service/login/api")).json()
        body = {"method": "password", "identifier": email, "password": password}
        return checked(api.post(f"/self-service/login?flow={flow['id']}", json=body))


def _password_config(server: PhalanxServer, identity_id: str) -> dict[str, Any]:
    r = httpx.get(
        f"{server.admin_url}/admin/identities/{identity_id}",
        params={"include_credential": "password"},
    )
    return dict(r.json()["credentials"]["password"].get("config") or {})


def test_first_login_asks_the_old_system_once(server: PhalanxServer, receiver: Receiver) -> None:
    email = unique_email()
    identity = _import(server, email)
    receiver.answer("/migrate", 403, {})
    r = _login(server, email, "wrong-password-123")
    assert r.status_code == 400
    assert [m["id"] for m in r.json()["ui"]["messages"]] == [4000006]
    (asked,) = receiver.received("/migrate")
    assert asked.json() == {"identifier": email, "password": "wrong-password-123"}
    assert asked.headers["X-Legacy"] == "k3y"
    assert "hashed_password" not in _password_config(server, identity["id"])

    receiver.answer("/migrate", 200, {"status": "password_match"})
    r = _login(server, email, LEGACY_PASSWORD)
    assert r.status_code == 200, r.text
    assert r.json()["session"]["identity"]["id"] == identity["id"]
    stored = _password_config(server, identity["id"])
    assert stored["hashed_password"].startswith("$2")
    assert "use_password_migration_hook" not in stored

    receiver.reset()
    receiver.answer("/migrate", 500, {})
    assert _login(server, email, LEGACY_PASSWORD).status_code == 200
    assert _login(server, email, "wrong-password-123").status_code == 400
    assert receiver.received("/migrate") == []


def test_other_replies(server: PhalanxServer, receiver: Receiver) -> None:
    email = unique_email()
    _import(server, email)
    receiver.answer("/migrate", 200, {"status": "nope"})
    r = _login(server, email, LEGACY_PASSWORD)
    assert r.status_code == 400 and [m["id"] for m in r.json()["ui"]["messages"]] == [4000006]
    receiver.answer("/migrate", 500, {})
    r = _login(server, email, LEGACY_PASSWORD)
    assert r.status_code == 502
    error = error_of(r)
    assert error["message"] == "password migration hook failed with status code 500"
    assert error["reason"] == (
        "A third-party upstream service responded improperly. Please try again later."
    )
