"""Contract of ``SQLIdentityPool``: writes, conflicts, address re-sync, reads.

Runs on every backend (see conftest). Tests share one database per backend, so each
test makes its own identities with random identifiers and asserts on those only.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from phalanx.errors import ConflictError, NotFoundError
from phalanx.identity.model import Credential, Identity, RecoveryAddress, VerifiableAddress
from phalanx.identity.pool import IdentityListQuery
from phalanx.persistence.sql import Database, SQLIdentityPool, identity_batch
from phalanx.persistence.sql.tables import (
    identities,
    identity_credential_identifiers,
    identity_credentials,
    identity_recovery_addresses,
    identity_verifiable_addresses,
)

pytestmark = pytest.mark.anyio

CONFLICT = "This identity conflicts with another identity that already exists."
CHILD_TABLES = (
    identity_credentials,
    identity_credential_identifiers,
    identity_verifiable_addresses,
    identity_recovery_addresses,
)


def email() -> str:
    return f"{uuid.uuid4().hex}@example.com"


def make_identity(
    address: str | None = None,
    *,
    identifiers: list[str] | None = None,
    organization_id: uuid.UUID | None = None,
    external_id: str | None = None,
) -> Identity:
    address = address or email()
    identity = Identity(
        schema_id="default",
        traits={"email": address, "name": {"first": "Zoë", "last": None}, "emoji": "🛡️"},
        organization_id=organization_id,
        external_id=external_id,
    )
    identity.credentials["password"] = Credential(
        type="password",
        identifiers=identifiers if identifiers is not None else [address],
        config={"hashed_password": "$argon2id$v=19$m=16,t=2,p=1$c2FsdA$aGFzaA"},
        version=1,
    )
    identity.verifiable_addresses = [
        VerifiableAddress(value=address, via="email", identity_id=identity.id)
    ]
    identity.recovery_addresses = [
        RecoveryAddress(value=address, via="email", identity_id=identity.id)
    ]
    return identity


async def rows_of(db: Database, identity_id: uuid.UUID) -> int:
    """Rows that belong to the identity across the identity tables."""
    total = 0
    async with db.transaction(readonly=True) as conn:
        total += (
            await conn.execute(
                select(func.count()).select_from(identities).where(identities.c.id == identity_id)
            )
        ).scalar_one()
        for table in CHILD_TABLES:
            stmt = select(func.count()).select_from(table).where(table.c.identity_id == identity_id)
            total += (await conn.execute(stmt)).scalar_one()
    return total


async def test_create_get_roundtrip(pool: SQLIdentityPool) -> None:
    identity = make_identity(external_id=f"ext-{uuid.uuid4().hex}")
    identity.metadata_public = None
    identity.metadata_admin = {"plan": "pro", "nothing": None, "list": [1, "zwei", 3.5, True]}
    identity.state_changed_at = datetime(
        2024, 5, 6, 9, 8, 7, 654321, tzinfo=timezone(timedelta(hours=2))
    )
    identity.credentials["oidc"] = Credential(
        type="oidc",
        identifiers=["google:Sub-B", "github:sub-a"],
        config={"providers": [{"provider": "google", "subject": "Sub-B"}]},
    )
    await pool.create(identity)

    got = await pool.get(identity.id)
    assert got is not None
    assert got.id == identity.id
    assert got.schema_id == "default"
    assert got.traits == identity.traits
    assert got.metadata_public is None
    assert got.metadata_admin == identity.metadata_admin
    assert got.state == "active"
    assert got.available_aal == "aal1"
    assert got.external_id == identity.external_id
    assert got.organization_id is None
    assert got.credentials == {}
    for field in ("created_at", "updated_at", "state_changed_at"):
        value = getattr(got, field)
        assert value == getattr(identity, field)
        assert value.tzinfo is UTC
    assert [a.value for a in got.verifiable_addresses] == [identity.traits["email"]]
    address = got.verifiable_addresses[0]
    assert (address.verified, address.status, address.verified_at) == (False, "pending", None)
    assert address.created_at.tzinfo is UTC
    assert [a.value for a in got.recovery_addresses] == [identity.traits["email"]]

    full = await pool.get(identity.id, with_credentials=True)
    assert full is not None
    assert set(full.credentials) == {"password", "oidc"}
    password = full.credentials["password"]
    assert password.identifiers == [identity.traits["email"]]
    assert password.config == identity.credentials["password"].config
    assert password.version == 1
    assert password.id == identity.credentials["password"].id
    assert full.credentials["oidc"].identifiers == ["github:sub-a", "google:Sub-B"]


async def test_get_missing_returns_none(pool: SQLIdentityPool) -> None:
    assert await pool.get(uuid.uuid4()) is None
    assert await pool.get_by_external_id("does-not-exist") is None
    assert await pool.get_by_external_id("") is None


async def test_duplicate_identifier_conflicts_and_writes_nothing(
    pool: SQLIdentityPool, database: Database
) -> None:
    first = make_identity()
    await pool.create(first)
    before = await pool.count()

    second = make_identity(identifiers=[email(), first.traits["email"]])
    with pytest.raises(ConflictError) as caught:
        await pool.create(second)
    assert caught.value.reason == CONFLICT
    assert caught.value.code == 409
    assert await pool.count() == before
    assert await pool.get(second.id) is None
    assert await rows_of(database, second.id) == 0


async def test_duplicate_external_id_conflicts(pool: SQLIdentityPool) -> None:
    external_id = f"ext-{uuid.uuid4().hex}"
    await pool.create(make_identity(external_id=external_id))
    with pytest.raises(ConflictError):
        await pool.create(make_identity(external_id=external_id))
    # Empty and missing external ids never collide.
    await pool.create(make_identity(external_id=""))
    await pool.create(make_identity(external_id=""))
    found = await pool.get_by_external_id(external_id)
    assert found is not None
    assert "password" in found.credentials


async def test_duplicate_verifiable_address_conflicts(
    pool: SQLIdentityPool, database: Database
) -> None:
    first = make_identity()
    await pool.create(first)
    second = make_identity()
    second.verifiable_addresses = [
        VerifiableAddress(value=first.traits["email"].upper(), via="email", identity_id=second.id)
    ]
    with pytest.raises(ConflictError):
        await pool.create(second)
    assert await rows_of(database, second.id) == 0


async def test_update_resyncs_addresses_keeping_verification(pool: SQLIdentityPool) -> None:
    kept, dropped, added = email(), email(), email()
    identity = make_identity(kept)
    identity.verifiable_addresses.append(
        VerifiableAddress(value=dropped, via="email", identity_id=identity.id)
    )
    await pool.create(identity)
    stored = await pool.find_verifiable_address("email", kept)
    assert stored is not None
    stored.verified, stored.status, stored.verified_at = True, "completed", datetime.now(UTC)
    await pool.update_verifiable_address(stored)

    # The caller rebuilds addresses from traits: fresh objects, unverified.
    identity.traits["email"] = kept
    identity.verifiable_addresses = [
        VerifiableAddress(value=kept.upper(), via="email", identity_id=identity.id),
        VerifiableAddress(value=added, via="email", identity_id=identity.id),
    ]
    identity.recovery_addresses = [
        RecoveryAddress(value=added, via="email", identity_id=identity.id)
    ]
    identity.metadata_public = {"updated": True}
    await pool.update(identity, with_credentials=False)

    got = await pool.get(identity.id, with_credentials=True)
    assert got is not None
    assert got.metadata_public == {"updated": True}
    by_value = {a.value: a for a in got.verifiable_addresses}
    assert set(by_value) == {kept, added}
    assert by_value[kept].id == stored.id
    assert by_value[kept].verified is True
    assert by_value[kept].status == "completed"
    assert by_value[kept].verified_at == stored.verified_at
    assert by_value[added].verified is False
    assert [a.value for a in got.recovery_addresses] == [added]
    assert got.credentials["password"].identifiers == [kept]
    assert await pool.find_verifiable_address("email", dropped) is None
    assert await pool.find_recovery_address("email", kept) is None
    assert (await pool.find_recovery_address("email", added.upper())) is not None


async def test_update_replaces_credentials(pool: SQLIdentityPool) -> None:
    old, new = email(), email()
    identity = make_identity(old)
    await pool.create(identity)
    identity.credentials["password"] = Credential(
        type="password", identifiers=[new], config={"hashed_password": "x"}, version=1
    )
    identity.verifiable_addresses = [
        VerifiableAddress(value=new, via="email", identity_id=identity.id)
    ]
    identity.recovery_addresses = [RecoveryAddress(value=new, via="email", identity_id=identity.id)]
    await pool.update(identity)
    assert await pool.find_by_identifier("password", old) is None
    found = await pool.find_by_identifier("password", new)
    assert found is not None
    assert found.id == identity.id
    assert found.credentials["password"].config == {"hashed_password": "x"}
    # The old identifier is free again.
    await pool.create(make_identity(old))


async def test_update_conflict_changes_nothing(pool: SQLIdentityPool) -> None:
    taken = make_identity(external_id=f"ext-{uuid.uuid4().hex}")
    await pool.create(taken)
    identity = make_identity()
    await pool.create(identity)
    identity.traits = {"changed": True}
    identity.external_id = taken.external_id
    with pytest.raises(ConflictError):
        await pool.update(identity)
    got = await pool.get(identity.id)
    assert got is not None
    assert got.external_id is None
    assert "changed" not in got.traits


async def test_update_missing_identity_raises_not_found(pool: SQLIdentityPool) -> None:
    with pytest.raises(NotFoundError):
        await pool.update(make_identity())


async def test_find_by_identifier(pool: SQLIdentityPool) -> None:
    identity = make_identity()
    await pool.create(identity)
    found = await pool.find_by_identifier("password", identity.traits["email"])
    assert found is not None
    assert found.id == identity.id
    assert found.credentials["password"].identifiers == [identity.traits["email"]]
    assert await pool.find_by_identifier("oidc", identity.traits["email"]) is None


async def test_update_verifiable_address_conflict_and_missing(pool: SQLIdentityPool) -> None:
    first, second = make_identity(), make_identity()
    await pool.create(first)
    await pool.create(second)
    address = second.verifiable_addresses[0]
    address.value = first.traits["email"]
    with pytest.raises(ConflictError):
        await pool.update_verifiable_address(address)
    with pytest.raises(NotFoundError):
        await pool.update_verifiable_address(
            VerifiableAddress(value=email(), via="email", identity_id=second.id)
        )


async def test_create_many_reports_each_conflict(pool: SQLIdentityPool, database: Database) -> None:
    existing = make_identity()
    await pool.create(existing)
    before = await pool.count()
    shared = email()
    items = [
        make_identity(),
        make_identity(identifiers=[existing.traits["email"]]),  # conflicts with the database
        make_identity(shared),
        make_identity(identifiers=[shared]),  # conflicts inside the batch
        make_identity(),
    ]
    results = await pool.create_many(items)
    assert [r is None for r in results] == [True, False, True, False, True]
    for result in results:
        if result is not None:
            assert isinstance(result, ConflictError)
            assert result.reason == CONFLICT
    assert await pool.count() == before + 3
    for item, result in zip(items, results, strict=True):
        assert (await pool.get(item.id) is None) == (result is not None)
        if result is not None:
            assert await rows_of(database, item.id) == 0


async def test_create_many_ten_thousand_with_a_few_conflicts(pool: SQLIdentityPool) -> None:
    existing = make_identity()
    await pool.create(existing)
    organization = uuid.uuid4()
    items = [make_identity(organization_id=organization) for _ in range(10_000)]
    conflicting = set(range(7, 10_000, 997))
    for index in conflicting:
        items[index].credentials["password"].identifiers = [existing.traits["email"]]
    results = await pool.create_many(items)
    assert {i for i, result in enumerate(results) if result is not None} == conflicting
    page = await pool.list(IdentityListQuery(organization_id=organization, page_size=500))
    assert len(page.identities) == 500
    assert page.next_token is not None


async def test_create_many_isolates_conflicts_missed_by_the_precheck(
    pool: SQLIdentityPool, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A concurrent writer can take a value between the pre-check and the insert; the
    savepoint is rolled back and the chunk bisected until the conflict is isolated."""

    async def nothing_known(*_: object) -> set[int]:
        return set()

    monkeypatch.setattr(identity_batch, "_known_conflicts", nothing_known)
    existing = make_identity()
    await pool.create(existing)
    items = [make_identity() for _ in range(9)]
    items[6].credentials["password"].identifiers = [existing.traits["email"]]
    items[8].verifiable_addresses[0].value = items[1].traits["email"]
    results = await pool.create_many(items)
    assert [i for i, r in enumerate(results) if r is not None] == [6, 8]
    assert all(isinstance(r, ConflictError) for r in results if r is not None)
    for item, result in zip(items, results, strict=True):
        assert (await rows_of(database, item.id) == 0) == (result is not None)


async def test_delete_cascades(pool: SQLIdentityPool, database: Database) -> None:
    identity = make_identity()
    identity.credentials["oidc"] = Credential(type="oidc", identifiers=[f"google:{uuid.uuid4()}"])
    await pool.create(identity)
    assert await rows_of(database, identity.id) > 5
    assert await pool.delete(identity.id) is True
    assert await rows_of(database, identity.id) == 0
    assert await pool.delete(identity.id) is False
    # Its identifier and addresses are free again.
    await pool.create(make_identity(identity.traits["email"]))
