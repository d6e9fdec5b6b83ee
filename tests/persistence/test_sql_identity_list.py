"""``SQLIdentityPool.list``: keyset pagination, filters, credentials, legacy offsets.

Each test scopes itself with a fresh organization id or a random identifier prefix,
since the database is shared by the session.
"""

from __future__ import annotations

import uuid

import pytest

from phalanx.identity.model import Credential, Identity
from phalanx.identity.pool import IdentityListQuery
from phalanx.persistence.sql import SQLIdentityPool

pytestmark = pytest.mark.anyio


def make_identity(
    *identifiers: str, organization_id: uuid.UUID | None = None, oidc: str | None = None
) -> Identity:
    identity = Identity(schema_id="default", traits={}, organization_id=organization_id)
    if identifiers:
        identity.credentials["password"] = Credential(
            type="password", identifiers=list(identifiers)
        )
    if oidc:
        identity.credentials["oidc"] = Credential(type="oidc", identifiers=[oidc])
    return identity


async def create_all(pool: SQLIdentityPool, items: list[Identity]) -> list[Identity]:
    assert await pool.create_many(items) == [None] * len(items)
    return items


async def ids_of(pool: SQLIdentityPool, **query: object) -> list[uuid.UUID]:
    page = await pool.list(IdentityListQuery(**query))  # type: ignore[arg-type]
    assert page.next_token is None
    return [identity.id for identity in page.identities]


async def test_keyset_pagination_walks_every_page(pool: SQLIdentityPool) -> None:
    organization = uuid.uuid4()
    created = await create_all(
        pool, [make_identity(organization_id=organization) for _ in range(7)]
    )

    seen: list[uuid.UUID] = []
    sizes: list[int] = []
    token: uuid.UUID | None = None
    while True:
        page = await pool.list(
            IdentityListQuery(organization_id=organization, page_size=3, page_token=token)
        )
        sizes.append(len(page.identities))
        seen += [identity.id for identity in page.identities]
        if page.next_token is None:
            break
        assert page.next_token == page.identities[-1].id
        token = page.next_token
    assert sizes == [3, 3, 1]
    assert len(set(seen)) == 7
    assert set(seen) == {identity.id for identity in created}

    # An exactly full last page has no next token.
    page = await pool.list(IdentityListQuery(organization_id=organization, page_size=7))
    assert [i.id for i in page.identities] == seen
    assert page.next_token is None

    # Legacy page/per_page pagination: plain offsets over the same order.
    legacy = await pool.list(IdentityListQuery(organization_id=organization, page_size=3, offset=3))
    assert [i.id for i in legacy.identities] == seen[3:6]
    assert legacy.next_token is None


async def test_list_loads_addresses_and_optionally_credentials(pool: SQLIdentityPool) -> None:
    organization = uuid.uuid4()
    prefix = uuid.uuid4().hex
    await create_all(
        pool,
        [
            make_identity(f"{prefix}-{n}@example.com", organization_id=organization)
            for n in range(3)
        ],
    )
    without = await pool.list(IdentityListQuery(organization_id=organization))
    assert len(without.identities) == 3
    assert all(identity.credentials == {} for identity in without.identities)

    with_credentials = await pool.list(
        IdentityListQuery(organization_id=organization, with_credentials=True)
    )
    identifiers = sorted(
        i.credentials["password"].identifiers[0] for i in with_credentials.identities
    )
    assert identifiers == [f"{prefix}-{n}@example.com" for n in range(3)]


async def test_filter_by_ids(pool: SQLIdentityPool) -> None:
    a, b, _ = await create_all(pool, [make_identity() for _ in range(3)])
    assert set(await ids_of(pool, ids=[a.id, b.id, uuid.uuid4()])) == {a.id, b.id}


async def test_filter_by_credentials_identifier(pool: SQLIdentityPool) -> None:
    prefix = uuid.uuid4().hex
    target, _ = await create_all(
        pool,
        [
            make_identity(f"{prefix}@example.com", oidc=f"google:{prefix}-SubJect"),
            make_identity(f"{prefix}x@example.com"),
        ],
    )
    # Password identifiers are compared normalized, oidc ones exactly (case-sensitive).
    assert await ids_of(pool, credentials_identifier=f" {prefix.upper()}@Example.com") == [
        target.id
    ]
    assert await ids_of(pool, credentials_identifier=f"google:{prefix}-SubJect") == [target.id]
    assert await ids_of(pool, credentials_identifier=f"google:{prefix}-subject") == []
    assert await ids_of(pool, credentials_identifier=f"{prefix}@example") == []


async def test_filter_by_similar_identifier_prefix(pool: SQLIdentityPool) -> None:
    p = uuid.uuid4().hex[:12]
    underscore, letter, percent, bang = await create_all(
        pool,
        [
            make_identity(f"{p}a_b"),
            make_identity(f"{p}axb"),
            make_identity(f"{p}a%b"),
            make_identity(f"{p}a!b", oidc=f"{p}:Subject"),
        ],
    )
    everything = {underscore.id, letter.id, percent.id, bang.id}
    assert set(await ids_of(pool, credentials_identifier_similar=f"{p}a")) == everything
    assert set(await ids_of(pool, credentials_identifier_similar=f"{p}A")) == everything
    # LIKE wildcards and the escape character in the input are literal.
    assert await ids_of(pool, credentials_identifier_similar=f"{p}a_") == [underscore.id]
    assert await ids_of(pool, credentials_identifier_similar=f"{p}a%") == [percent.id]
    assert await ids_of(pool, credentials_identifier_similar=f"{p}a!") == [bang.id]
    assert await ids_of(pool, credentials_identifier_similar=f"{p}b") == []
    # oidc identifiers are matched as given: case-sensitive on every database.
    assert await ids_of(pool, credentials_identifier_similar=f"{p}:Sub") == [bang.id]
    assert await ids_of(pool, credentials_identifier_similar=f"{p}:sub") == []


async def test_filter_by_organization(pool: SQLIdentityPool) -> None:
    organization = uuid.uuid4()
    inside, _ = await create_all(
        pool,
        [make_identity(organization_id=organization), make_identity(organization_id=uuid.uuid4())],
    )
    assert await ids_of(pool, organization_id=organization) == [inside.id]
    assert await ids_of(pool, organization_id=uuid.uuid4()) == []


async def test_count_follows_creates_and_deletes(pool: SQLIdentityPool) -> None:
    before = await pool.count()
    identity = make_identity()
    await pool.create(identity)
    assert await pool.count() == before + 1
    await pool.delete(identity.id)
    assert await pool.count() == before
