"""The session-token lookup behind every ``/sessions/whoami``: one statement, no BEGIN/COMMIT.

:meth:`SQLSessionStore.get_by_token <phalanx.persistence.sql.session_store.SQLSessionStore>`
used to cost six round trips through SQLAlchemy (BEGIN, session ⋈ identity, verifiable
addresses, recovery addresses, devices, COMMIT). Here the session, its identity, the
identity's addresses and the session's devices come back as **one row** of one statement
written once per dialect (the join plus correlated JSON sub-selects), run on the driver
directly:

* SQLite (file databases): a private ``sqlite3`` connection of this process, read-only
  (``query_only``), in autocommit mode, called synchronously on the event loop: a lookup by
  the unique token index takes ~20 µs, less than handing it to aiosqlite's thread. It never
  waits for a lock (``busy_timeout = 0``; readers do not wait for writers in WAL mode); if
  SQLite reports busy anyway, :class:`NotAvailableError` sends the caller to the general
  path.
* PostgreSQL: the asyncpg connection under a pooled SQLAlchemy connection (same settings,
  JSON codecs and pool), outside any transaction; asyncpg keeps the statement prepared.
  Concurrent lookups are limited to the pool size, so a burst queues here instead of
  opening and closing overflow connections.
* Everything else (MySQL/MariaDB, in-memory SQLite): :func:`token_lookup` returns None
  and the store keeps its SQLAlchemy queries.

A single statement reads one consistent snapshot in both databases. The columns are decoded
here (SQLite text, JSON text, asyncpg values) and turned into domain objects by the same
converters every other identity read uses (:mod:`~phalanx.persistence.sql.identity_rows`).
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from sqlalchemy.pool import StaticPool

from phalanx import tracing
from phalanx.clock import utcnow
from phalanx.persistence.sql.engine import Database
from phalanx.persistence.sql.identity_rows import (
    identity_from_row,
    recovery_address_from_row,
    verifiable_address_from_row,
)
from phalanx.persistence.sql.types import json_loads
from phalanx.session.model import AuthenticationMethod, Device, Session

__all__ = ["NotAvailableError", "TokenLookup", "methods_from_json", "token_lookup"]


class NotAvailableError(Exception):
    """The fast path cannot answer right now; use the general one."""


class TokenLookup(Protocol):
    async def by_token(self, token_digest: str) -> Session | None:
        """The session (identity, addresses, devices loaded) of a token digest, or None."""
        ...

    def close(self) -> None: ...


_COLUMNS = """s.id, s.identity_id, s.issued_at, s.expires_at, s.authenticated_at, s.active,
 s.aal, s.authentication_methods, s.created_at, s.updated_at,
 i.schema_id, i.traits, i.state, i.state_changed_at, i.metadata_public, i.metadata_admin,
 i.external_id, i.organization_id, i.available_aal, i.created_at, i.updated_at"""

_VA = "a.id, a.via, a.value, a.verified, a.status, a.verified_at, a.created_at, a.updated_at"
_RA = "r.id, r.via, r.value, r.created_at, r.updated_at"
_DEV = "d.id, d.ip_address, d.user_agent, d.location"

# json_group_array keeps the order of an ordered sub-query (SQLite < 3.44 has no
# ``json_group_array(... ORDER BY ...)``).
SQLITE_SQL = f"""SELECT {_COLUMNS},
 (SELECT json_group_array(json_array({_VA})) FROM (SELECT * FROM identity_verifiable_addresses
   WHERE identity_id = s.identity_id ORDER BY created_at, id) a),
 (SELECT json_group_array(json_array({_RA})) FROM (SELECT * FROM identity_recovery_addresses
   WHERE identity_id = s.identity_id ORDER BY created_at, id) r),
 (SELECT json_group_array(json_array({_DEV})) FROM (SELECT * FROM session_devices
   WHERE session_id = s.id ORDER BY created_at) d)
FROM sessions s JOIN identities i ON i.id = s.identity_id
WHERE s.token = ?"""  # noqa: S608 - constant text; the token is a bind parameter

POSTGRES_SQL = f"""SELECT {_COLUMNS},
 (SELECT json_agg(json_build_array({_VA}) ORDER BY a.created_at, a.id)
   FROM identity_verifiable_addresses a WHERE a.identity_id = s.identity_id),
 (SELECT json_agg(json_build_array({_RA}) ORDER BY r.created_at, r.id)
   FROM identity_recovery_addresses r WHERE r.identity_id = s.identity_id),
 (SELECT json_agg(json_build_array({_DEV}) ORDER BY d.created_at)
   FROM session_devices d WHERE d.session_id = s.id)
FROM sessions s JOIN identities i ON i.id = s.identity_id
WHERE s.token = $1"""  # noqa: S608 - constant text; the token is a bind parameter


def token_lookup(db: Database) -> TokenLookup | None:
    """The fast lookup for this database, or None where the general path must do."""
    engine = db.engine
    if db.dialect == "postgresql":
        return PostgresTokenLookup(db)
    if db.dialect == "sqlite" and not isinstance(engine.pool, StaticPool):
        database = engine.url.database or ""
        if database.startswith("file:"):
            database = database[len("file:") :]
        if database and database != ":memory:":
            return SQLiteTokenLookup(Path(database))
    return None


class SQLiteTokenLookup:
    """See the module docstring. The connection is opened lazily (after a fork)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        # mode=rw: never create a missing database file.
        uri = f"file:{quote(str(self.path.resolve()))}?mode=rw"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA query_only = 1")
        conn.execute("PRAGMA busy_timeout = 0")
        return conn

    async def by_token(self, token_digest: str) -> Session | None:
        try:
            if self._conn is None:
                self._conn = self._connect()
            spans = tracing.statement_spans()
            if spans is None:
                row = self._conn.execute(SQLITE_SQL, (token_digest,)).fetchone()
            else:
                with spans.span("sqlite", SQLITE_SQL):
                    row = self._conn.execute(SQLITE_SQL, (token_digest,)).fetchone()
        except sqlite3.OperationalError as exc:  # busy, or no such table before migrating
            raise NotAvailableError(str(exc)) from exc
        return None if row is None else session_from_row(row)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class PostgresTokenLookup:
    """See the module docstring."""

    def __init__(self, db: Database) -> None:
        self.engine = db.engine
        self._gate: asyncio.Semaphore | None = None

    async def by_token(self, token_digest: str) -> Session | None:
        if self._gate is None:  # created lazily: bound to the running loop
            size = getattr(self.engine.pool, "size", None)
            self._gate = asyncio.Semaphore(max(1, size() if callable(size) else 5))
        async with self._gate, self.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            try:
                driver: Any = raw.driver_connection
                spans = tracing.statement_spans()
                if spans is None:
                    row = await driver.fetchrow(POSTGRES_SQL, token_digest)
                else:
                    with spans.span("postgresql", POSTGRES_SQL):
                        row = await driver.fetchrow(POSTGRES_SQL, token_digest)
            except Exception:
                # The connection's state is unknown to SQLAlchemy: do not pool it again.
                await conn.invalidate()
                raise
        return None if row is None else session_from_row(tuple(row))

    def close(self) -> None:
        pass


# -- rows -> domain objects ------------------------------------------------------------


def _uuid(value: Any) -> uuid.UUID:
    if type(value) is uuid.UUID:
        return value
    if isinstance(value, uuid.UUID):  # asyncpg's own UUID subclass
        return uuid.UUID(int=value.int)
    return uuid.UUID(value)  # SQLite: 32 hex digits; JSON: the canonical form


def _opt_uuid(value: Any) -> uuid.UUID | None:
    return None if value is None else _uuid(value)


def _ts(value: Any) -> datetime:
    """A stored timestamp as an aware UTC datetime (SQLite text, JSON text or asyncpg)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
    return value.astimezone(UTC)  # type: ignore[no-any-return]


def _opt_ts(value: Any) -> datetime | None:
    return None if value is None else _ts(value)


def _json(value: Any) -> Any:
    """A JSON column: text on SQLite, already decoded by the asyncpg codecs."""
    return json_loads(value) if isinstance(value, str | bytes) else value


def methods_from_json(raw: Any) -> list[AuthenticationMethod]:
    """``sessions.authentication_methods`` as stored (see ``SQLSessionStore.create``)."""
    out = []
    for item in raw or []:
        if not isinstance(item, dict):
            continue
        completed = item.get("completed_at")
        out.append(
            AuthenticationMethod(
                method=str(item.get("method", "")),
                aal=str(item.get("aal", "aal1")),
                completed_at=datetime.fromisoformat(completed) if completed else utcnow(),
                provider=item.get("provider"),
                organization=item.get("organization"),
            )
        )
    return out


def session_from_row(row: Sequence[Any]) -> Session:
    """One row of :data:`SQLITE_SQL` / :data:`POSTGRES_SQL` as a fully loaded session."""
    (
        session_id, identity_id, issued_at, expires_at, authenticated_at, active, aal,
        methods, created_at, updated_at,
        schema_id, traits, state, state_changed_at, metadata_public, metadata_admin,
        external_id, organization_id, available_aal, i_created_at, i_updated_at,
        verifiable, recovery, devices,
    ) = row  # fmt: skip
    identity_uuid = _uuid(identity_id)
    identity = identity_from_row(
        {
            "id": identity_uuid,
            "schema_id": schema_id,
            "traits": _json(traits),
            "state": state,
            "state_changed_at": _opt_ts(state_changed_at),
            "metadata_public": _json(metadata_public),
            "metadata_admin": _json(metadata_admin),
            "external_id": external_id,
            "organization_id": _opt_uuid(organization_id),
            "available_aal": available_aal,
            "created_at": _ts(i_created_at),
            "updated_at": _ts(i_updated_at),
        }
    )
    identity.verifiable_addresses = [
        verifiable_address_from_row(
            {
                "id": _uuid(a[0]),
                "identity_id": identity_uuid,
                "via": a[1],
                "value": a[2],
                "verified": a[3],
                "status": a[4],
                "verified_at": _opt_ts(a[5]),
                "created_at": _ts(a[6]),
                "updated_at": _ts(a[7]),
            }
        )
        for a in _json(verifiable) or ()
    ]
    identity.recovery_addresses = [
        recovery_address_from_row(
            {
                "id": _uuid(r[0]),
                "identity_id": identity_uuid,
                "via": r[1],
                "value": r[2],
                "created_at": _ts(r[3]),
                "updated_at": _ts(r[4]),
            }
        )
        for r in _json(recovery) or ()
    ]
    return Session(
        id=_uuid(session_id),
        identity_id=identity_uuid,
        issued_at=_ts(issued_at),
        expires_at=_ts(expires_at),
        authenticated_at=_ts(authenticated_at),
        active=bool(active),
        aal=aal,
        authentication_methods=methods_from_json(_json(methods)),
        created_at=_ts(created_at),
        updated_at=_ts(updated_at),
        devices=[
            Device(id=_uuid(d[0]), ip_address=d[1] or None, user_agent=d[2] or None, location=d[3])
            for d in _json(devices) or ()
        ],
        identity=identity,
    )
