"""``phalanx audit verify`` finds rows edited or deleted by hand on SQLite, PostgreSQL and
MariaDB, ``phalanx audit list`` filters, and ``phalanx cleanup sql --audit.retention``
refuses to prune a chain that does not verify. Events are written by the real recorder;
the real CLI commands run in this process (click's runner: no interpreter start-up)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import delete, update

from phalanx.audit import AuditLog, EventType
from phalanx.cli.main import cli
from phalanx.config import parse_dsn
from phalanx.persistence.sql import Database, create_engine, migrate_up
from phalanx.persistence.sql.audit_store import SQLAuditStore
from phalanx.persistence.sql.tables import audit_events
from tests.support.databases import create_database


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.db),
        pytest.param("mysql", id="mariadb", marks=pytest.mark.db),
    ]
)
def dsn(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path / 'db.sqlite'}?_fk=true"
        return
    database = create_database(request.param)
    try:
        yield database.dsn
    finally:
        database.drop()


async def _with_db(dsn: str, work: Any) -> Any:
    db = Database(create_engine(parse_dsn(dsn).sqlalchemy_url))
    try:
        return await work(db)
    finally:
        await db.dispose()


async def _seed(db: Database, identity: uuid.UUID) -> None:
    await migrate_up(db.engine)
    log = AuditLog(SQLAuditStore(db))
    for n in range(6):
        await log.record(
            EventType.IDENTITY_UPDATED if n % 2 else EventType.LOGIN_SUCCEEDED,
            identity_id=identity if n < 4 else None,
            details={"n": n},
        )


def _tamper(dsn: str, statement: Any) -> None:
    async def work(db: Database) -> None:
        async with db.transaction() as conn:
            await conn.execute(statement)

    asyncio.run(_with_db(dsn, work))


def _cli(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_verify_detects_rows_edited_or_deleted_by_hand(dsn: str) -> None:
    identity = uuid.uuid4()
    asyncio.run(_with_db(dsn, lambda db: _seed(db, identity)))

    r = _cli("audit", "list", dsn, "--identity", str(identity), "--type", "login.succeeded")
    assert r.exit_code == 0, r.stderr
    listed = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(e["seq"], e["details"]["n"], e["actor"]) for e in listed] == [
        (3, 2, "system"),
        (1, 0, "system"),
    ]
    r = _cli("audit", "verify", dsn)
    assert (r.exit_code, r.stdout.strip()) == (0, "Audit log intact: 6 events verified.")

    edit = update(audit_events).where(audit_events.c.seq == 2).values(details={"n": 99})
    _tamper(dsn, edit)
    r = _cli("audit", "verify", dsn)
    assert r.exit_code == 1
    assert "TAMPERED: row 2 (" in r.stderr and "was changed after it was written" in r.stderr

    _tamper(dsn, delete(audit_events).where(audit_events.c.seq == 2))
    r = _cli("audit", "verify", dsn)
    assert r.exit_code == 1 and "TAMPERED: rows 2..2 are missing (deleted?)" in r.stderr

    _tamper(dsn, delete(audit_events).where(audit_events.c.seq == 6))
    r = _cli("audit", "verify", dsn)
    assert r.exit_code == 1
    assert "rows 6..6 are missing (the newest rows were deleted)" in r.stderr
    assert "2 problem(s) in 4 events" in r.stderr

    # Retention keeps what does not verify, cleans the rest and exits 1.
    r = _cli(
        "cleanup", "sql", dsn, "--audit.retention", "0s", "--database.cleanup.sleep.tables", "0s"
    )
    assert r.exit_code == 1
    assert "audit events were kept: the audit log does not verify" in r.stderr
    r = _cli("audit", "list", dsn)
    assert len(r.stdout.splitlines()) == 4


def test_bad_arguments_are_one_line_errors(tmp_path: Path) -> None:
    dsn = f"sqlite://{tmp_path / 'db.sqlite'}?_fk=true"
    r = _cli("audit", "list", dsn, "--identity", "nope")
    assert r.exit_code == 1 and "not an identity id" in r.stderr
    r = _cli("audit", "list", dsn, "--since", "yesterday")
    assert r.exit_code == 1 and "not an RFC 3339 time" in r.stderr
    r = _cli("audit", "verify", "--no-read-from-env")
    assert r.exit_code == 1 and "give a DSN argument" in r.stderr
