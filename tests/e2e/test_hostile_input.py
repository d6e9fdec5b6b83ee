"""Hostile input answers 4xx in the Kratos envelope, never 5xx, and stores nothing
(issue 9 items 6, 8, 9 and 10), on SQLite, PostgreSQL and MariaDB.

* JSON nested deeper than the edge's limit (``phalanx.http.guard.MAX_JSON_DEPTH``), in any
  body and in form bodies whose dotted keys build objects: 400. At the limit everything is
  stored and renders on every database (MariaDB's JSON check is the tightest stage).
  Identities stored deeper *before* the limit existed still render (list, get, whoami).
* A NUL character anywhere (body, identifier, query such as ``aal``, admin filters,
  external id, path): 400.
* Number and duration overflows on the admin API (pages, page tokens, ``expires_in``): 400
  or Go's fallback, never 500.
* A JSON Patch operation whose ``op`` is not a string: 400 as Kratos.
* A 10 MB body: 4xx.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import anyio
import httpx
import orjson
import pytest
from sqlalchemy import Text, bindparam, cast, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import create_async_engine

from phalanx.config import parse_dsn
from phalanx.http.guard import MAX_JSON_DEPTH
from phalanx.persistence.sql.tables import identities
from phalanx.wire_json import dumps
from tests.support.api import SpecClient, error_of
from tests.support.identities import create_body, unique_email
from tests.support.server import BACKENDS, PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

PASSWORD = "a-Very-long-Passw0rd-4-tests"


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(
        database=request.param,
        config={
            "selfservice": {
                "methods": {"password": {"config": {"haveibeenpwned_enabled": False}}},
                "flows": {
                    "recovery": {"enabled": True, "use": "code"},
                    "verification": {"enabled": True, "use": "code"},
                    "registration": {"after": {"password": {"hooks": [{"hook": "session"}]}}},
                },
            },
            "courier": {"smtp": {"connection_uri": "smtp://127.0.0.1:9/?disable_starttls=true"}},
        },
    )


@pytest.fixture(scope="module")
def admin(server: PhalanxServer) -> Any:
    with SpecClient(server.admin_url) as client:
        yield client


@pytest.fixture(scope="module")
def public(server: PhalanxServer) -> Any:
    with SpecClient(server.public_url) as client:
        yield client


def nested(depth: int, leaf: Any = "x") -> Any:
    """``depth`` objects inside each other (``nested(2) == {"a": {"a": "x"}}``)."""
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


def as_json(value: Any) -> dict[str, Any]:
    """Request arguments for a JSON body of any depth (httpx's encoder recurses)."""
    return {"content": dumps(value), "headers": {"Content-Type": "application/json"}}


def assert_bad_request(response: httpx.Response, *needles: str) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["code"] == 400 and error["status"] == "Bad Request"
    text_of = f"{error.get('reason', '')} {error.get('message', '')}"
    for needle in needles:
        assert needle in text_of, error
    return error


def no_identity(admin: Any, email: str) -> None:
    r = admin.get("/admin/identities", params={"credentials_identifier": email})
    assert r.status_code == 200 and r.json() == [], r.text


def api_flow(public: Any, kind: str) -> dict[str, Any]:
    r = public.get(f"/self-service/{kind}/api")
    assert r.status_code == 200, r.text
    flow: dict[str, Any] = r.json()
    return flow


# -- item 6: one depth limit at the edge ---------------------------------------------------


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 300, 1000, 5000])
def test_deep_admin_bodies_are_refused_and_nothing_is_stored(admin: Any, depth: int) -> None:
    email = unique_email("deep")
    for body in (
        create_body(email, metadata_public=nested(depth - 1)),
        create_body(email, metadata_admin=nested(depth - 1)),
        {"schema_id": "default", "traits": {"email": email, "name": nested(depth - 2)}},
    ):
        r = admin.post("/admin/identities", **as_json(body), validate=False)
        assert_bad_request(r, "nested more than", str(MAX_JSON_DEPTH))
    r = admin.patch(
        "/admin/identities",
        **as_json({"identities": [{"create": create_body(email, metadata_public=nested(depth))}]}),
        validate=False,
    )
    assert_bad_request(r, "nested more than")
    no_identity(admin, email)


def test_deep_patch_values_and_paths_are_refused(admin: Any) -> None:
    r = admin.post("/admin/identities", json=create_body(unique_email("patch")))
    assert r.status_code == 201, r.text
    identity = r.json()
    too_deep = [
        [{"op": "add", "path": "/metadata_public", "value": nested(MAX_JSON_DEPTH)}],
        [{"op": "add", "path": "/metadata_public" + "/a" * MAX_JSON_DEPTH, "value": "x"}],
        [{"op": "add", "path": "/metadata_public" + "/a" * 1000, "value": 1}],
    ]
    for operations in too_deep:
        r = admin.patch(f"/admin/identities/{identity['id']}", json=operations, validate=False)
        assert_bad_request(r, "nested more than")
    r = admin.get(f"/admin/identities/{identity['id']}")
    assert r.status_code == 200 and r.json()["metadata_public"] is None
    # right at the limit: the path's segments and the value's depth add up to it
    deepest = "/metadata_public" + "/a" * (MAX_JSON_DEPTH - 2)
    r = admin.patch(
        f"/admin/identities/{identity['id']}",
        json=[{"op": "add", "path": deepest, "value": {"b": "x"}}],
    )
    assert r.status_code == 200, r.text
    assert r.json()["metadata_public"] == nested(MAX_JSON_DEPTH - 2, {"b": "x"})


def test_deep_self_service_bodies_are_refused(public: Any, admin: Any) -> None:
    email = unique_email("deep-reg")
    flow = api_flow(public, "registration")
    body = {
        "method": "password",
        "password": PASSWORD,
        "traits": {"email": email, "name": {"first": "A", "x": nested(300)}},
    }
    r = public.post(flow["ui"]["action"], **as_json(body), validate=False)
    assert_bad_request(r, "nested more than")
    body["traits"] = {"email": email}
    body["transient_payload"] = nested(MAX_JSON_DEPTH)
    r = public.post(flow["ui"]["action"], json=body, validate=False)
    assert_bad_request(r, "nested more than")
    # a form body whose dotted keys build objects deeper than the limit
    form = {
        "method": "password",
        "password": PASSWORD,
        "traits.email": email,
        "traits.name.x" + ".a" * MAX_JSON_DEPTH: "v",
    }
    r = public.post(flow["ui"]["action"], data=form, validate=False)
    assert_bad_request(r, "nested more than")
    # dotted keys inside a JSON body count as well
    r = public.post(
        flow["ui"]["action"],
        json={
            "method": "password",
            "password": PASSWORD,
            "traits.email": email,
            "traits.name.x" + ".a" * MAX_JSON_DEPTH: "v",
        },
        validate=False,
    )
    assert_bad_request(r, "nested more than")
    no_identity(admin, email)


def test_depth_at_the_limit_is_stored_and_renders_everywhere(public: Any, admin: Any) -> None:
    """The deepest accepted body goes through every stage on every database: identity
    columns, flow UI nodes, transient payloads, courier template data, whoami."""
    email = unique_email("limit")
    traits = {"email": email, "name": {"first": "A", "x": nested(MAX_JSON_DEPTH - 3)}}
    flow = api_flow(public, "registration")
    r = public.post(
        flow["ui"]["action"],
        json={
            "method": "password",
            "password": PASSWORD,
            "traits": traits,
            "transient_payload": nested(MAX_JSON_DEPTH - 1),
        },
    )
    assert r.status_code == 200, r.text
    token = r.json()["session_token"]
    r = public.get("/sessions/whoami", headers={"X-Session-Token": token})
    assert r.status_code == 200 and r.json()["identity"]["traits"] == traits
    # a failing submission re-renders the deep values into the stored flow
    flow = api_flow(public, "registration")
    r = public.post(
        flow["ui"]["action"],
        json={"method": "password", "password": "short", "traits": {**traits, "email": "x"}},
    )
    assert r.status_code == 400 and r.json()["id"] == flow["id"]
    # recovery and verification queue mails whose template data hold the identity
    for kind in ("recovery", "verification"):
        flow = api_flow(public, kind)
        r = public.post(
            flow["ui"]["action"],
            json={"method": "code", "email": email, "transient_payload": nested(23)},
        )
        assert r.status_code == 200, r.text
    r = admin.post(
        "/admin/identities",
        json=create_body(
            unique_email("limit-admin"),
            metadata_public=nested(MAX_JSON_DEPTH - 1),
            metadata_admin=nested(MAX_JSON_DEPTH - 1),
        ),
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["metadata_public"] == nested(MAX_JSON_DEPTH - 1)
    r = admin.get(f"/admin/identities/{created['id']}")
    assert r.status_code == 200 and r.json()["metadata_admin"] == nested(MAX_JSON_DEPTH - 1)
    r = admin.get("/admin/courier/messages", params={"recipient": email})
    assert r.status_code == 200 and len(r.json()) >= 1


def same(a: Any, b: Any) -> bool:
    """Deep equality without recursion (``==`` recurses once per level)."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if isinstance(x, dict) and isinstance(y, dict):
            if x.keys() != y.keys():
                return False
            stack.extend((x[k], y[k]) for k in x)
        elif isinstance(x, list) and isinstance(y, list):
            if len(x) != len(y):
                return False
            stack.extend(zip(x, y, strict=True))
        elif type(x) is not type(y) or x != y:
            return False
    return True


def _write_json_column(dsn: str, identity_id: str, column: str, value: Any) -> None:
    """Store ``value`` in ``identities.<column>`` bypassing Phalanx (as an older version
    or a hand-run SQL statement would have)."""
    url = parse_dsn(dsn)
    document = dumps(value).decode()

    async def write() -> None:
        engine = create_async_engine(url.sqlalchemy_url, connect_args=url.connect_args())
        try:
            async with engine.begin() as conn:
                target = identities.c[column]
                raw: Any = bindparam("document", document, type_=Text)
                if conn.dialect.name == "postgresql":
                    raw = cast(raw, JSONB)
                await conn.execute(
                    update(identities)
                    .where(identities.c.id == uuid.UUID(identity_id))
                    .values({target: raw})
                )
                check = await conn.execute(text("SELECT 1"))
                assert check.scalar() == 1
        finally:
            await engine.dispose()

    anyio.run(write)


def test_identities_stored_deeper_before_still_render(
    server: PhalanxServer, public: Any, admin: Any
) -> None:
    # MariaDB's JSON_VALID check never stored documents nested deeper than 31 levels
    mariadb = server.dsn.startswith("mysql")
    email = unique_email("legacy-deep")
    r = admin.post("/admin/identities", json=create_body(email, password=PASSWORD))
    assert r.status_code == 201, r.text
    identity_id = r.json()["id"]
    flow = api_flow(public, "login")
    r = public.post(
        flow["ui"]["action"],
        json={"method": "password", "identifier": email, "password": PASSWORD},
    )
    assert r.status_code == 200, r.text
    token = r.json()["session_token"]
    deep_metadata = nested(31 if mariadb else 1000)
    deep_traits = {"email": email, "name": {"first": "A", "x": nested(29 if mariadb else 300)}}
    _write_json_column(server.dsn, identity_id, "metadata_public", deep_metadata)
    _write_json_column(server.dsn, identity_id, "traits", deep_traits)

    # bodies nest ~1000 levels: read them with orjson (the stdlib parser recurses)
    r = admin.get(f"/admin/identities/{identity_id}", validate=False)
    assert r.status_code == 200, r.text
    body = orjson.loads(r.content)
    assert same(body["metadata_public"], deep_metadata) and same(body["traits"], deep_traits)
    r = admin.get("/admin/identities", params={"ids": identity_id}, validate=False)
    assert r.status_code == 200, r.text
    assert same(orjson.loads(r.content)[0]["metadata_public"], deep_metadata)
    r = admin.get("/admin/identities", validate=False)
    assert r.status_code == 200, r.text
    r = public.get("/sessions/whoami", headers={"X-Session-Token": token}, validate=False)
    assert r.status_code == 200, r.text
    assert same(orjson.loads(r.content)["identity"]["traits"], deep_traits)
    # a patch of such an identity fails cleanly, and it can still be deleted
    r = admin.patch(
        f"/admin/identities/{identity_id}",
        json=[{"op": "replace", "path": "/state", "value": "inactive"}],
        validate=False,
    )
    assert r.status_code in (200, 400), r.text
    r = admin.delete(f"/admin/identities/{identity_id}")
    assert r.status_code == 204, r.text


# -- item 8: NUL characters ----------------------------------------------------------------


def test_nul_in_admin_input_is_refused(admin: Any) -> None:
    email = unique_email("nul")
    for body in (
        create_body("nul\x00" + email),
        create_body(email, metadata_public={"k": "v\x00"}),
        create_body(email, metadata_admin={"k\x00": "v"}),
        create_body(email, external_id="ext\x00"),
        create_body(email, password="pass\x00word-long-enough"),
    ):
        r = admin.post("/admin/identities", json=body, validate=False)
        assert_bad_request(r, "NUL character")
    no_identity(admin, email)
    for path, params in (
        ("/admin/identities", {"credentials_identifier": "a\x00b"}),
        ("/admin/identities", {"preview_credentials_identifier_similar": "\x00"}),
        ("/admin/identities/by/external/a%00b", {}),
        ("/admin/courier/messages", {"recipient": "a\x00@b.c"}),
        ("/admin/sessions", {"page_token": "\x00"}),
    ):
        r = admin.get(path, params=params, validate=False)
        assert_bad_request(r, "NUL character")


def test_nul_in_self_service_input_is_refused(public: Any, admin: Any) -> None:
    email = unique_email("nul-reg")
    r = public.get("/self-service/login/api", params={"aal": "aal1\x00"}, validate=False)
    assert_bad_request(r, "NUL character")
    r = public.get("/self-service/login/flows", params={"id": "\x00"}, validate=False)
    assert_bad_request(r, "NUL character")
    flow = api_flow(public, "registration")
    for traits in ({"email": email + "\x00"}, {"email": email, "name": {"first": "\x00"}}):
        r = public.post(
            flow["ui"]["action"],
            json={"method": "password", "password": PASSWORD, "traits": traits},
            validate=False,
        )
        assert_bad_request(r, "NUL character")
    r = public.post(
        flow["ui"]["action"],
        data={"method": "password", "password": PASSWORD, "traits.email": email + "\x00"},
        validate=False,
    )
    assert_bad_request(r, "NUL character")
    no_identity(admin, email)
    flow = api_flow(public, "login")
    r = public.post(
        flow["ui"]["action"],
        json={"method": "password", "identifier": "a\x00b", "password": PASSWORD},
        validate=False,
    )
    assert_bad_request(r, "NUL character")
    for kind in ("recovery", "verification"):
        flow = api_flow(public, kind)
        r = public.post(
            flow["ui"]["action"], json={"method": "code", "email": "a\x00@b.c"}, validate=False
        )
        assert_bad_request(r, "NUL character")
    r = public.get("/sessions/whoami", headers={"X-Session-Token": "ory_st_%00"}, validate=False)
    assert r.status_code == 401, r.text


# -- item 9: number and duration overflows -------------------------------------------------


def _token(offset: int | str) -> str:
    raw = f'{{"offset":"{offset}","v":2}}'.encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_page_overflows_never_answer_500(admin: Any, public: Any) -> None:
    r = admin.post("/admin/identities", json=create_body(unique_email("pages")))
    assert r.status_code == 201, r.text
    identity_id = r.json()["id"]
    huge = "9223372036854775808"
    digits = "1" * 400
    # Go's ParseInt fails past int64: Kratos falls back to the first page
    for value in (huge, digits, "-" + huge):
        r = admin.get(f"/admin/identities/{identity_id}/sessions", params={"page": value})
        assert r.status_code == 200, r.text
        r = admin.get("/admin/identities", params={"page": value, "per_page": "1"}, validate=False)
        assert r.status_code == 200, r.text
        r = public.get("/schemas", params={"page": value})
        assert r.status_code == 200, r.text
    # in range, but page * per_page overflows an SQL OFFSET
    r = admin.get(
        f"/admin/identities/{identity_id}/sessions",
        params={"page": "9223372036854775807", "per_page": "2"},
        validate=False,
    )
    assert_bad_request(r, "out of range")
    r = admin.get(
        f"/admin/identities/{identity_id}/sessions",
        params={"page": "4611686018427387903", "per_page": "2"},
    )
    assert r.status_code == 200 and r.json() == []
    # page tokens carrying huge offsets
    for offset in (huge, digits):
        r = admin.get(
            f"/admin/identities/{identity_id}/sessions",
            params={"page_token": _token(offset)},
            validate=False,
        )
        assert_bad_request(r, "pagination token")
    r = admin.get(
        f"/admin/identities/{identity_id}/sessions",
        params={"page_token": _token(9223372036854775000), "page_size": "1"},
    )
    assert r.status_code == 200 and r.json() == []
    # page sizes: keyset parsers answer Go's Atoi error, others fall back
    r = admin.get("/admin/identities", params={"page_size": huge}, validate=False)
    assert_bad_request(r, "value out of range")
    r = admin.get("/admin/identities", params={"page_size": digits}, validate=False)
    assert_bad_request(r, "value out of range")
    for path in ("/admin/sessions", "/admin/courier/messages"):
        r = admin.get(path, params={"page_size": huge}, validate=False)
        assert r.status_code == 400, r.text


@pytest.mark.parametrize(
    "expires_in", ["99999999999h", "1" + "0" * 400 + "s", "2562048h", "9223372036854775808ns"]
)
def test_duration_overflows_answer_400(admin: Any, expires_in: str) -> None:
    r = admin.post("/admin/identities", json=create_body(unique_email("dur")))
    assert r.status_code == 201, r.text
    identity_id = r.json()["id"]
    r = admin.post(
        "/admin/recovery/code",
        json={"identity_id": identity_id, "expires_in": expires_in},
        validate=False,
    )
    assert_bad_request(r, "expires_in")


def test_longest_go_duration_is_accepted(admin: Any) -> None:
    r = admin.post("/admin/identities", json=create_body(unique_email("dur-max")))
    identity_id = r.json()["id"]
    r = admin.post(
        "/admin/recovery/code", json={"identity_id": identity_id, "expires_in": "2562047h"}
    )
    assert r.status_code == 201, r.text
    assert r.json()["expires_at"].startswith("23")  # about 292 years from now


# -- item 10: JSON Patch op that is not a string -------------------------------------------


@pytest.mark.parametrize("op", [1, ["add"], {"op": "add"}, None, True])
def test_patch_op_that_is_no_string_answers_400(admin: Any, op: Any) -> None:
    r = admin.post("/admin/identities", json=create_body(unique_email("op")))
    identity_id = r.json()["id"]
    r = admin.patch(
        f"/admin/identities/{identity_id}",
        json=[{"op": op, "path": "/metadata_public", "value": {"a": 1}}],
        validate=False,
    )
    error = assert_bad_request(r)
    assert error["reason"] == "An error occured when applying the JSON patch"
    assert error["message"] == "unsupported operation: unknown"
    r = admin.get(f"/admin/identities/{identity_id}")
    assert r.json()["metadata_public"] is None


# -- body size -----------------------------------------------------------------------------


def test_ten_megabyte_bodies_answer_4xx(admin: Any, public: Any) -> None:
    big = b"x" * (10 << 20)
    r = admin.post(
        "/admin/identities",
        content=big,
        headers={"Content-Type": "application/json"},
        validate=False,
    )
    assert 400 <= r.status_code < 500, r.text
    flow = api_flow(public, "registration")
    for content_type in ("application/json", "application/x-www-form-urlencoded"):
        r = public.post(
            flow["ui"]["action"],
            content=big,
            headers={"Content-Type": content_type},
            validate=False,
        )
        assert r.status_code == 413, r.text

    def chunks() -> Any:
        for _ in range(10):
            yield b"a" * (1 << 20)

    r = public.post(
        flow["ui"]["action"],
        content=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        validate=False,
    )
    assert r.status_code == 413, r.text
