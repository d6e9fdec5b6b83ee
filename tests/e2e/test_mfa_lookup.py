"""Backup recovery codes (``lookup_secret``): regenerate, confirm, reveal and disable in
settings (API, SPA and form clients); the aal2 login with one code, each code once;
codes stored as keyed digests."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import httpx
import pytest

from phalanx.testing import (
    JSON,
    PASSWORD,
    Browser,
    client,
    message_ids,
    node,
    query_of,
    register_api,
)
from tests.support.identities import unique_email
from tests.support.mfa import (
    aal2_flow_api,
    csrf_of,
    mfa_config,
    node_by_id,
    password_login_api,
)
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

GROUP = "lookup_secret"


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(config=mfa_config())


@pytest.fixture
def public(server: PhalanxServer) -> Any:
    with client(server.public_url) as http:
        yield http


def _settings(http: httpx.Client, token: str) -> dict[str, Any]:
    r = http.get("/self-service/settings/api", headers={**JSON, "X-Session-Token": token})
    assert r.status_code == 200, r.text
    flow: dict[str, Any] = r.json()
    return flow


def _post(http: httpx.Client, flow: dict[str, Any], token: str, **body: Any) -> httpx.Response:
    return http.post(flow["ui"]["action"], headers={**JSON, "X-Session-Token": token}, json=body)


def _codes(flow: dict[str, Any]) -> list[str]:
    text = node_by_id(flow, "lookup_secret_codes")["attributes"]["text"]
    return [s["context"]["secret"] for s in text["context"]["secrets"] if s["id"] == 1050009]


def _group(flow: dict[str, Any]) -> list[str]:
    return [
        n["attributes"].get("name") or n["attributes"].get("id")
        for n in flow["ui"]["nodes"]
        if n["group"] == GROUP
    ]


def _enrolled(server: PhalanxServer, http: httpx.Client) -> tuple[str, list[str], str]:
    """(email, the 12 codes, identity id) of a fresh identity with confirmed codes."""
    email = unique_email("lookup")
    token, identity = register_api(server.public_url, email)
    flow = _settings(http, token)
    r = _post(http, flow, token, lookup_secret_regenerate=True)
    assert r.status_code == 200, r.text
    codes = _codes(r.json())
    r = _post(http, r.json(), token, lookup_secret_confirm=True)
    assert r.status_code == 200, r.text
    return email, codes, identity["id"]


def _aal2_login(http: httpx.Client, token: str, code: Any) -> httpx.Response:
    flow = aal2_flow_api(http, token)
    return http.post(
        flow["ui"]["action"],
        headers={"X-Session-Token": token},
        json={"method": "lookup_secret", "lookup_secret": code, "csrf_token": csrf_of(flow)},
    )


def test_regenerate_confirm_reveal_disable(server: PhalanxServer, public: httpx.Client) -> None:
    token, identity = register_api(server.public_url, unique_email("lookup"))
    flow = _settings(public, token)
    assert _group(flow) == ["lookup_secret_regenerate"]
    regen = node(flow, "lookup_secret_regenerate")
    assert regen["attributes"]["type"] == "submit" and regen["attributes"]["value"] == "true"
    assert regen["meta"]["label"]["id"] == 1050008
    # Confirm before regenerate: 4000001.
    r = _post(public, flow, token, lookup_secret_confirm=True)
    assert r.status_code == 400
    assert r.json()["ui"]["messages"][0]["text"] == (
        "You must (re-)generate recovery backup codes before you can save them."
    )
    # Regenerate: back to the form (no success), 12 codes and the confirm button.
    r = _post(public, flow, token, lookup_secret_regenerate="true", method="lookup_secret")
    assert r.status_code == 200, r.text
    shown = r.json()
    assert shown["state"] == "show_form" and "messages" not in shown["ui"]
    assert _group(shown) == ["lookup_secret_codes", "lookup_secret_confirm"]
    codes = _codes(shown)
    assert len(codes) == 12 and len(set(codes)) == 12
    assert all(re.fullmatch(r"[a-z0-9]{8}", c) for c in codes)
    text = node_by_id(shown, "lookup_secret_codes")
    assert text["meta"]["label"]["id"] == 1050010
    assert text["attributes"]["text"]["id"] == 1050015
    assert text["attributes"]["text"]["text"] == ", ".join(codes)
    assert node(shown, "lookup_secret_confirm")["meta"]["label"]["id"] == 1050011
    # The fetched flow shows the same codes (a UI renders them from there).
    fetched = public.get(
        "/self-service/settings/flows",
        params={"id": flow["id"]},
        headers={**JSON, "X-Session-Token": token},
    ).json()
    assert _codes(fetched) == codes
    # Confirm: success, codes stored as digests, the session gains lookup_secret at aal2.
    r = _post(public, shown, token, lookup_secret_confirm=True)
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["state"] == "success" and message_ids(done["ui"]) == [1050001]
    assert _group(done) == ["lookup_secret_reveal", "lookup_secret_disable"]
    assert node(done, "lookup_secret_reveal")["meta"]["label"]["id"] == 1050007
    assert node(done, "lookup_secret_disable")["meta"]["label"]["id"] == 1050016
    me = public.get("/sessions/whoami", headers={"X-Session-Token": token}).json()
    assert [(m["method"], m["aal"]) for m in me["authentication_methods"]] == [
        ("password", "aal1"),
        ("lookup_secret", "aal2"),
    ]
    admin = httpx.get(
        f"{server.admin_url}/admin/identities/{identity['id']}",
        params={"include_credential": "lookup_secret"},
    ).json()
    stored = admin["credentials"]["lookup_secret"]
    assert stored["identifiers"] == [identity["id"]]
    entries = stored["config"]["recovery_codes"]
    assert len(entries) == 12 and all(e["used_at"] is None for e in entries)
    assert not {e["code"] for e in entries} & set(codes)
    assert all(re.fullmatch(r"[0-9a-f]{64}", e["code"]) for e in entries)
    # Reveal: which codes are left (Phalanx keeps digests only, so they are masked).
    r = _post(public, done, token, lookup_secret_reveal=True)
    assert r.status_code == 200, r.text
    revealed = r.json()
    assert _group(revealed) == [
        "lookup_secret_codes",
        "lookup_secret_disable",
        "lookup_secret_regenerate",
    ]
    assert _codes(revealed) == ["********"] * 12
    # Disable: the credential goes, regenerate is offered again.
    r = _post(public, revealed, token, lookup_secret_disable=True)
    assert r.status_code == 200, r.text
    assert _group(r.json()) == ["lookup_secret_regenerate"]
    r = _post(public, r.json(), token, lookup_secret_reveal=True)
    assert r.status_code == 400
    assert r.json()["ui"]["messages"][0]["text"] == (
        "Can not reveal lookup codes because you have none."
    )


def test_each_code_works_once(server: PhalanxServer, public: httpx.Client) -> None:
    email, codes, _ = _enrolled(server, public)
    first = password_login_api(server.public_url, email)
    assert first["session"]["identity"] is None
    token = first["session_token"]
    flow = aal2_flow_api(public, token)
    assert [n["attributes"]["name"] for n in flow["ui"]["nodes"]] == [
        "csrf_token",
        "lookup_secret",
        "method",
    ]
    assert node(flow, "lookup_secret")["meta"]["label"]["id"] == 1010007
    assert node(flow, "method", GROUP)["meta"]["label"]["id"] == 1010010
    r = _aal2_login(public, token, "zzzzzzzz")
    assert r.status_code == 400 and message_ids(r.json()["ui"]) == [4000016]
    r = _aal2_login(public, token, "")
    assert r.status_code == 400 and message_ids(r.json()["ui"]) == [4000016]
    r = _aal2_login(public, token, 12345678)
    assert r.status_code == 400
    r = _aal2_login(public, token, codes[3])
    assert r.status_code == 200, r.text
    assert r.json()["session"]["authenticator_assurance_level"] == "aal2"
    other = password_login_api(server.public_url, email)["session_token"]
    r = _aal2_login(public, other, codes[3])
    assert r.status_code == 400 and message_ids(r.json()["ui"]) == [4000012]
    r = _aal2_login(public, other, codes[4])
    assert r.status_code == 200, r.text
    # Reveal now lists two codes as used (1050014 with the time).
    flow = _settings(public, other)
    r = _post(public, flow, other, lookup_secret_reveal=True)
    secrets = node_by_id(r.json(), "lookup_secret_codes")["attributes"]["text"]
    assert [s["id"] for s in secrets["context"]["secrets"]].count(1050014) == 2
    assert secrets["text"].split(", ")[3:5] == ["used", "used"]
    used = secrets["context"]["secrets"][3]
    assert used["text"].startswith("Secret was used at ") and used["text"].endswith(" +0000 UTC")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", used["context"]["used_at"])


def test_codes_are_stored_as_digests(server: PhalanxServer, public: httpx.Client) -> None:
    _, codes, identity_id = _enrolled(server, public)
    path = server.dsn.removeprefix("sqlite://").split("?", 1)[0]
    with sqlite3.connect(path) as db:
        rows = [r[0] for r in db.execute("SELECT config FROM identity_credentials")]
    dump = "\n".join(str(r) for r in rows)
    assert not any(code in dump for code in codes)
    assert identity_id


def test_browser_form_regenerate_goes_back_to_the_ui(server: PhalanxServer) -> None:
    email = unique_email("lookup")
    register_api(server.public_url, email)
    with Browser(server, json=False) as browser:
        flow = browser.init("login")
        r = browser.submit(flow, {"method": "password", "identifier": email, "password": PASSWORD})
        assert r.status_code == 303
        flow = browser.init("settings")
        r = browser.submit(flow, {"lookup_secret_regenerate": "true"})
        assert r.status_code == 303
        assert query_of(r.headers["location"]) == {"flow": flow["id"]}
        shown = browser.get("/self-service/settings/flows", params={"id": flow["id"]}).json()
        assert len(_codes(shown)) == 12
        r = browser.submit(shown, {"lookup_secret_confirm": "true"})
        assert r.status_code == 303
        assert browser.whoami().json()["authenticator_assurance_level"] == "aal2"


def test_imported_codes_work_and_admin_removal_lowers_the_aal(
    server: PhalanxServer, public: httpx.Client
) -> None:
    email = unique_email("lookup")
    created = httpx.post(
        f"{server.admin_url}/admin/identities",
        json={
            "schema_id": "default",
            "traits": {"email": email},
            "credentials": {
                "password": {"config": {"password": PASSWORD}},
                "lookup_secret": {
                    "config": {
                        "codes": [
                            {"code": "imported1"},
                            {"code": "imported2", "used_at": "2024-01-02T03:04:05Z"},
                        ]
                    }
                },
            },
        },
    )
    assert created.status_code == 201, created.text
    identity_id = created.json()["id"]
    stored = httpx.get(
        f"{server.admin_url}/admin/identities/{identity_id}",
        params={"include_credential": "lookup_secret"},
    ).json()["credentials"]["lookup_secret"]["config"]["recovery_codes"]
    assert [e["used_at"] for e in stored] == [None, "2024-01-02T03:04:05Z"]
    assert {e["code"] for e in stored}.isdisjoint({"imported1", "imported2"})
    first = password_login_api(server.public_url, email)
    assert first["session"]["identity"] is None
    token = first["session_token"]
    r = _aal2_login(public, token, "imported2")
    assert r.status_code == 400 and message_ids(r.json()["ui"]) == [4000012]
    r = _aal2_login(public, token, "imported1")
    assert r.status_code == 200, r.text
    # Every code used: Kratos still counts the method, so the identity stays at aal2.
    other = password_login_api(server.public_url, email)
    assert other["session"]["identity"] is None
    r = httpx.delete(f"{server.admin_url}/admin/identities/{identity_id}/credentials/lookup_secret")
    assert r.status_code == 204
    me = public.get("/sessions/whoami", headers={"X-Session-Token": other["session_token"]})
    assert me.status_code == 200 and me.json()["authenticator_assurance_level"] == "aal1"
