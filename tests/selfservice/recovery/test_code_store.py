"""The one-time code/token store on SQLite, PostgreSQL and MariaDB: keyed HMAC at rest,
secret rotation, brute-force counting, expiry and exactly-once use under concurrency."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import anyio
import pytest
from sqlalchemy import select

from phalanx.clock import utcnow
from phalanx.config import parse_dsn
from phalanx.identity.model import Identity, RecoveryAddress, VerifiableAddress
from phalanx.persistence.sql import Database, create_engine, migrate_up
from phalanx.persistence.sql.code_store import SQLCodeStore, hmac_value
from phalanx.persistence.sql.flow_store import flow_store
from phalanx.persistence.sql.identity_pool import SQLIdentityPool
from phalanx.persistence.sql.tables import identity_recovery_codes, identity_recovery_tokens
from phalanx.selfservice.flow.base import FlowType
from phalanx.selfservice.flow.recovery.flow import RecoveryFlow
from phalanx.selfservice.flow.verification.flow import VerificationFlow
from phalanx.selfservice.strategy.code.store import (
    CodeAlreadyUsedError,
    CodeNotFoundError,
    CodeSubmittedTooOftenError,
    SecretKind,
    generate_code,
)
from phalanx.selfservice.strategy.link.store import TokenNotFoundError, generate_token
from phalanx.ui import UiContainer
from tests.support.databases import create_database

pytestmark = pytest.mark.anyio

OLD, NEW = "an-old-secret-of-32-characters!!", "a-new-secret-of-32-characters!!!"
HOUR = timedelta(hours=1)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.db),
        pytest.param("mysql", id="mariadb", marks=pytest.mark.db),
    ]
)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'codes.db'}"
        temp = None
    else:
        # create_database runs its own event loop: keep it off this one.
        temp = await anyio.to_thread.run_sync(create_database, request.param)
        url = parse_dsn(temp.dsn).sqlalchemy_url
    database = Database(create_engine(url))
    await migrate_up(database.engine)
    try:
        yield database
    finally:
        await database.dispose()
        if temp is not None:
            await anyio.to_thread.run_sync(temp.drop)


async def _identity(db: Database) -> Identity:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    identity = Identity(schema_id="default", traits={"email": email})
    identity.recovery_addresses = [RecoveryAddress(email, "email", identity.id)]
    identity.verifiable_addresses = [VerifiableAddress(email, "email", identity.id)]
    await SQLIdentityPool(db, normalize=lambda v: v.lower()).create(identity)
    return identity


async def _recovery_flow(db: Database) -> RecoveryFlow:
    now = utcnow()
    flow = RecoveryFlow(
        type=FlowType.API,
        request_url="http://x/",
        ui=UiContainer(action="x"),
        expires_at=now + HOUR,
    )
    await flow_store(db, "recovery").create(flow)
    return flow


async def test_codes_are_stored_as_hmac_and_survive_secret_rotation(db: Database) -> None:
    identity = await _identity(db)
    flow = await _recovery_flow(db)
    code = generate_code()
    old_store = SQLCodeStore(db, [OLD])
    await old_store.create_recovery_code(
        code,
        flow_id=flow.id,
        identity_id=identity.id,
        address_id=identity.recovery_addresses[0].id,
        kind=SecretKind.SELF_SERVICE,
        lifespan=HOUR,
    )
    async with db.transaction(readonly=True) as conn:
        stored = (await conn.execute(select(identity_recovery_codes.c.code))).scalar_one()
    assert stored == hmac.new(OLD.encode(), code.encode(), "sha512_256").hexdigest()
    assert stored == hmac_value(code, OLD) and code not in stored

    rotated = SQLCodeStore(db, [NEW, OLD])  # a new signing secret; the old one still verifies
    secret = await rotated.use_recovery_code(flow.id, code, max_submissions=5)
    assert secret.identity_id == identity.id
    assert secret.address_id == identity.recovery_addresses[0].id
    assert secret.kind == SecretKind.SELF_SERVICE
    with pytest.raises(CodeAlreadyUsedError):
        await rotated.use_recovery_code(flow.id, code, max_submissions=5)


async def test_wrong_expired_and_too_many_attempts(db: Database) -> None:
    identity = await _identity(db)
    flow = await _recovery_flow(db)
    store = SQLCodeStore(db, [NEW])
    code = "123456"
    await store.create_recovery_code(
        code,
        flow_id=flow.id,
        identity_id=identity.id,
        address_id=None,
        kind=SecretKind.ADMIN,
        lifespan=-timedelta(seconds=1),  # already expired
    )
    with pytest.raises(CodeNotFoundError):
        await store.use_recovery_code(flow.id, code, max_submissions=3)
    await store.delete_recovery_codes(flow.id)
    await store.create_recovery_code(
        code,
        flow_id=flow.id,
        identity_id=identity.id,
        address_id=None,
        kind=SecretKind.ADMIN,
        lifespan=HOUR,
    )
    with pytest.raises(CodeNotFoundError):
        await store.use_recovery_code(flow.id, "654321", max_submissions=3)
    assert (
        await store.use_recovery_code(flow.id, code, max_submissions=3)
    ).kind is SecretKind.ADMIN
    # Attempts count per flow, right code or not: the fourth is one too many.
    with pytest.raises(CodeSubmittedTooOftenError):
        await store.use_recovery_code(flow.id, code, max_submissions=3)
    with pytest.raises(CodeNotFoundError):
        await store.use_recovery_code(uuid.uuid4(), code, max_submissions=3)


async def test_a_code_is_used_exactly_once_under_concurrency(db: Database) -> None:
    identity = await _identity(db)
    flow = await _recovery_flow(db)
    store = SQLCodeStore(db, [NEW])
    code = generate_code()
    await store.create_recovery_code(
        code,
        flow_id=flow.id,
        identity_id=identity.id,
        address_id=None,
        kind=SecretKind.SELF_SERVICE,
        lifespan=HOUR,
    )
    outcomes: list[str] = []

    async def attempt() -> None:
        try:
            await store.use_recovery_code(flow.id, code, max_submissions=50)
        except CodeAlreadyUsedError:
            outcomes.append("used")
        else:
            outcomes.append("ok")

    async with anyio.create_task_group() as group:
        for _ in range(8):
            group.start_soon(attempt)
    assert sorted(outcomes) == ["ok"] + ["used"] * 7


async def test_link_tokens_are_single_use(db: Database) -> None:
    identity = await _identity(db)
    flow = await _recovery_flow(db)
    store = SQLCodeStore(db, [NEW, OLD])
    token = generate_token()
    assert len(token) == 32 and token.isalnum()
    await SQLCodeStore(db, [OLD]).create_recovery_token(
        token,
        flow_id=flow.id,
        identity_id=identity.id,
        address_id=identity.recovery_addresses[0].id,
        kind=SecretKind.SELF_SERVICE,
        lifespan=HOUR,
    )
    async with db.transaction(readonly=True) as conn:
        stored = (await conn.execute(select(identity_recovery_tokens.c.token))).scalar_one()
    assert stored == hmac_value(token, OLD)
    with pytest.raises(TokenNotFoundError):
        await store.use_recovery_token(uuid.uuid4(), token)  # another flow
    outcomes: list[bool] = []

    async def attempt() -> None:
        try:
            await store.use_recovery_token(flow.id, token)
        except TokenNotFoundError:
            outcomes.append(False)
        else:
            outcomes.append(True)

    async with anyio.create_task_group() as group:
        for _ in range(6):
            group.start_soon(attempt)
    assert sorted(outcomes) == [False] * 5 + [True]


async def test_verification_codes_point_at_their_address(db: Database) -> None:
    identity = await _identity(db)
    now = utcnow()
    flow = VerificationFlow(
        type=FlowType.BROWSER,
        request_url="http://x/",
        ui=UiContainer(action="x"),
        expires_at=now + HOUR,
        identity_id=identity.id,
    )
    await flow_store(db, "verification").create(flow)
    loaded = await flow_store(db, "verification").get(flow.id)
    assert loaded is not None and loaded.identity_id == identity.id
    store = SQLCodeStore(db, [NEW])
    address = identity.verifiable_addresses[0]
    await store.create_verification_code(
        "111222", flow_id=flow.id, address_id=address.id, lifespan=HOUR
    )
    secret = await store.use_verification_code(flow.id, "111222", max_submissions=5)
    found = await store.get_verifiable_address(secret.address_id or uuid.uuid4())
    assert found is not None and found.value == address.value and found.verified is False
    await store.simulate_write()  # leaves nothing behind, raises nothing
