"""``phalanx migrate sql`` (and ``status``, ``-e``) on a SQLite file, PostgreSQL and MariaDB,
as the real CLI; one-line errors for bad and unreachable DSNs; ``phalanx version``.

The three databases are migrated concurrently (one thread each, every step a real
subprocess) by a module fixture; the tests then check what each step answered.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import subprocess
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pymysql
import pytest

from phalanx import __version__
from tests.support.databases import (
    MYSQL_HOST,
    MYSQL_PORT,
    POSTGRES_HOST,
    POSTGRES_PORT,
    TempDatabase,
    create_database,
)
from tests.support.env import clean_environ
from tests.support.server import phalanx_command

pytestmark = pytest.mark.e2e

#: Tables every migrated database has (a sample of the Kratos schema).
TABLES = {
    "identities",
    "identity_credentials",
    "identity_verifiable_addresses",
    "sessions",
    "courier_messages",
    "phalanx_alembic_version",
}


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str


def phalanx(*args: str, env: Mapping[str, str] | None = None) -> Result:
    done = subprocess.run(
        [*phalanx_command(), *args],
        capture_output=True,
        env=clean_environ(env),
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    return Result(done.returncode, done.stdout.decode(), done.stderr.decode())


def one_line_error(result: Result) -> str:
    assert result.code != 0, result
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def tables_of(kind: str, name: str) -> set[str]:
    if kind == "sqlite":
        with sqlite3.connect(name) as conn:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        return {row[0] for row in rows}
    if kind == "mysql":
        conn = pymysql.connect(host=MYSQL_HOST, port=MYSQL_PORT, user="root", database=name)
        try:
            with conn.cursor() as cur:
                cur.execute("SHOW TABLES")
                return {row[0] for row in cur.fetchall()}
        finally:
            conn.close()

    async def pg() -> set[str]:
        import asyncpg

        conn = await asyncpg.connect(
            host=POSTGRES_HOST, port=POSTGRES_PORT, user="postgres", database=name
        )
        try:
            rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            return {row["tablename"] for row in rows}
        finally:
            await conn.close()

    return asyncio.run(pg())


@dataclass
class Scenario:
    """What each step of one database's migration answered."""

    dsn: str
    before: Result  # status on the empty database
    first: Result  # migrate sql <dsn> --yes
    tables: set[str]
    again: Result  # migrate sql -e --yes (DSN env): idempotent
    status: Result  # migrate sql status -e (DSN env)


def run_scenario(kind: str, name: str, dsn: str) -> Scenario:
    before = phalanx("migrate", "sql", "status", dsn)
    first = phalanx("migrate", "sql", dsn, "--yes")
    tables = tables_of(kind, name)
    again = phalanx("migrate", "sql", "-e", "--yes", env={"DSN": dsn})
    return Scenario(
        dsn=dsn,
        before=before,
        first=first,
        tables=tables,
        again=again,
        status=phalanx("migrate", "sql", "status", "-e", env={"DSN": dsn}),
    )


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.db),
    pytest.param("mysql", id="mariadb", marks=pytest.mark.db),
]


@pytest.fixture(scope="module")
def scenarios(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Scenario]]:
    """Run the scenario on every backend selected by ``-m`` at once."""
    wanted: set[str] = set()
    for item in request.session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if getattr(item, "module", None) is request.module and "backend" in params:
            wanted.add(params["backend"])
    databases: list[TempDatabase] = []
    jobs: dict[str, tuple[str, str]] = {}
    for kind in sorted(wanted):
        if kind == "sqlite":
            path = tmp_path_factory.mktemp("migrate") / "kratos.sqlite"
            jobs[kind] = (str(path), f"sqlite://{path}?_fk=true")
        else:
            db = create_database("postgres" if kind == "postgres" else "mysql")
            databases.append(db)
            # the DSN as Kratos documents it (without the helper's extra parameters)
            dsn = (
                f"postgres://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/{db.name}?sslmode=disable"
                if kind == "postgres"
                else f"mysql://root@tcp({MYSQL_HOST}:{MYSQL_PORT})/{db.name}?parseTime=true"
            )
            jobs[kind] = (db.name, dsn)
    try:
        with ThreadPoolExecutor(max_workers=len(jobs) or 1) as pool:
            futures = {
                kind: pool.submit(run_scenario, kind, name, dsn)
                for kind, (name, dsn) in jobs.items()
            }
            yield {kind: future.result() for kind, future in futures.items()}
    finally:
        for db in databases:
            db.drop()


STATUS = re.compile(r"current: (\S+)\s+head: (\S+)\s+\((up to date|pending)\)")


@pytest.mark.parametrize("backend", BACKENDS)
def test_migrate_creates_the_schema(backend: str, scenarios: dict[str, Scenario]) -> None:
    run = scenarios[backend]
    before = STATUS.search(run.before.stdout)
    assert run.before.code == 0 and before, run.before
    assert before.group(1) == "none" and before.group(3) == "pending"
    assert run.first.code == 0, run.first
    assert "Successfully applied all migrations." in run.first.stdout
    assert run.tables >= TABLES, run.tables


@pytest.mark.parametrize("backend", BACKENDS)
def test_migrate_again_from_env_is_idempotent(backend: str, scenarios: dict[str, Scenario]) -> None:
    run = scenarios[backend]
    assert run.again.code == 0, run.again
    assert "Successfully applied all migrations." in run.again.stdout
    found = STATUS.search(run.status.stdout)
    assert run.status.code == 0 and found, run.status
    assert found.group(1) == found.group(2) and found.group(3) == "up to date"


# -- errors ---------------------------------------------------------------------------------

ERRORS: dict[str, tuple[tuple[str, ...], dict[str, str], str]] = {
    "unparsable": (("nonsense", "--yes"), {}, "config: dsn: "),
    "postgres-unreachable": (
        ("status", "postgres://postgres@127.0.0.1:1/x?sslmode=disable"),
        {},
        "migrate: ",
    ),
    "mysql-unreachable": (
        ("mysql://root@tcp(127.0.0.1:1)/x?parseTime=true", "--yes"),
        {},
        "migrate: ",
    ),
    "no-dsn": (("--yes",), {}, "migrate: give a DSN argument"),
    "env-without-dsn": (("-e", "--yes"), {}, "migrate: no DSN"),
}


@pytest.fixture(scope="module")
def error_runs() -> dict[str, Result]:
    with ThreadPoolExecutor(max_workers=len(ERRORS)) as pool:
        futures = {
            name: pool.submit(phalanx, "migrate", "sql", *args, env=env)
            for name, (args, env, _) in ERRORS.items()
        }
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("case", list(ERRORS))
def test_migrate_errors_are_one_line(case: str, error_runs: dict[str, Result]) -> None:
    line = one_line_error(error_runs[case])
    assert line.startswith(ERRORS[case][2]), line
    if case.endswith("unreachable"):
        assert "Connect" in line or "connect" in line, line


def test_migrate_refuses_without_confirmation(tmp_path: Path) -> None:
    db = tmp_path / "untouched.sqlite"
    done = subprocess.run(
        [*phalanx_command(), "migrate", "sql", f"sqlite://{db}?_fk=true"],
        input=b"n\n",
        capture_output=True,
        env=clean_environ(),
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert b"aborted" in done.stderr and b"Traceback" not in done.stderr
    assert not db.exists() or db.stat().st_size == 0


def test_version_prints_the_version() -> None:
    result = phalanx("version")
    assert result.code == 0, result
    assert re.search(rf"^Version:\s+v{re.escape(__version__)}$", result.stdout, re.M), result
