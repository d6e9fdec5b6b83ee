"""The Kratos API calls the benchmarks make, on an ``httpx.AsyncClient``.

Only what setup and the flow-level benchmarks need: batch identity import, keyset paging
through ``Link`` headers, native (``/api``) registration and login flows, logout, admin
session revocation and identity deactivation. Every helper fails loudly on an unexpected
status, because a benchmark that measures errors measures nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

__all__ = [
    "ApiError",
    "SessionInfo",
    "batch_body",
    "batch_create",
    "deactivate_identity",
    "expect",
    "login",
    "logout",
    "next_link",
    "register",
    "revoke_session",
    "whoami_status",
]

_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


class ApiError(RuntimeError):
    """The server answered something a benchmark step cannot continue from."""


def expect(response: httpx.Response, *statuses: int) -> httpx.Response:
    if response.status_code not in statuses:
        raise ApiError(
            f"{response.request.method} {response.request.url} -> {response.status_code}, "
            f"expected {statuses}: {response.text[:500]}"
        )
    return response


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A session issued through a self-service flow."""

    token: str
    session_id: str
    identity_id: str
    email: str


def batch_body(emails: list[str], *, hashed_password: str = "", password: str = "") -> bytes:
    """A ``PATCH /admin/identities`` body creating one identity per e-mail, importing
    either a pre-computed hash (``hashed_password``) or a plaintext ``password``."""
    config = {"hashed_password": hashed_password} if hashed_password else {"password": password}
    items: list[dict[str, Any]] = [
        {
            "create": {
                "schema_id": "default",
                "traits": {"email": email, "name": f"Bench User {n}"},
                "credentials": {"password": {"config": config}},
            }
        }
        for n, email in enumerate(emails)
    ]
    return orjson.dumps({"identities": items})


async def batch_create(admin: httpx.AsyncClient, body: bytes) -> list[str]:
    """Send one batch; return the new identity ids (every entry must be ``create``)."""
    response = expect(
        await admin.patch(
            "/admin/identities", content=body, headers={"Content-Type": "application/json"}
        ),
        200,
    )
    results = response.json()["identities"]
    failed = [r for r in results if r.get("action") != "create"]
    if failed:
        raise ApiError(f"{len(failed)} batch entries failed, first: {failed[0]}")
    return [r["identity"] for r in results]


def next_link(response: httpx.Response) -> str | None:
    """The ``rel="next"`` URL of a Kratos keyset ``Link`` header, if any."""
    match = _NEXT.search(response.headers.get("link", ""))
    return match.group(1) if match else None


async def register(public: httpx.AsyncClient, email: str, password: str) -> SessionInfo:
    """Native registration (``/self-service/registration/api``) with the session hook."""
    flow = expect(await public.get("/self-service/registration/api"), 200).json()
    body = {"method": "password", "traits": {"email": email}, "password": password}
    result = expect(
        await public.post("/self-service/registration", params={"flow": flow["id"]}, json=body),
        200,
    ).json()
    if not result.get("session_token"):
        raise ApiError(f"registration issued no session token: {str(result)[:300]}")
    return SessionInfo(
        result["session_token"], result["session"]["id"], result["identity"]["id"], email
    )


async def login(public: httpx.AsyncClient, email: str, password: str) -> SessionInfo:
    """Native password login (``/self-service/login/api``)."""
    flow = expect(await public.get("/self-service/login/api"), 200).json()
    body = {"method": "password", "identifier": email, "password": password}
    result = expect(
        await public.post("/self-service/login", params={"flow": flow["id"]}, json=body), 200
    ).json()
    session = result["session"]
    return SessionInfo(result["session_token"], session["id"], session["identity"]["id"], email)


async def whoami_status(public: httpx.AsyncClient, token: str) -> int:
    response = await public.get("/sessions/whoami", headers={"X-Session-Token": token})
    return response.status_code


async def logout(public: httpx.AsyncClient, token: str) -> None:
    """``DELETE /self-service/logout/api`` with the session token."""
    expect(
        await public.request("DELETE", "/self-service/logout/api", json={"session_token": token}),
        204,
    )


async def revoke_session(admin: httpx.AsyncClient, session_id: str) -> None:
    """``DELETE /admin/sessions/{id}``."""
    expect(await admin.delete(f"/admin/sessions/{session_id}"), 204)


async def deactivate_identity(admin: httpx.AsyncClient, identity_id: str) -> None:
    """``PATCH /admin/identities/{id}`` with ``state`` -> ``inactive`` (JSON Patch)."""
    patch = [{"op": "replace", "path": "/state", "value": "inactive"}]
    expect(await admin.patch(f"/admin/identities/{identity_id}", json=patch), 200)
