"""``phalanx cleanup sql`` on SQLite, PostgreSQL and MariaDB: rows are seeded through the
stores (timestamps the stores do not take are back-dated in SQL), the real CLI runs, and
exactly the expired rows are gone."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, insert, select, update

from phalanx.clock import utcnow
from phalanx.config import parse_dsn
from phalanx.identity.model import Identity
from phalanx.persistence.sql import Database, SQLIdentityPool, create_engine, migrate_up
from phalanx.persistence.sql import tables as t
from phalanx.persistence.sql.code_store import SQLCodeStore
from phalanx.persistence.sql.error_store import SQLErrorStore
from phalanx.persistence.sql.flow_store import flow_store
from phalanx.persistence.sql.session_store import SQLSessionStore
from phalanx.selfservice.flow.base import FlowType
from phalanx.selfservice.flow.login.flow import LoginFlow
from phalanx.selfservice.flow.recovery.flow import RecoveryFlow
from phalanx.selfservice.flow.registration.flow import RegistrationFlow
from phalanx.selfservice.flow.settings.flow import SettingsFlow
from phalanx.selfservice.flow.verification.flow import VerificationFlow
from phalanx.selfservice.strategy.code.store import SecretKind
from phalanx.session.model import Device, Session
from phalanx.ui import UiContainer
from tests.support.databases import create_database
from tests.support.env import clean_environ
from tests.support.server import phalanx_command

HOUR = timedelta(hours=1)
Expected = dict[str, tuple[set[uuid.UUID], set[uuid.UUID]]]
"""table name -> (ids that must be deleted, ids that must be kept)."""


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


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*phalanx_command(), *args],
        capture_output=True,
        text=True,
        env=clean_environ(env),
        timeout=120,
        check=False,
    )


def _database(dsn: str) -> Database:
    return Database(create_engine(parse_dsn(dsn).sqlalchemy_url))


def _flow(cls: type[Any], expires_in: timedelta, **extra: Any) -> Any:
    return cls(
        type=FlowType.API,
        request_url="http://127.0.0.1/self-service",
        ui=UiContainer(action="http://127.0.0.1/self-service"),
        expires_at=utcnow() + expires_in,
        **extra,
    )


async def _seed(dsn: str) -> Expected:
    db = _database(dsn)
    try:
        await migrate_up(db.engine)
        now = utcnow()
        identity = Identity(schema_id="default", traits={"email": f"{uuid.uuid4().hex}@x.io"})
        await SQLIdentityPool(db).create(identity)
        expected: Expected = {}

        def track(table: Table, *, gone: list[uuid.UUID], kept: list[uuid.UUID]) -> None:
            old_gone, old_kept = expected.get(table.name, (set(), set()))
            expected[table.name] = (old_gone | set(gone), old_kept | set(kept))

        # Sessions: expired, revoked long ago, recently expired/revoked (within keep-last), live.
        sessions = SQLSessionStore(db)
        made: dict[str, Session] = {}
        for name, expires, active, updated in [
            ("expired", -2 * HOUR, True, now),
            ("revoked", HOUR, False, now - 2 * HOUR),
            ("recently_expired", timedelta(minutes=-10), True, now),
            ("recently_revoked", HOUR, False, now),
            ("live", HOUR, True, now),
        ]:
            session = Session(
                identity_id=identity.id,
                expires_at=now + expires,
                active=active,
                updated_at=updated,
                devices=[Device(ip_address="127.0.0.1", user_agent="pytest")],
            )
            await sessions.create(session, uuid.uuid4().hex, uuid.uuid4().hex)
            made[name] = session
        track(
            t.sessions,
            gone=[made["expired"].id, made["revoked"].id],
            kept=[made[n].id for n in ("recently_expired", "recently_revoked", "live")],
        )

        # Flows of all five kinds: expired and live; five expired logins (several batches).
        flows: dict[str, tuple[Any, Any]] = {}
        kinds: list[tuple[str, type[Any], dict[str, Any]]] = [
            ("login", LoginFlow, {}),
            ("registration", RegistrationFlow, {}),
            ("settings", SettingsFlow, {"identity_id": identity.id}),
            ("recovery", RecoveryFlow, {}),
            ("verification", VerificationFlow, {}),
        ]
        for kind, cls, extra in kinds:
            store = flow_store(db, kind)
            expired = [_flow(cls, -2 * HOUR, **extra) for _ in range(5 if kind == "login" else 1)]
            live = _flow(cls, HOUR, **extra)
            for flow in [*expired, live]:
                await store.create(flow)
            flows[kind] = (expired[0], live)
            track(t.FLOW_TABLES[kind], gone=[f.id for f in expired], kept=[live.id])

        # Recovery codes: expired, used long ago, live, and a live one of an expired flow.
        codes = SQLCodeStore(db, ["a-cookie-secret-of-sufficient-length"])
        expired_flow, live_flow = flows["recovery"]

        async def code(flow: Any, lifespan: timedelta) -> uuid.UUID:
            secret = await codes.create_recovery_code(
                uuid.uuid4().hex,
                flow_id=flow.id,
                identity_id=identity.id,
                address_id=None,
                kind=SecretKind.ADMIN,
                lifespan=lifespan,
            )
            return secret.id

        expired_code = await code(live_flow, -HOUR)
        used_code = await code(live_flow, HOUR)
        live_code = await code(live_flow, HOUR)
        orphan_code = await code(expired_flow, HOUR)
        track(
            t.identity_recovery_codes,
            gone=[expired_code, used_code, orphan_code],
            kept=[live_code],
        )

        # Error containers: one old, one fresh.
        errors = SQLErrorStore(db)
        old_error = await errors.add({"code": 500})
        fresh_error = await errors.add({"code": 500})
        track(t.selfservice_errors, gone=[old_error], kept=[fresh_error])

        # Continuity containers and token exchangers have no store yet: plain inserts.
        rows = {n: uuid.uuid4() for n in ("c_old", "c_live", "x_old", "x_new")}
        async with db.transaction() as conn:
            await conn.execute(
                update(t.identity_recovery_codes)
                .where(t.identity_recovery_codes.c.id == used_code)
                .values(used_at=now - 2 * HOUR)
            )
            await conn.execute(
                update(t.selfservice_errors)
                .where(t.selfservice_errors.c.id == old_error)
                .values(created_at=now - 3 * HOUR)
            )
            for key, expires in (("c_old", -2 * HOUR), ("c_live", HOUR)):
                await conn.execute(
                    insert(t.continuity_containers).values(
                        id=rows[key],
                        identity_id=identity.id,
                        name="ory_kratos_settings",
                        payload={},
                        expires_at=now + expires,
                        created_at=now,
                        updated_at=now,
                    )
                )
            for key, created in (("x_old", now - 3 * HOUR), ("x_new", now)):
                await conn.execute(
                    insert(t.session_token_exchanges).values(
                        id=rows[key],
                        flow_id=uuid.uuid4(),
                        init_code="i",
                        return_to_code="r",
                        created_at=created,
                        updated_at=created,
                    )
                )
        track(t.continuity_containers, gone=[rows["c_old"]], kept=[rows["c_live"]])
        track(t.session_token_exchanges, gone=[rows["x_old"]], kept=[rows["x_new"]])
        return expected
    finally:
        await db.dispose()


async def _remaining(dsn: str, names: list[str]) -> dict[str, set[uuid.UUID]]:
    db = _database(dsn)
    try:
        out: dict[str, set[uuid.UUID]] = {}
        async with db.transaction(readonly=True) as conn:
            for name in names:
                table = t.metadata.tables[name]
                out[name] = set((await conn.execute(select(table.c.id))).scalars())
            devices = t.session_devices
            out[devices.name] = set((await conn.execute(select(devices.c.session_id))).scalars())
        return out
    finally:
        await db.dispose()


def test_cleanup_deletes_only_expired_rows(dsn: str) -> None:
    expected = asyncio.run(_seed(dsn))
    result = run(
        "cleanup",
        "sql",
        dsn,
        "--keep-last",
        "30m",
        "-b",
        "2",
        "--database.cleanup.sleep.tables",
        "0s",
    )
    assert result.returncode == 0, result.stderr
    assert "Deleted" in result.stdout and "expired login flows" in result.stderr

    remaining = asyncio.run(_remaining(dsn, list(expected)))
    for name, (gone, kept) in expected.items():
        assert not gone & remaining[name], f"{name}: expired rows left behind"
        assert kept <= remaining[name], f"{name}: live rows deleted"
    session_gone, session_kept = expected["sessions"]
    assert not session_gone & remaining["session_devices"]  # devices cascade with sessions
    assert session_kept <= remaining["session_devices"]


def test_cleanup_reads_the_dsn_from_the_environment(tmp_path: Path) -> None:
    dsn = f"sqlite://{tmp_path / 'env.sqlite'}?_fk=true"
    assert run("migrate", "sql", dsn, "--yes").returncode == 0
    result = run("cleanup", "sql", "-e", "--database.cleanup.sleep.tables", "0s", env={"DSN": dsn})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Deleted 0 expired records."


def test_cleanup_reads_settings_from_the_config(tmp_path: Path) -> None:
    dsn = f"sqlite://{tmp_path / 'cfg.sqlite'}?_fk=true"
    assert run("migrate", "sql", dsn, "--yes").returncode == 0
    config = tmp_path / "kratos.yml"
    schema = tmp_path / "identity.schema.json"
    schema.write_text('{"type": "object"}', encoding="utf-8")
    config.write_text(
        f"dsn: {dsn}\n"
        "identity:\n"
        "  default_schema_id: default\n"
        f"  schemas: [{{id: default, url: {schema.as_uri()}}}]\n"
        "selfservice:\n"
        "  default_browser_return_url: http://127.0.0.1/\n"
        "database:\n"
        "  cleanup: {batch_size: 5, sleep: {tables: 0s}}\n",
        encoding="utf-8",
    )
    result = run("cleanup", "sql", "-c", str(config))
    assert result.returncode == 0, result.stderr


def test_cleanup_without_a_dsn_fails(tmp_path: Path) -> None:
    result = run("cleanup", "sql")
    assert result.returncode == 1
    assert 'required config value "dsn" was not set' in result.stderr
    result = run("cleanup", "sql", "--no-read-from-env")
    assert result.returncode == 1
    assert "expected to get the DSN as an argument" in result.stderr


def test_cleanup_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    result = run("cleanup", "sql", f"sqlite://{tmp_path / 'empty.sqlite'}?_fk=true")
    assert result.returncode == 1
    assert "migrate sql" in result.stderr
