"""Fresh, throw-away PostgreSQL and MariaDB databases for tests.

The servers are expected on loopback: PostgreSQL at ``127.0.0.1:5432`` (user ``postgres``,
trust auth) and MariaDB/MySQL at ``127.0.0.1:3306`` (user ``root``, no password). A server
that is down fails the test loudly instead of skipping it.

Usage::

    db = create_database("postgres")   # or "mysql"
    try:
        run(["phalanx", "migrate", "sql", db.dsn, "--yes"])
    finally:
        db.drop()

or as a context manager: ``with temporary_database("mysql") as db: ...``.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "MYSQL_HOST",
    "MYSQL_PORT",
    "POSTGRES_HOST",
    "POSTGRES_PORT",
    "DatabaseKind",
    "TempDatabase",
    "create_database",
    "temporary_database",
]

DatabaseKind = Literal["postgres", "mysql"]

POSTGRES_HOST, POSTGRES_PORT = "127.0.0.1", 5432
MYSQL_HOST, MYSQL_PORT = "127.0.0.1", 3306


@dataclass(slots=True)
class TempDatabase:
    """A database created for one test (module); ``dsn`` is in Kratos syntax."""

    kind: DatabaseKind
    name: str
    dsn: str

    def drop(self) -> None:
        """Drop the database (idempotent)."""
        if self.kind == "postgres":
            asyncio.run(_pg_execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        else:
            _mysql_execute(f"DROP DATABASE IF EXISTS `{self.name}`")


async def _pg_execute(sql: str) -> None:
    import asyncpg

    try:
        conn = await asyncpg.connect(
            host=POSTGRES_HOST,
            port=POSTGRES_PORT,
            user="postgres",
            database="postgres",
            timeout=10,
        )
    except (OSError, asyncpg.PostgresError) as exc:
        raise RuntimeError(
            f"PostgreSQL is not reachable at {POSTGRES_HOST}:{POSTGRES_PORT} as user postgres "
            f"({type(exc).__name__}: {exc}); start it to run the PostgreSQL tests"
        ) from exc
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _mysql_execute(sql: str) -> None:
    import pymysql

    try:
        conn = pymysql.connect(
            host=MYSQL_HOST, port=MYSQL_PORT, user="root", password="", connect_timeout=10
        )
    except pymysql.Error as exc:
        raise RuntimeError(
            f"MariaDB/MySQL is not reachable at {MYSQL_HOST}:{MYSQL_PORT} as user root "
            f"({type(exc).__name__}: {exc}); start it to run the MariaDB tests"
        ) from exc
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
        conn.commit()
    finally:
        conn.close()


def create_database(kind: DatabaseKind) -> TempDatabase:
    """Create an empty database with a random name and return it (raises if the server is down)."""
    name = f"phalanx_test_{secrets.token_hex(6)}"
    if kind == "postgres":
        asyncio.run(_pg_execute(f'CREATE DATABASE "{name}"'))
        dsn = f"postgres://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}?sslmode=disable"
    elif kind == "mysql":
        _mysql_execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        dsn = (
            f"mysql://root@tcp({MYSQL_HOST}:{MYSQL_PORT})/{name}"
            "?parseTime=true&multiStatements=true"
        )
    else:  # pragma: no cover - guarded by the Literal type
        raise ValueError(f"unknown database kind {kind!r}")
    return TempDatabase(kind=kind, name=name, dsn=dsn)


@contextmanager
def temporary_database(kind: DatabaseKind) -> Iterator[TempDatabase]:
    """A fresh database for the ``with`` block, dropped afterwards."""
    db = create_database(kind)
    try:
        yield db
    finally:
        db.drop()
