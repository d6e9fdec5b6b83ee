"""Fixtures for identity unit tests: a migrated SQLite database and a wired manager."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from phalanx.hash import BcryptHasher, PasswordHashing
from phalanx.identity.manager import IdentityManager
from phalanx.persistence.sql import Database, SQLIdentityPool, create_engine, migrate_up
from phalanx.schema import SchemaRegistry, normalize_identifier
from tests.support.paths import DATA


def make_schemas() -> SchemaRegistry:
    """``default`` (email) and ``customer`` (username) from ``tests/support/data``."""
    return SchemaRegistry.from_schemas(
        {
            "default": json.loads((DATA / "identity.email.schema.json").read_text()),
            "customer": json.loads((DATA / "identity.username.schema.json").read_text()),
        }
    )


@pytest.fixture
def hashing() -> Iterator[PasswordHashing]:
    with PasswordHashing(BcryptHasher(cost=4), max_workers=2) as h:
        yield h


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(create_engine(f"sqlite+aiosqlite:///{tmp_path / 'identity.db'}"))
    try:
        await migrate_up(db.engine)
        yield db
    finally:
        await db.dispose()


@pytest.fixture
def manager(database: Database, hashing: PasswordHashing) -> IdentityManager:
    pool = SQLIdentityPool(database, normalize=normalize_identifier)
    return IdentityManager(pool, make_schemas(), hashing)
