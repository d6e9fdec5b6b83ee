"""IdentityManager against a real (SQLite) database."""

from __future__ import annotations

import uuid

import pytest

from phalanx.errors import BadRequestError, ConflictError, NotFoundError
from phalanx.identity.manager import CONFLICT_REASON, IdentityManager
from phalanx.identity.model import Identity
from phalanx.identity.payloads import parse_create_body, parse_update_body
from phalanx.identity.pool import IdentityListQuery
from phalanx.identity.traits import TraitsInvalidError, UnknownSchemaError

pytestmark = pytest.mark.anyio


async def _create(manager: IdentityManager, **body: object) -> Identity:
    identity = await manager.from_create_body(parse_create_body(body))
    return await manager.create(identity)


async def test_create_derives_identifiers_and_addresses(manager: IdentityManager) -> None:
    identity = await _create(
        manager,
        schema_id="default",
        traits={"email": "Alice@Example.com"},
        credentials={"password": {"config": {"password": "correct horse"}}},
    )
    stored = await manager.get(identity.id)
    password = stored.credentials["password"]
    assert password.identifiers == ["alice@example.com"]
    assert password.version == 1
    assert stored.credentials["code"].identifiers == ["alice@example.com"]
    assert stored.credentials["code"].config == {
        "addresses": [{"channel": "email", "address": "alice@example.com"}]
    }
    assert [(a.via, a.value, a.verified, str(a.status)) for a in stored.verifiable_addresses] == [
        ("email", "alice@example.com", False, "pending")
    ]
    assert [(a.via, a.value) for a in stored.recovery_addresses] == [("email", "alice@example.com")]
    assert stored.available_aal == "aal1"


async def test_default_schema_and_empty_traits(manager: IdentityManager) -> None:
    with pytest.raises(TraitsInvalidError) as info:
        await _create(manager, traits={})
    assert info.value.code == 400
    assert info.value.reason is not None and info.value.reason.startswith("I[#/traits")


async def test_unknown_schema(manager: IdentityManager) -> None:
    with pytest.raises(UnknownSchemaError) as info:
        await _create(manager, schema_id="nope", traits={"email": "a@b.io"})
    assert info.value.reason == "Unable to find JSON Schema ID: nope"


async def test_invalid_traits_reason(manager: IdentityManager) -> None:
    with pytest.raises(BadRequestError) as info:
        await _create(manager, schema_id="default", traits={"email": "not-an-email"})
    assert info.value.reason == 'I[#/traits/email] "not-an-email" is not valid "email"'


async def test_imported_verified_address_is_kept(manager: IdentityManager) -> None:
    identity = await _create(
        manager,
        schema_id="default",
        traits={"email": "bob@example.com"},
        verifiable_addresses=[
            {"value": "BOB@example.com", "via": "email", "verified": True, "status": "completed"},
            {"value": "other@example.com", "via": "email", "verified": True},
        ],
    )
    stored = await manager.get(identity.id)
    assert [(a.value, a.verified, str(a.status)) for a in stored.verifiable_addresses] == [
        ("bob@example.com", True, "completed")
    ]
    assert stored.verifiable_addresses[0].verified_at is not None


async def test_conflicts(manager: IdentityManager) -> None:
    await _create(manager, schema_id="default", traits={"email": "c@example.com"}, external_id="x")
    with pytest.raises(ConflictError) as info:
        await _create(manager, schema_id="default", traits={"email": "C@example.com"})
    assert info.value.reason == CONFLICT_REASON
    with pytest.raises(ConflictError):
        await _create(
            manager, schema_id="default", traits={"email": "d@example.com"}, external_id="x"
        )


async def test_create_many_reports_per_item(manager: IdentityManager) -> None:
    bodies = [
        {"schema_id": "default", "traits": {"email": "m1@example.com"}},
        {"schema_id": "default", "traits": {"email": "bad"}},
        {"schema_id": "default", "traits": {"email": "m1@example.com"}},
        {"schema_id": "customer", "traits": {"username": "user4"}},
    ]
    identities = [await manager.from_create_body(parse_create_body(b)) for b in bodies]
    errors = await manager.create_many(identities)
    assert errors[0] is None and errors[3] is None
    assert errors[1] is not None and errors[1].code == 400
    assert errors[2] is not None and errors[2].code == 409
    assert await manager.count() == 2


async def test_update_replaces_and_merges(manager: IdentityManager) -> None:
    identity = await _create(
        manager,
        schema_id="default",
        traits={"email": "u@example.com"},
        metadata_public={"a": 1},
        credentials={"oidc": {"config": {"providers": [{"provider": "g", "subject": "1"}]}}},
    )
    stored = await manager.get(identity.id)
    await manager.apply_update_body(
        stored,
        parse_update_body(
            {
                "schema_id": "",
                "state": "inactive",
                "traits": {"email": "u2@example.com"},
                "credentials": {
                    "oidc": {"config": {"providers": [{"provider": "h", "subject": "2"}]}}
                },
            }
        ),
    )
    await manager.update(stored)
    again = await manager.get(identity.id)
    assert again.state == "inactive" and again.state_changed_at is not None
    assert again.metadata_public is None
    assert again.credentials["oidc"].identifiers == ["g:1", "h:2"]
    assert [a.value for a in again.verifiable_addresses] == ["u2@example.com"]
    assert again.credentials["password"].identifiers == ["u2@example.com"]


async def test_patch(manager: IdentityManager) -> None:
    identity = await _create(manager, schema_id="default", traits={"email": "p@example.com"})
    patched = await manager.patch(
        identity.id,
        [
            {"op": "replace", "path": "/state", "value": "inactive"},
            {"op": "replace", "path": "/verifiable_addresses/0/verified", "value": True},
        ],
        public_base_url="http://x/",
    )
    assert patched.state == "inactive"
    stored = await manager.get(identity.id)
    assert stored.verifiable_addresses[0].verified is True
    with pytest.raises(BadRequestError, match=r"The supplied state \('frozen'\) was not valid"):
        await manager.patch(
            identity.id,
            [{"op": "replace", "path": "/state", "value": "frozen"}],
            public_base_url="http://x/",
        )


async def test_delete_and_not_found(manager: IdentityManager) -> None:
    identity = await _create(manager, schema_id="customer", traits={"username": "gone"})
    await manager.delete(identity.id)
    with pytest.raises(NotFoundError) as info:
        await manager.get(identity.id)
    assert info.value.message == "Unable to locate the resource"
    with pytest.raises(NotFoundError):
        await manager.delete(uuid.uuid4())


async def test_delete_credential(manager: IdentityManager) -> None:
    identity = await _create(
        manager,
        schema_id="default",
        traits={"email": "dc@example.com"},
        credentials={
            "password": {"config": {"password": "pw"}},
            "oidc": {"config": {"providers": [{"provider": "g", "subject": "9"}]}},
        },
    )
    await manager.delete_credential(identity.id, "oidc", identifier="g:9")
    stored = await manager.get(identity.id)
    assert stored.credentials["oidc"].identifiers == []
    with pytest.raises(BadRequestError, match="last first factor"):
        await manager.delete_credential(identity.id, "password")


async def test_list_by_identifier(manager: IdentityManager) -> None:
    identity = await _create(manager, schema_id="customer", traits={"username": "Finder"})
    page = await manager.list(
        IdentityListQuery(credentials_identifier="FINDER", with_credentials=True)
    )
    assert [i.id for i in page.identities] == [identity.id]
