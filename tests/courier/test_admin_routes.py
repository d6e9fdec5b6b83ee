"""``GET /admin/courier/messages`` and ``/admin/courier/messages/{id}`` on a tiny app."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from types import SimpleNamespace

import httpx
import pytest
from starlette.applications import Starlette

from phalanx.courier import Courier, TemplateRenderer
from phalanx.http.routes import admin_courier
from phalanx.persistence.sql.courier_store import SQLCourierStore
from tests.support.openapi import assert_matches_spec

pytestmark = pytest.mark.anyio


def _client(store: SQLCourierStore, *, dev: bool) -> httpx.AsyncClient:
    app = Starlette(routes=admin_courier.routes)
    app.state.registry = SimpleNamespace(courier_store=store, config=SimpleNamespace(is_dev=dev))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://admin")


@pytest.fixture
async def client(sqlite_store: SQLCourierStore) -> AsyncIterator[httpx.AsyncClient]:
    courier = Courier(sqlite_store, TemplateRenderer())
    for i in range(4):
        await courier.queue_email("a@example.org", "login_code_valid", {"login_code": f"00000{i}"})
    await courier.queue_email("b@example.org", "recovery_code_valid", {"recovery_code": "123456"})
    async with _client(sqlite_store, dev=True) as c:
        yield c


def _links(response: httpx.Response) -> dict[str, str]:
    return {
        rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["link"])
    }


async def test_list_paginates_with_link_header(client: httpx.AsyncClient) -> None:
    r = await client.get("/admin/courier/messages", params={"page_size": 2})
    assert r.status_code == 200
    assert_matches_spec("GET", "/admin/courier/messages", 200, r.json())
    body = r.json()
    assert [m["recipient"] for m in body] == ["b@example.org", "a@example.org"]
    assert "dispatches" not in body[0]
    assert body[0]["subject"] == "Use code 123456 to recover access to your account"
    assert body[0]["body"].startswith("Recover access")  # dev mode shows the body
    links = _links(r)
    assert set(links) == {"first", "next"} and "page_size=2" in links["first"]
    ids = [m["id"] for m in body]
    next_url = links["next"]
    while True:
        page = await client.get(next_url)
        ids += [m["id"] for m in page.json()]
        if "next" not in _links(page):
            break
        next_url = _links(page)["next"]
    assert len(ids) == len(set(ids)) == 5


async def test_list_filters(client: httpx.AsyncClient) -> None:
    r = await client.get("/admin/courier/messages", params={"recipient": "b@example.org"})
    assert [m["template_type"] for m in r.json()] == ["recovery_code_valid"]
    r = await client.get("/admin/courier/messages", params={"status": "queued"})
    assert len(r.json()) == 5
    r = await client.get("/admin/courier/messages", params={"status": "sent"})
    assert r.json() == [] and "next" not in _links(r)
    for bad in ("bogus", ""):
        r = await client.get("/admin/courier/messages", params={"status": bad})
        assert r.status_code == 400
        assert r.json()["error"]["reason"] == "Message status is not valid"
        assert_matches_spec("GET", "/admin/courier/messages", 400, r.json())
    r = await client.get("/admin/courier/messages", params={"page_token": "!!garbage"})
    assert r.status_code == 400


async def test_get_message(client: httpx.AsyncClient, sqlite_store: SQLCourierStore) -> None:
    listed = (await client.get("/admin/courier/messages")).json()
    message_id = listed[0]["id"]
    [claimed] = await sqlite_store.claim_batch(1)
    await sqlite_store.mark_failed(claimed.id, {"code": 500, "status": "x", "message": "down"})
    r = await client.get(f"/admin/courier/messages/{claimed.id}")
    assert r.status_code == 200
    assert_matches_spec("GET", f"/admin/courier/messages/{claimed.id}", 200, r.json())
    message = r.json()
    assert message["status"] == "queued" and message["channel"] == "email"
    assert [d["status"] for d in message["dispatches"]] == ["failed"]
    assert message["dispatches"][0]["error"]["message"] == "down"
    assert set(message) >= {"id", "type", "recipient", "body", "subject", "send_count"}
    r = await client.get(f"/admin/courier/messages/{message_id}")
    assert r.status_code == 200 and "dispatches" not in r.json()


async def test_get_errors(client: httpx.AsyncClient) -> None:
    r = await client.get("/admin/courier/messages/not-a-uuid")
    assert r.status_code == 400
    assert r.json() == {
        "error": {
            "code": 400,
            "status": "Bad Request",
            "message": 'uuid: incorrect UUID length 10 in string "not-a-uuid"',
        }
    }
    r = await client.get("/admin/courier/messages/zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz")
    assert r.status_code == 400 and "incorrect UUID format" in r.json()["error"]["message"]
    r = await client.get("/admin/courier/messages/2d5d1c5b-0000-4000-8000-000000000000")
    assert r.status_code == 404
    assert r.json() == {
        "error": {"code": 404, "status": "Not Found", "message": "Unable to locate the resource"}
    }


async def test_body_is_redacted_outside_dev_mode(sqlite_store: SQLCourierStore) -> None:
    await Courier(sqlite_store, TemplateRenderer()).queue_email(
        "a@example.org", "login_code_valid", {"login_code": "123456"}
    )
    async with _client(sqlite_store, dev=False) as c:
        [message] = (await c.get("/admin/courier/messages")).json()
        assert message["body"] == "<redacted-unless-dev-mode>"
        one = (await c.get(f"/admin/courier/messages/{message['id']}")).json()
        assert one["body"] == "<redacted-unless-dev-mode>"
        assert one["subject"] == "Use code 123456 to log in"
