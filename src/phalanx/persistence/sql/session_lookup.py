"""The session-token lookup behind every ``/sessions/whoami``: one statement, no BEGIN/COMMIT.

:meth:`SQLSessionStore.get_by_token <phalanx.persistence.sql.session_store.SQLSessionStore>`
used to cost six round trips through SQLAlchemy (BEGIN, session ⋈ identity, verifiable
addresses, recovery addresses, devices, COMMIT). Here the session, its identity, the
identity's addresses and the session's devices come back as **one row** of one statement
written once per dialect (the join plus correlated JSON sub-selects), run on the driver
directly. Each backend of :mod:`phalanx.persistence.sql.dialects` writes its statement and
runs it its own way (SQLite: a private read-only connection of this process; PostgreSQL and
MySQL/MariaDB: the asyncpg or aiomysql connection under a pooled one, see
:mod:`~phalanx.persistence.sql.dialects.pooled_lookup`); where a backend has none
(in-memory SQLite) :func:`token_lookup` returns None and the store keeps its SQLAlchemy
queries. A lookup that cannot answer right now raises :class:`NotAvailableError`, sending
the caller to the general path (SQLite busy; MySQL: a list longer than
``group_concat_max_len``).

A single statement reads one consistent snapshot on every database. The columns are decoded
here (SQLite text, JSON text, asyncpg and aiomysql values; inside the JSON lists UUIDs and
timestamps are text, ``2026-01-02T03:04:05+00:00`` or MySQL's ``2026-01-02 03:04:05.123456``)
and turned into domain objects by the same converters every other identity read uses
(:mod:`~phalanx.persistence.sql.identity_rows`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from phalanx.clock import utcnow
from phalanx.persistence.sql.dialects import NotAvailableError, TokenLookup
from phalanx.persistence.sql.engine import Database
from phalanx.persistence.sql.identity_rows import (
    identity_from_row,
    recovery_address_from_row,
    verifiable_address_from_row,
)
from phalanx.persistence.sql.types import json_loads
from phalanx.session.model import AuthenticationMethod, Device, Session

__all__ = [
    "COLUMNS",
    "NotAvailableError",
    "TokenLookup",
    "methods_from_json",
    "session_from_row",
    "token_lookup",
]


COLUMNS = """s.id, s.identity_id, s.issued_at, s.expires_at, s.authenticated_at, s.active,
 s.aal, s.authentication_methods, s.created_at, s.updated_at,
 i.schema_id, i.traits, i.state, i.state_changed_at, i.metadata_public, i.metadata_admin,
 i.external_id, i.organization_id, i.available_aal, i.created_at, i.updated_at"""
"""The session and identity columns every backend's statement selects first (from
``sessions s JOIN identities i``), followed by the verifiable addresses, recovery addresses
and devices as JSON arrays: the row :func:`session_from_row` decodes."""


def token_lookup(db: Database) -> TokenLookup | None:
    """The fast lookup for this database, or None where the general path must do."""
    return db.backend.token_lookup(db, session_from_row)


# -- rows -> domain objects ------------------------------------------------------------


def _uuid(value: Any) -> uuid.UUID:
    if type(value) is uuid.UUID:
        return value
    if isinstance(value, uuid.UUID):  # asyncpg's own UUID subclass
        return uuid.UUID(int=value.int)
    return uuid.UUID(value)  # SQLite, MySQL: 32 hex digits; MariaDB, JSON: canonical form


def _opt_uuid(value: Any) -> uuid.UUID | None:
    return None if value is None else _uuid(value)


def _ts(value: Any) -> datetime:
    """A stored timestamp as an aware UTC datetime (SQLite text, JSON text or a driver's
    datetime; naive means UTC)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
    return value.astimezone(UTC)  # type: ignore[no-any-return]


def _opt_ts(value: Any) -> datetime | None:
    return None if value is None else _ts(value)


def _json(value: Any) -> Any:
    """A JSON column: text on SQLite and MySQL, already decoded by the asyncpg codecs (and the
    lists a backend decoded itself)."""
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
    """One row of a backend's whoami statement (:data:`COLUMNS`, then the JSON arrays) as a
    fully loaded session."""
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
