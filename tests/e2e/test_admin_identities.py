"""``/admin/identities`` against a real ``phalanx serve``, on SQLite, PostgreSQL and MariaDB.

Every response body is validated against the Kratos v25.4 OpenAPI spec by the ``admin``
client. The server is shared by the module (per backend), so tests create their own data.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import bcrypt
import httpx
import pytest

from tests.support.api import SpecClient, error_of
from tests.support.identities import create_body, unique_email, unique_username
from tests.support.server import PhalanxServer

pytestmark = pytest.mark.e2e

NIL = "00000000-0000-0000-0000-000000000000"
CONFLICT = "This identity conflicts with another identity that already exists."


def _create(admin: SpecClient, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = admin.post("/admin/identities", json=body or create_body())
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _links(response: httpx.Response) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in response.headers.get("link", "").split(","):
        match = re.fullmatch(r'\s*<([^>]*)>; rel="(\w+)"\s*', part)
        if match:
            out[match.group(2)] = match.group(1)
    return out


# --- create / get -----------------------------------------------------------------------


def test_create_returns_201_with_location(
    admin: SpecClient, identity_server: PhalanxServer
) -> None:
    email = unique_email("Create")
    response = admin.post(
        "/admin/identities",
        json=create_body(
            email,
            password="correct horse battery",
            metadata_public={"plan": "pro"},
            metadata_admin={"note": "vip"},
            external_id=f"ext-{uuid.uuid4().hex}",
        ),
    )
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"{identity_server.admin_url}/identities/{body['id']}"
    assert body["schema_id"] == "default"
    assert body["schema_url"] == f"{identity_server.public_url}/schemas/ZGVmYXVsdA"
    assert body["state"] == "active" and body["state_changed_at"].endswith("Z")
    assert body["traits"] == {"email": email}
    assert body["metadata_public"] == {"plan": "pro"}
    assert body["metadata_admin"] == {"note": "vip"}
    assert body["organization_id"] is None
    password = body["credentials"]["password"]
    assert password["identifiers"] == [email.lower()]
    assert password["version"] == 1 and "config" not in password
    [address] = body["verifiable_addresses"]
    assert (address["value"], address["verified"], address["status"]) == (
        email.lower(),
        False,
        "pending",
    )
    assert [a["value"] for a in body["recovery_addresses"]] == [email.lower()]
    # Location is usable as is: the admin router also serves paths without /admin.
    follow = admin.get(response.headers["location"], template="/admin/identities/{id}")
    assert follow.status_code == 200 and follow.json()["id"] == body["id"]


def test_get_with_and_without_credential_config(admin: SpecClient) -> None:
    created = _create(admin, create_body(password="pw-for-get"))
    response = admin.get(f"/admin/identities/{created['id']}")
    assert response.status_code == 200
    body = response.json()
    assert body["metadata_admin"] is None
    assert "config" not in body["credentials"]["password"]
    response = admin.get(
        f"/admin/identities/{created['id']}", params={"include_credential": "password"}
    )
    config = response.json()["credentials"]["password"]["config"]
    assert config["hashed_password"].startswith("$2a$04$")
    response = admin.get(
        f"/admin/identities/{created['id']}", params={"include_credential": "bogus"}
    )
    assert response.status_code == 400
    assert (
        error_of(response)["reason"] == "Invalid value `bogus` for parameter `include_credential`."
    )


def test_import_hashed_password_and_verified_address(admin: SpecClient) -> None:
    email = unique_email("import")
    hashed = bcrypt.hashpw(b"imported", bcrypt.gensalt(4)).decode()
    created = _create(
        admin,
        create_body(
            email,
            hashed_password=hashed,
            state="inactive",
            verifiable_addresses=[
                {"value": email.upper(), "via": "email", "verified": True, "status": "completed"}
            ],
            recovery_addresses=[{"value": email, "via": "email"}],
        ),
    )
    assert created["state"] == "inactive"
    [address] = created["verifiable_addresses"]
    assert address["verified"] is True and address["status"] == "completed"
    assert address["verified_at"].endswith("Z")
    response = admin.get(
        f"/admin/identities/{created['id']}", params={"include_credential": "password"}
    )
    assert response.json()["credentials"]["password"]["config"] == {"hashed_password": hashed}


def test_import_oidc_and_mfa_credentials(admin: SpecClient) -> None:
    subject = uuid.uuid4().hex
    body = create_body(
        credentials={
            "oidc": {"config": {"providers": [{"provider": "google", "subject": subject}]}},
            "totp": {"config": {"totp_url": "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP"}},
            "lookup_secret": {"config": {"codes": [{"code": "abcd1234"}]}},
        }
    )
    created = _create(admin, body)
    assert created["credentials"]["oidc"]["identifiers"] == [f"google:{subject}"]
    assert created["credentials"]["totp"]["identifiers"] == [created["id"]]
    response = admin.get(
        f"/admin/identities/{created['id']}",
        params=[("include_credential", "oidc"), ("include_credential", "totp")],
    )
    creds = response.json()["credentials"]
    assert creds["oidc"]["config"]["providers"] == [
        {
            "initial_id_token": "",
            "initial_access_token": "",
            "initial_refresh_token": "",
            "subject": subject,
            "provider": "google",
        }
    ]
    assert creds["totp"]["config"] == {"totp_url": "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP"}
    assert "config" not in creds["lookup_secret"]


def test_username_schema_without_addresses(admin: SpecClient) -> None:
    name = unique_username("Customer")
    created = _create(admin, {"schema_id": "customer", "traits": {"username": name}})
    assert "verifiable_addresses" not in created and "recovery_addresses" not in created
    assert created["credentials"]["password"]["identifiers"] == [name.lower()]


# --- list -------------------------------------------------------------------------------


def test_list_paginates_with_link_headers(
    admin: SpecClient, identity_server: PhalanxServer
) -> None:
    mine = {_create(admin)["id"] for _ in range(5)}
    response = admin.get("/admin/identities", params={"page_size": 2})
    assert response.status_code == 200
    links = _links(response)
    assert links["first"] == f"/admin/identities?page_size=2&page_token={NIL}"
    seen: list[str] = []
    pages = 0
    while True:
        pages += 1
        items = response.json()
        assert len(items) <= 2
        assert all("credentials" not in i for i in items)
        seen.extend(i["id"] for i in items)
        links = _links(response)
        assert links["first"] == f"/admin/identities?page_size=2&page_token={NIL}"
        if "next" not in links:
            break
        query = parse_qs(urlsplit(links["next"]).query)
        assert query["page_size"] == ["2"] and query["page_token"] == [seen[-1]]
        response = admin.get(links["next"], template="/admin/identities")
        assert response.status_code == 200
    assert pages >= 3
    assert mine <= set(seen)
    assert len(seen) == len(set(seen))
    if not identity_server.dsn.startswith("mysql"):
        # MariaDB's native UUID type orders by its own byte layout, not by the string.
        assert seen == sorted(seen)


def test_list_keeps_other_query_parameters_in_links(admin: SpecClient) -> None:
    _create(admin)
    _create(admin)
    response = admin.get(
        "/admin/identities", params={"include_credential": "password", "per_page": 1}
    )
    links = _links(response)
    assert links["first"] == (
        f"/admin/identities?include_credential=password&page_size=1&page_token={NIL}"
    )
    assert "next" in links
    [item] = response.json()
    assert "credentials" in item


def test_list_rejects_bad_parameters(admin: SpecClient) -> None:
    cases = [
        (
            {"page_token": "not-a-token"},
            "The page token is invalid, do not craft your own page tokens",
        ),
        ({"page_size": "abc"}, 'strconv.Atoi: parsing "abc": invalid syntax'),
        ({"ids": "nope"}, "Invalid UUID value `nope` for parameter `ids`."),
        ({"organization_id": "nope"}, "Invalid UUID value `nope` for parameter `organization_id`."),
        (
            {"include_credential": "magic"},
            "Invalid value `magic` for parameter `include_credential`.",
        ),
        (
            {"ids": str(uuid.uuid4()), "credentials_identifier": "a@b.c"},
            "You cannot combine multiple filters in this API",
        ),
        (
            {"page": "600", "per_page": "2"},
            "Legacy pagination is not supported for enumerating over 1000 items. "
            "Please switch to using page_token and page_size.",
        ),
    ]
    for params, reason in cases:
        response = admin.get("/admin/identities", params=params)
        assert response.status_code == 400, params
        assert error_of(response)["reason"] == reason
    too_many = [("ids", str(uuid.uuid4())) for _ in range(501)]
    response = admin.get("/admin/identities", params=too_many)
    assert response.status_code == 400
    assert error_of(response)["reason"] == "The number of ids to filter must not exceed 500."


def test_legacy_page_pagination(admin: SpecClient) -> None:
    for _ in range(3):
        _create(admin)
    response = admin.get("/admin/identities", params={"page": 0, "per_page": 2})
    assert response.status_code == 200
    total = int(response.headers["x-total-count"])
    assert total >= 3 and len(response.json()) == 2
    links = _links(response)
    assert links["next"] == "/admin/identities?page=1&per_page=2"
    assert "last" in links


def test_list_filters(admin: SpecClient) -> None:
    email = unique_email("Filter")
    first = _create(admin, create_body(email, password="pw"))
    second = _create(admin)
    org = str(uuid.uuid4())
    third = _create(admin, create_body(organization_id=org))

    response = admin.get("/admin/identities", params=[("ids", first["id"]), ("ids", second["id"])])
    assert sorted(i["id"] for i in response.json()) == sorted([first["id"], second["id"]])

    response = admin.get("/admin/identities", params={"credentials_identifier": email.upper()})
    [found] = response.json()
    assert found["id"] == first["id"]
    assert "config" not in found["credentials"]["password"]

    prefix = email.split("-")[0].lower() + "-" + email.split("-")[1][:6]
    response = admin.get(
        "/admin/identities", params={"preview_credentials_identifier_similar": prefix}
    )
    assert [i["id"] for i in response.json()] == [first["id"]]

    response = admin.get("/admin/identities", params={"organization_id": org})
    [found] = response.json()
    assert found["id"] == third["id"] and found["organization_id"] == org

    response = admin.get(
        "/admin/identities",
        params={"credentials_identifier": email, "include_credential": "password"},
    )
    [found] = response.json()
    assert found["credentials"]["password"]["config"]["hashed_password"].startswith("$2")


# --- update / patch ---------------------------------------------------------------------


def test_put_replaces_traits_and_metadata(admin: SpecClient) -> None:
    created = _create(admin, create_body(metadata_public={"a": 1}, metadata_admin={"b": 2}))
    new_email = unique_email("put")
    response = admin.put(
        f"/admin/identities/{created['id']}",
        json={
            "schema_id": "default",
            "state": "inactive",
            "traits": {"email": new_email},
            "metadata_public": {"c": 3},
            "credentials": {"password": {"config": {"password": "new password"}}},
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["traits"] == {"email": new_email}
    assert body["state"] == "inactive"
    assert body["state_changed_at"] != created["state_changed_at"]
    assert body["metadata_public"] == {"c": 3} and body["metadata_admin"] is None
    assert [a["value"] for a in body["verifiable_addresses"]] == [new_email]
    assert body["credentials"]["password"]["identifiers"] == [new_email]
    assert "config" not in body["credentials"]["password"]


def test_put_errors(admin: SpecClient) -> None:
    created = _create(admin)
    response = admin.put(
        f"/admin/identities/{uuid.uuid4()}",
        json={"schema_id": "default", "state": "active", "traits": {"email": unique_email()}},
    )
    assert response.status_code == 404
    response = admin.put(
        f"/admin/identities/{created['id']}",
        json={"schema_id": "default", "state": "active", "traits": {"email": "nope"}},
    )
    assert response.status_code == 400
    assert error_of(response)["reason"] == 'I[#/traits/email] "nope" is not valid "email"'
    response = admin.put(
        f"/admin/identities/{created['id']}",
        json={"schema_id": "default", "state": "frozen", "traits": created["traits"]},
    )
    assert response.status_code == 400
    other = _create(admin)
    response = admin.put(
        f"/admin/identities/{created['id']}",
        json={"schema_id": "default", "state": "active", "traits": other["traits"]},
    )
    assert response.status_code == 409
    assert error_of(response)["reason"] == CONFLICT


def test_json_patch(admin: SpecClient) -> None:
    created = _create(admin)
    new_email = unique_email("patched")
    response = admin.patch(
        f"/admin/identities/{created['id']}",
        json=[
            {"op": "replace", "path": "/traits/email", "value": new_email},
            {"op": "add", "path": "/metadata_public/tier", "value": "gold"},
            {"op": "replace", "path": "/state", "value": "inactive"},
        ],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["traits"]["email"] == new_email
    assert body["metadata_public"] == {"tier": "gold"}
    assert body["state"] == "inactive"
    assert [a["value"] for a in body["verifiable_addresses"]] == [new_email]
    response = admin.patch(
        f"/admin/identities/{created['id']}",
        json=[{"op": "replace", "path": "/verifiable_addresses/0/verified", "value": True}],
    )
    assert response.json()["verifiable_addresses"][0]["verified"] is True

    for ops, message in [
        ([{"op": "replace", "path": "/id", "value": str(uuid.uuid4())}], "denied path: /id"),
        ([{"op": "remove", "path": "/credentials"}], "denied path: /credentials"),
        ([{"op": "move", "from": "/traits", "path": "/x"}], "unsupported operation: move"),
    ]:
        response = admin.patch(f"/admin/identities/{created['id']}", json=ops)
        assert response.status_code == 400
        error = error_of(response)
        assert error["reason"] == "An error occured when applying the JSON patch"
        assert message in error["message"]
    response = admin.patch(
        f"/admin/identities/{created['id']}",
        json=[{"op": "replace", "path": "/state", "value": "frozen"}],
    )
    assert response.status_code == 400
    assert error_of(response)["reason"] == (
        "The supplied state ('frozen') was not valid. Valid states are ('active', 'inactive')."
    )
    response = admin.patch(
        f"/admin/identities/{created['id']}",
        json=[{"op": "replace", "path": "/traits/email", "value": "broken"}],
    )
    assert response.status_code == 400
    response = admin.patch(
        f"/admin/identities/{uuid.uuid4()}",
        json=[{"op": "replace", "path": "/traits/email", "value": unique_email()}],
    )
    assert response.status_code == 404


# --- batch ------------------------------------------------------------------------------


def test_batch_create_with_per_item_errors(admin: SpecClient) -> None:
    existing = _create(admin)
    ids = [str(uuid.uuid4()) for _ in range(4)]
    response = admin.patch(
        "/admin/identities",
        json={
            "identities": [
                {"patch_id": ids[0], "create": create_body(password="batch pw")},
                {"patch_id": ids[1], "create": create_body("not-an-email")},
                {"patch_id": ids[2], "create": create_body(existing["traits"]["email"])},
                {"create": {"schema_id": "customer", "traits": {"username": unique_username()}}},
            ]
        },
    )
    assert response.status_code == 200, response.text
    results = response.json()["identities"]
    assert [r["action"] for r in results] == ["create", "error", "error", "create"]
    assert [r.get("patch_id") for r in results] == [ids[0], ids[1], ids[2], None]
    assert results[1]["error"]["code"] == 400
    assert results[2]["error"]["code"] == 409
    for index in (0, 3):
        follow = admin.get(f"/admin/identities/{results[index]['identity']}")
        assert follow.status_code == 200


def test_batch_limits_and_strictness(admin: SpecClient) -> None:
    many = {"identities": [{"create": create_body(password="x")} for _ in range(201)]}
    response = admin.patch("/admin/identities", json=many)
    assert response.status_code == 400
    assert error_of(response)["reason"] == (
        "The maximum number of identities per request that can be created with a plaintext "
        "password is 200."
    )
    too_many = {"identities": [{} for _ in range(1001)]}
    response = admin.patch("/admin/identities", json=too_many)
    assert response.status_code == 400
    assert "is 1000." in error_of(response)["reason"]
    response = admin.patch("/admin/identities", json={"identities": [{"delete": {}}]})
    assert response.status_code == 400
    assert error_of(response)["message"] == 'json: unknown field "delete"'


# --- delete / external id / credentials -------------------------------------------------


def test_delete(admin: SpecClient) -> None:
    created = _create(admin)
    response = admin.delete(f"/admin/identities/{created['id']}")
    assert response.status_code == 204 and response.content == b""
    assert admin.get(f"/admin/identities/{created['id']}").status_code == 404
    response = admin.delete(f"/admin/identities/{created['id']}")
    assert response.status_code == 404


def test_by_external_id(admin: SpecClient) -> None:
    external = f"crm/{uuid.uuid4().hex}"
    created = _create(admin, create_body(external_id=external))
    assert created["external_id"] == external
    response = admin.get(f"/admin/identities/by/external/{external.replace('/', '%2F')}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == created["id"] and "credentials" in body
    response = admin.get(f"/admin/identities/by/external/{uuid.uuid4().hex}")
    assert response.status_code == 404
    response = admin.get(
        "/admin/identities/by/external/", template="/admin/identities/by/external/{externalID}"
    )
    assert response.status_code == 400
    assert error_of(response)["reason"] == "The external ID must not be empty."
    response = admin.post("/admin/identities", json=create_body(external_id=external))
    assert response.status_code == 409


def test_delete_credentials(admin: SpecClient) -> None:
    subject = uuid.uuid4().hex
    created = _create(
        admin,
        create_body(
            password="pw",
            credentials={
                "password": {"config": {"password": "pw"}},
                "oidc": {"config": {"providers": [{"provider": "github", "subject": subject}]}},
            },
        ),
    )
    base = f"/admin/identities/{created['id']}/credentials"
    response = admin.delete(f"{base}/oidc")
    assert response.status_code == 400
    assert (
        error_of(response)["reason"] == "You must provide an identifier to delete this credential."
    )
    response = admin.delete(f"{base}/oidc", params={"identifier": f"github:{subject}"})
    assert response.status_code == 204
    response = admin.delete(f"{base}/password")
    assert response.status_code == 400
    assert error_of(response)["reason"] == "You cannot remove the last first factor credential."
    response = admin.delete(f"{base}/totp")
    assert response.status_code == 404
    assert (
        error_of(response)["reason"]
        == "You tried to remove a totp but this user have no totp set up."
    )
    response = admin.delete(f"/admin/identities/{uuid.uuid4()}/credentials/password")
    assert response.status_code == 404


# --- bad input --------------------------------------------------------------------------


def test_malformed_json(admin: SpecClient) -> None:
    for method, path in [
        ("POST", "/admin/identities"),
        ("PATCH", "/admin/identities"),
    ]:
        response = admin.request(
            method, path, content=b'{"schema_id": ', headers={"content-type": "application/json"}
        )
        assert response.status_code == 400, (method, path)
        assert error_of(response)["status"] == "Bad Request"
    created = _create(admin)
    response = admin.put(
        f"/admin/identities/{created['id']}",
        content=b"[",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    response = admin.patch(
        f"/admin/identities/{created['id']}",
        content=b"[",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    response = admin.post(
        "/admin/identities", content=b"", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


def test_wrong_content_type(admin: SpecClient) -> None:
    response = admin.post(
        "/admin/identities",
        content=b"schema_id=default",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    response = admin.post(
        "/admin/identities", content=b"<xml/>", headers={"content-type": "text/xml"}
    )
    assert response.status_code == 400


def test_unknown_field_is_rejected(admin: SpecClient) -> None:
    response = admin.post("/admin/identities", json={**create_body(), "password": "x"})
    assert response.status_code == 400
    assert error_of(response)["message"] == 'json: unknown field "password"'
    response = admin.post(
        "/admin/identities",
        json=create_body(credentials={"password": {"config": {"passwd": "x"}}}),
    )
    assert response.status_code == 400
    assert error_of(response)["message"] == 'json: unknown field "passwd"'


def test_unknown_schema_and_invalid_traits(admin: SpecClient) -> None:
    response = admin.post(
        "/admin/identities", json={"schema_id": "nope", "traits": {"email": unique_email()}}
    )
    assert response.status_code == 400
    assert error_of(response)["reason"] == "Unable to find JSON Schema ID: nope"
    response = admin.post("/admin/identities", json={"schema_id": "default", "traits": {}})
    assert response.status_code == 400
    assert error_of(response)["reason"].startswith("I[#/traits")
    response = admin.post(
        "/admin/identities", json={"schema_id": "default", "traits": {"email": "x@"}}
    )
    assert response.status_code == 400
    assert error_of(response)["reason"] == 'I[#/traits/email] "x@" is not valid "email"'
    response = admin.post("/admin/identities", json={"traits": "a string"})
    assert response.status_code == 400
    response = admin.post("/admin/identities", json=create_body(state="frozen"))
    assert response.status_code == 400
    response = admin.post(
        "/admin/identities",
        json=create_body(credentials={"password": {"config": {"hashed_password": "plain"}}}),
    )
    assert response.status_code == 400
    assert error_of(response)["reason"] == (
        "The imported password does not match any known hash format."
    )


def test_oversized_body(admin: SpecClient) -> None:
    body = create_body(metadata_public={"blob": "x" * (2 << 20)})
    response = admin.post("/admin/identities", json=body)
    assert response.status_code == 400
    assert "exceeds the limit" in error_of(response)["reason"]


def test_malformed_ids_are_not_found(admin: SpecClient) -> None:
    body = {"schema_id": "default", "state": "active", "traits": {"email": unique_email()}}
    for response in (
        admin.get("/admin/identities/not-a-uuid"),
        admin.delete("/admin/identities/not-a-uuid"),
        admin.put("/admin/identities/not-a-uuid", json=body),
        admin.patch("/admin/identities/not-a-uuid", json=[]),
        admin.delete("/admin/identities/not-a-uuid/credentials/password"),
    ):
        assert response.status_code == 404
        assert error_of(response)["message"] == "Unable to locate the resource"


def test_duplicate_identifier_conflicts(admin: SpecClient) -> None:
    email = unique_email("dup")
    _create(admin, create_body(email))
    response = admin.post("/admin/identities", json=create_body(email.upper()))
    assert response.status_code == 409
    error = error_of(response)
    assert error["reason"] == CONFLICT and error["status"] == "Conflict"


def test_admin_prefix_is_optional(identity_server: PhalanxServer) -> None:
    with SpecClient(identity_server.admin_url) as client:
        response = client.get("/identities", params={"page_size": 1})
        assert response.status_code == 200
        assert _links(response)["first"].startswith("/admin/identities?")


def test_values_too_long_for_storage_are_400(admin: SpecClient) -> None:
    response = admin.post("/admin/identities", json=create_body(external_id="x" * 65))
    assert response.status_code == 400
    assert error_of(response)["reason"] == "The external ID must not be longer than 64 characters."
    email = unique_email("status")
    response = admin.post(
        "/admin/identities",
        json=create_body(
            email, verifiable_addresses=[{"value": email, "via": "email", "status": "s" * 17}]
        ),
    )
    assert response.status_code == 400
    created = _create(admin)
    response = admin.patch(
        f"/admin/identities/{created['id']}",
        json=[{"op": "add", "path": "/credentials/bogus", "value": {"type": "bogus"}}],
    )
    assert response.status_code == 400
    assert error_of(response)["reason"] == "The credential type `bogus` is not supported."
