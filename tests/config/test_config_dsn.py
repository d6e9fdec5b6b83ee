"""Kratos DSNs -> SQLAlchemy async URLs and driver arguments."""

from __future__ import annotations

import os
import ssl
from datetime import timedelta

import pytest

from phalanx.config import ConfigError, DatabaseURL, parse_dsn

CASES: list[tuple[str, str, str, str | None, bool]] = [
    # dsn, dialect, sqlalchemy_url, sync_url, is_memory
    ("memory", "sqlite", "sqlite+aiosqlite://", "sqlite://", True),
    ("sqlite://file::memory:?cache=shared", "sqlite", "sqlite+aiosqlite://", "sqlite://", True),
    ("sqlite://file:name?mode=memory&_fk=true", "sqlite", "sqlite+aiosqlite://", "sqlite://", True),
    ("sqlite://:memory:?_fk=true", "sqlite", "sqlite+aiosqlite://", "sqlite://", True),
    (
        "sqlite:///var/lib/kratos/db.sqlite?_fk=true",
        "sqlite",
        "sqlite+aiosqlite:////var/lib/kratos/db.sqlite",
        "sqlite:////var/lib/kratos/db.sqlite",
        False,
    ),
    (
        "sqlite3:///var/lib/sqlite/db.sqlite?_fk=true&mode=rwc",
        "sqlite",
        "sqlite+aiosqlite:////var/lib/sqlite/db.sqlite",
        "sqlite:////var/lib/sqlite/db.sqlite",
        False,
    ),
    (
        "sqlite:///data/ro.db?mode=ro",
        "sqlite",
        "sqlite+aiosqlite:///file:/data/ro.db?mode=ro&uri=true",
        "sqlite:///file:/data/ro.db?mode=ro&uri=true",
        False,
    ),
    (
        "postgres://user:pw@host:5432/db?sslmode=disable",
        "postgres",
        "postgresql+asyncpg://user:pw@host:5432/db",
        None,
        False,
    ),
    (
        "postgresql://kratos:s%40cret@db.example.com/kratos?sslmode=require&max_conns=20",
        "postgres",
        "postgresql+asyncpg://kratos:s%40cret@db.example.com/kratos",
        None,
        False,
    ),
    (
        "cockroach://kratos@cockroachdb:26257/database?sslmode=disable&max_conns=20",
        "cockroach",
        "postgresql+asyncpg://kratos@cockroachdb:26257/database",
        None,
        False,
    ),
    (
        "cockroach://root@crdb/defaultdb",
        "cockroach",
        "postgresql+asyncpg://root@crdb:26257/defaultdb",
        None,
        False,
    ),
    (
        "mysql://user:pw@tcp(host:3306)/db?parseTime=true&multiStatements=true",
        "mysql",
        "mysql+aiomysql://user:pw@host:3306/db",
        "mysql+pymysql://user:pw@host:3306/db",
        False,
    ),
    (
        "mysql://root:secret@tcp(mysqld:3306)/kratos?max_conns=20&max_idle_conns=4",
        "mysql",
        "mysql+aiomysql://root:secret@mysqld:3306/kratos",
        "mysql+pymysql://root:secret@mysqld:3306/kratos",
        False,
    ),
    (
        "mysql://u:p@s/w:rd@tcp([::1]:3307)/db",
        "mysql",
        "mysql+aiomysql://u:p%40s%2Fw%3Ard@[::1]:3307/db",
        "mysql+pymysql://u:p%40s%2Fw%3Ard@[::1]:3307/db",
        False,
    ),
]


@pytest.mark.parametrize(("dsn", "dialect", "url", "sync", "memory"), CASES)
def test_dsn_table(dsn: str, dialect: str, url: str, sync: str | None, memory: bool) -> None:
    parsed = parse_dsn(dsn)
    assert isinstance(parsed, DatabaseURL)
    assert parsed.dialect == dialect
    assert parsed.sqlalchemy_url == url
    assert parsed.sync_url == sync
    assert parsed.is_memory is memory
    assert parsed.single_connection is memory


def test_relative_sqlite_path_is_resolved_against_cwd() -> None:
    parsed = parse_dsn("sqlite://relative.db?_fk=true")
    expected = os.path.abspath("relative.db")
    assert parsed.database == expected
    assert parsed.sqlalchemy_url == f"sqlite+aiosqlite:///{expected}"


def test_sqlite_pragmas() -> None:
    assert parse_dsn("sqlite:///x.db?_fk=true").sqlite_pragmas == {"foreign_keys": "ON"}
    assert parse_dsn("sqlite:///x.db").sqlite_pragmas == {"foreign_keys": "ON"}
    assert parse_dsn("sqlite:///x.db?_fk=false").sqlite_pragmas == {"foreign_keys": "OFF"}
    parsed = parse_dsn("sqlite:///x.db?_journal_mode=WAL&_busy_timeout=5000&_txlock=immediate")
    assert parsed.sqlite_pragmas == {
        "foreign_keys": "ON",
        "journal_mode": "WAL",
        "busy_timeout": "5000",
    }
    assert parsed.ignored_params == ()
    assert parse_dsn("sqlite:///x.db?weird=1").ignored_params == ("weird",)


def test_pool_parameters() -> None:
    parsed = parse_dsn(
        "postgres://u:p@h/db?max_conns=20&max_idle_conns=4&max_conn_lifetime=1h"
        "&max_conn_idle_time=30s"
    )
    assert parsed.max_conns == 20
    assert parsed.max_idle_conns == 4
    assert parsed.max_conn_lifetime == timedelta(hours=1)
    assert parsed.max_conn_idle_time == timedelta(seconds=30)
    assert parse_dsn("memory").max_conns is None


def test_postgres_connect_args() -> None:
    parsed = parse_dsn("postgres://u:p@h:5432/db?sslmode=disable&application_name=phalanx")
    assert parsed.connect_args() == {
        "ssl": "disable",
        "server_settings": {"application_name": "phalanx"},
    }
    assert parsed.params == {"sslmode": "disable", "application_name": "phalanx"}
    assert (parsed.host, parsed.port, parsed.username, parsed.database) == ("h", 5432, "u", "db")
    assert parse_dsn("postgres://u@h/db").connect_args() == {}
    parsed = parse_dsn("postgres://u@h/db?sslmode=verify-full&connect_timeout=5")
    assert parsed.connect_args() == {"ssl": "verify-full", "timeout": 5.0}


def test_mysql_connect_args_and_dropped_go_params() -> None:
    parsed = parse_dsn(
        "mysql://u:p@tcp(h:3306)/db?parseTime=true&multiStatements=true&charset=utf8mb4,utf8"
        "&tls=skip-verify&timeout=5s&loc=Local"
    )
    args = parsed.connect_args()
    assert args["charset"] == "utf8mb4"
    assert args["connect_timeout"] == 5.0
    assert isinstance(args["ssl"], ssl.SSLContext)
    assert args["ssl"].verify_mode == ssl.CERT_NONE
    assert parsed.ignored_params == ()
    sock = parse_dsn("mysql://u:p@unix(/run/mysqld.sock)/db")
    assert sock.connect_args() == {"unix_socket": "/run/mysqld.sock"}
    assert sock.host is None


def test_repr_and_redacted_hide_the_password() -> None:
    parsed = parse_dsn("postgres://user:hunter2@host/db")
    assert "hunter2" not in repr(parsed)
    assert parsed.redacted == "postgresql+asyncpg://user:***@host/db"


@pytest.mark.parametrize(
    ("dsn", "problem"),
    [
        ("", "config: dsn: must not be empty"),
        ("oracle://x", 'config: dsn: unsupported database scheme "oracle"'),
        ("/var/lib/db.sqlite", "config: dsn: expected memory, sqlite://, postgres://"),
        ("sqlite://", "config: dsn: missing SQLite file path"),
        ("sqlite:///x.db?mode=weird", 'config: dsn: unsupported SQLite mode "weird"'),
        ("postgres://u:secret@h:port/db", "config: dsn: invalid postgres URL"),
        ("postgres://u:secret@h:5432/", "config: dsn: missing database name"),
        ("postgres://u@h/db?sslmode=sometimes", 'config: dsn: unsupported sslmode "sometimes"'),
        (
            "postgres://u@h/db?max_conns=many",
            'config: dsn: max_conns: expected an integer, got "many"',
        ),
        (
            "postgres://u@h/db?max_conn_lifetime=1d",
            "config: dsn: max_conn_lifetime: invalid duration",
        ),
        ("mysql://u:secret@tcp(h:3306)", "config: dsn: missing database name"),
        ("mysql://u:secret@udp(h:3306)/db", 'config: dsn: invalid MySQL address "udp(h:3306)"'),
        ("mysql://u:secret@tcp(h:99999)/db", "config: dsn: invalid port 99999"),
    ],
)
def test_bad_dsns(dsn: str, problem: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_dsn(dsn)
    assert str(exc.value).startswith(problem)
    assert exc.value.path == "dsn"
    assert "secret" not in str(exc.value)
