"""Python hooks for embedders: async functions registered in code at the web hook points,
run in-process against the real public/admin ASGI apps of an embedded ``Phalanx``
(SQLite in memory)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

import phalanx
from phalanx.testing import PASSWORD, node, unique_email
from tests.support.openapi import checked
from tests.support.server import deep_merge, default_config

pytestmark = pytest.mark.anyio

seen: list[phalanx.HookEvent] = []
hooks = phalanx.PythonHooks()


@hooks.before("login")
async def refuse_blocked_clients(event: phalanx.HookEvent) -> None:
    seen.append(event)
    if event.request.headers.get("x-client") == "blocked":
        raise phalanx.HookInterrupt.on("#/", "This client may not sign in.", id=4000999)


@hooks.after("registration", method="password")
async def shape_new_identity(event: phalanx.HookEvent) -> None:
    seen.append(event)
    assert event.identity is not None
    email = str(event.identity.traits["email"])
    if email.startswith("blocked-"):
        raise phalanx.HookInterrupt(
            [phalanx.HookMessage("#/traits/email", "This address is blocked.", id=4000998)]
        )
    event.identity.metadata_public = {"plan": "free", "flow": event.flow_json["id"]}
    event.identity.metadata_admin = {"source": "python-hook"}


@hooks.after("login")
async def record_login(event: phalanx.HookEvent) -> None:
    seen.append(event)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def apps(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    raw = deep_merge(
        default_config(public_port=4433, admin_port=4434, dsn="memory"),
        {"selfservice": {"methods": {"password": {"config": {"haveibeenpwned_enabled": False}}}}},
    )
    path = tmp_path / "kratos.yml"
    path.write_text(yaml.safe_dump(raw))
    px = phalanx.Phalanx.from_config(path, env={}, hooks=hooks, courier=False)
    async with px.lifespan():
        public = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=px.public_app), base_url="http://127.0.0.1:4433"
        )
        admin = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=px.admin_app), base_url="http://127.0.0.1:4434"
        )
        seen.clear()
        async with public, admin:
            yield public, admin


async def _register(public: httpx.AsyncClient, email: str) -> httpx.Response:
    flow = (await public.get("/self-service/registration/api")).json()
    body = {"method": "password", "traits": {"email": email}, "password": PASSWORD}
    return checked(await public.post(f"/self-service/registration?flow={flow['id']}", json=body))


async def test_after_hook_changes_the_stored_identity(
    apps: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    public, admin = apps
    r = await _register(public, unique_email())
    assert r.status_code == 200, r.text
    identity_id = r.json()["identity"]["id"]
    stored = (await admin.get(f"/admin/identities/{identity_id}")).json()
    assert stored["metadata_public"]["plan"] == "free"
    assert stored["metadata_admin"] == {"source": "python-hook"}
    (event,) = seen
    assert event.flow == "registration" and event.phase == "after" and event.method == "password"
    assert stored["metadata_public"]["flow"] == event.flow_json["id"]


async def test_after_hook_interrupts_and_nothing_is_stored(
    apps: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    public, admin = apps
    email = "blocked-" + unique_email()
    r = await _register(public, email)
    assert r.status_code == 400, r.text
    assert node(r.json(), "traits.email")["messages"] == [
        {"id": 4000998, "text": "This address is blocked.", "type": "error"}
    ]
    listed = (await admin.get("/admin/identities", params={"credentials_identifier": email})).json()
    assert listed == []


async def test_before_and_after_login_hooks(
    apps: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    public, _ = apps
    r = await public.get("/self-service/login/api", headers={"X-Client": "blocked"})
    assert r.status_code == 400
    assert "This client may not sign in." in r.json()["error"]["reason"]
    email = unique_email()
    assert (await _register(public, email)).status_code == 200
    seen.clear()
    flow: dict[str, Any] = (await public.get("/self-service/login/api")).json()
    body = {"method": "password", "identifier": email, "password": PASSWORD}
    r = await public.post(f"/self-service/login?flow={flow['id']}", json=body)
    assert r.status_code == 200, r.text
    before, after = seen
    assert before.phase == "before" and before.identity is None
    assert after.phase == "after" and after.identity is not None
    assert after.session_json is not None and after.session_json["id"] == r.json()["session"]["id"]


def test_registration_rejects_unknown_points() -> None:
    registry = phalanx.PythonHooks()
    with pytest.raises(ValueError, match="unknown flow"):
        registry.add("logout", "after", shape_new_identity)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="before-hooks"):
        registry.add("login", "before", shape_new_identity, method="password")
