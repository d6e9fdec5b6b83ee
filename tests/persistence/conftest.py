"""Fixtures of the persistence contract suite: one fresh database per backend per session.

Every backend gets a database of its own named ``phalanx_t_<hex>`` (a temp file for
SQLite), migrated up once and dropped at the end. PostgreSQL and MariaDB must be
running (CI starts them): if they are not reachable the tests FAIL, they are not
skipped. Select backends with ``-m "not db"`` (SQLite only). Server URLs can be moved with
``PHALANX_TEST_POSTGRES_URL`` / ``PHALANX_TEST_MYSQL_URL`` (admin connections).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import make_url, text

from phalanx.persistence.sql import Database, SQLIdentityPool, create_engine, migrate_up

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.db),
    pytest.param("mariadb", id="mariadb", marks=pytest.mark.db),
]

POSTGRES_URL = os.environ.get(
    "PHALANX_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
MYSQL_URL = os.environ.get("PHALANX_TEST_MYSQL_URL", "mysql+aiomysql://root@127.0.0.1:3306/mysql")


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def sqlite_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="phalanx_t_") as directory:
        yield Path(directory)


@asynccontextmanager
async def fresh_database(backend: str, sqlite_dir: Path) -> AsyncIterator[str]:
    """Create an empty database, yield its async URL, drop it afterwards."""
    name = f"phalanx_t_{secrets.token_hex(6)}"
    if backend == "sqlite":
        path = sqlite_dir / f"{name}.db"
        yield f"sqlite+aiosqlite:///{path}"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    admin_url = POSTGRES_URL if backend == "postgres" else MYSQL_URL
    engine = create_engine(admin_url)
    admin = engine.execution_options(isolation_level="AUTOCOMMIT")
    if backend == "postgres":
        create, drop = f'CREATE DATABASE "{name}"', f'DROP DATABASE "{name}" WITH (FORCE)'
    else:
        create = f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        drop = f"DROP DATABASE `{name}`"
    try:
        async with admin.connect() as conn:
            await conn.execute(text(create))
    except Exception as exc:
        await engine.dispose()
        pytest.fail(
            f"{backend} is not reachable at {make_url(admin_url).render_as_string()}: {exc}\n"
            f"Start it (CI does) or deselect it with -m 'not db'.",
            pytrace=False,
        )
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(drop))
        await engine.dispose()


FreshDatabase = Callable[[], AbstractAsyncContextManager[str]]


@pytest.fixture
def make_fresh_database(backend: str, sqlite_dir: Path) -> FreshDatabase:
    """A factory of extra empty databases on the current backend (for migration tests)."""
    return lambda: fresh_database(backend, sqlite_dir)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@asynccontextmanager
async def migrated_database(backend: str, sqlite_dir: Path) -> AsyncIterator[Database]:
    """A fresh database of ``backend``, migrated, disposed of (and dropped) afterwards."""
    async with fresh_database(backend, sqlite_dir) as url:
        db = Database(create_engine(url))
        try:
            await migrate_up(db.engine)
            yield db
        finally:
            await db.dispose()


@pytest.fixture(scope="session")
async def database(backend: str, sqlite_dir: Path) -> AsyncIterator[Database]:
    """A migrated database shared by the whole session for one backend."""
    async with migrated_database(backend, sqlite_dir) as db:
        yield db


@pytest.fixture
def pool(database: Database) -> SQLIdentityPool:
    return SQLIdentityPool(database)
