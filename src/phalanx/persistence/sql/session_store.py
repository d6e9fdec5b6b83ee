"""SQL implementation of :class:`phalanx.session.store.SessionStore`.

The hot path is :meth:`SQLSessionStore.get_by_token` (every ``/sessions/whoami``): one
statement on the driver (:mod:`~phalanx.persistence.sql.session_lookup`) on SQLite (file
databases), PostgreSQL and MySQL/MariaDB; otherwise, or when that lookup cannot answer, one
joined query for session + identity, then one query each for the identity's addresses and
the session's devices.

Every write tells the :class:`~phalanx.session.epoch.ChangeNotifier` (after it committed)
which identity's sessions it changed, so cached whoami answers of every worker process are
dropped, and runs again when the database aborted it for a conflict with another host's
(:func:`~phalanx.persistence.sql.changes.notifying_run`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from phalanx.clock import utcnow
from phalanx.identity.model import Identity
from phalanx.persistence.sql.changes import Changed, notifying_run
from phalanx.persistence.sql.engine import Database
from phalanx.persistence.sql.identity_rows import hydrate_identities, identity_from_row
from phalanx.persistence.sql.session_lookup import (
    NotAvailableError,
    token_lookup,
)
from phalanx.persistence.sql.session_lookup import methods_from_json as _methods_from_json
from phalanx.persistence.sql.tables import identities, session_devices, sessions
from phalanx.session.epoch import ChangeNotifier
from phalanx.session.model import AuthenticationMethod, Device, Session
from phalanx.session.store import InvalidPageTokenError, SessionPage, StoredSession

__all__ = ["SQLSessionStore"]

T = TypeVar("T")

_SESSION_COLUMNS = [c.label(f"s_{c.name}") for c in sessions.c]
_IDENTITY_COLUMNS = [c.label(f"i_{c.name}") for c in identities.c]


def _methods_to_json(methods: Sequence[AuthenticationMethod]) -> list[dict[str, Any]]:
    out = []
    for m in methods:
        item: dict[str, Any] = {
            "method": m.method,
            "aal": m.aal,
            "completed_at": m.completed_at.isoformat(),
        }
        if m.provider:
            item["provider"] = m.provider
        if m.organization:
            item["organization"] = m.organization
        out.append(item)
    return out


def _session_from(row: RowMapping, prefix: str = "") -> Session:
    def col(name: str) -> Any:
        return row[f"{prefix}{name}"]

    return Session(
        id=col("id"),
        identity_id=col("identity_id"),
        issued_at=col("issued_at"),
        expires_at=col("expires_at"),
        authenticated_at=col("authenticated_at"),
        active=bool(col("active")),
        aal=col("aal"),
        authentication_methods=_methods_from_json(col("authentication_methods")),
        created_at=col("created_at"),
        updated_at=col("updated_at"),
    )


def _identity_from_prefixed(row: RowMapping) -> Identity:
    plain = {c.name: row[f"i_{c.name}"] for c in identities.c}
    return identity_from_row(plain)


class SQLSessionStore:
    def __init__(self, db: Database, *, notifier: ChangeNotifier | None = None) -> None:
        self.db = db
        self.notifier = notifier
        self._lookup = token_lookup(db)

    def close(self) -> None:
        """Release the fast lookup's own connection (SQLite)."""
        if self._lookup is not None:
            self._lookup.close()

    async def _run(self, changed: Changed, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Every write transaction of this store: :func:`notifying_run`, so a transaction
        the database aborts for a conflict runs again (each ``work`` is re-runnable: it
        only writes through ``conn``)."""
        return await notifying_run(self.db, self.notifier, changed, work, operation="session_write")

    # -- writes -------------------------------------------------------------------------
    async def create(self, session: Session, token_digest: str, logout_digest: str) -> None:
        now = utcnow()

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(
                insert(sessions).values(
                    id=session.id,
                    identity_id=session.identity_id,
                    token=token_digest,
                    logout_token=logout_digest,
                    issued_at=session.issued_at,
                    expires_at=session.expires_at,
                    authenticated_at=session.authenticated_at,
                    active=session.active,
                    aal=session.aal,
                    authentication_methods=_methods_to_json(session.authentication_methods),
                    created_at=session.created_at,
                    updated_at=session.updated_at,
                )
            )
            if session.devices:
                await conn.execute(
                    insert(session_devices),
                    [
                        {
                            "id": d.id,
                            "session_id": session.id,
                            "identity_id": session.identity_id,
                            "ip_address": (d.ip_address or "")[:50],
                            "user_agent": (d.user_agent or "")[:512],
                            "location": (d.location or "")[:512],
                            "created_at": now,
                            "updated_at": now,
                        }
                        for d in session.devices
                    ],
                )

        await self._run(session.identity_id, work)

    async def update(self, session: Session) -> None:
        async def work(conn: AsyncConnection) -> None:
            await conn.execute(
                update(sessions)
                .where(sessions.c.id == session.id)
                .values(
                    expires_at=session.expires_at,
                    authenticated_at=session.authenticated_at,
                    active=session.active,
                    aal=session.aal,
                    authentication_methods=_methods_to_json(session.authentication_methods),
                    updated_at=utcnow(),
                )
            )

        await self._run(session.identity_id, work)

    async def revoke(self, session_id: uuid.UUID) -> bool:
        changed: list[uuid.UUID] = []

        async def work(conn: AsyncConnection) -> bool:
            found = await conn.scalar(
                select(sessions.c.identity_id).where(sessions.c.id == session_id)
            )
            if found is None:
                return False
            changed.append(found)
            await conn.execute(
                update(sessions)
                .where(sessions.c.id == session_id)
                .values(active=False, updated_at=utcnow())
            )
            return True

        return await self._run(changed, work)

    async def revoke_others(self, identity_id: uuid.UUID, keep: uuid.UUID | None) -> int:
        condition = and_(sessions.c.identity_id == identity_id, sessions.c.active.is_(True))
        if keep is not None:
            condition = and_(condition, sessions.c.id != keep)

        async def work(conn: AsyncConnection) -> int:
            result = await conn.execute(
                update(sessions).where(condition).values(active=False, updated_at=utcnow())
            )
            return int(result.rowcount or 0)

        return await self._run(identity_id, work)

    async def revoke_by_token(self, token_digest: str) -> bool:
        changed: list[uuid.UUID] = []

        async def work(conn: AsyncConnection) -> bool:
            found = (
                await conn.execute(
                    select(sessions.c.id, sessions.c.identity_id).where(
                        sessions.c.token == token_digest
                    )
                )
            ).first()
            if found is None:
                return False
            changed.append(found.identity_id)
            await conn.execute(
                update(sessions)
                .where(sessions.c.id == found.id)
                .values(active=False, updated_at=utcnow())
            )
            return True

        return await self._run(changed, work)

    async def delete_for_identity(self, identity_id: uuid.UUID) -> int:
        async def work(conn: AsyncConnection) -> int:
            result = await conn.execute(
                delete(sessions).where(sessions.c.identity_id == identity_id)
            )
            return int(result.rowcount or 0)

        return await self._run(identity_id, work)

    # -- reads --------------------------------------------------------------------------
    async def get_by_token(self, token_digest: str) -> Session | None:
        found = await self.find_by_token(token_digest)
        return None if found is None else found.load()

    async def find_by_token(self, token_digest: str) -> StoredSession | None:
        if self._lookup is not None:
            try:
                row = await self._lookup.row_by_token(token_digest)
            except NotAvailableError:
                pass
            else:
                if row is None:
                    return None
                return StoredSession(row, partial(self._lookup.session, row))
        session = await self._one_with_identity(sessions.c.token == token_digest)
        return None if session is None else StoredSession(None, lambda: session)

    async def get_by_logout_token(self, logout_digest: str) -> Session | None:
        return await self._one_with_identity(sessions.c.logout_token == logout_digest)

    async def get(self, session_id: uuid.UUID, *, with_identity: bool = True) -> Session | None:
        if with_identity:
            return await self._one_with_identity(sessions.c.id == session_id)
        async with self.db.transaction(readonly=True) as conn:
            row = (
                (await conn.execute(select(sessions).where(sessions.c.id == session_id)))
                .mappings()
                .first()
            )
            if row is None:
                return None
            session = _session_from(row)
            await self._attach_devices(conn, [session])
            return session

    async def _one_with_identity(self, condition: Any) -> Session | None:
        query = (
            select(*_SESSION_COLUMNS, *_IDENTITY_COLUMNS)
            .select_from(sessions.join(identities, identities.c.id == sessions.c.identity_id))
            .where(condition)
        )
        async with self.db.transaction(readonly=True) as conn:
            row = (await conn.execute(query)).mappings().first()
            if row is None:
                return None
            session = _session_from(row, "s_")
            identity = _identity_from_prefixed(row)
            session.identity = identity
            await hydrate_identities(conn, [identity], with_credentials=False)
            await self._attach_devices(conn, [session])
            return session

    async def _attach_devices(self, conn: AsyncConnection, items: Sequence[Session]) -> None:
        by_id = {s.id: s for s in items}
        if not by_id:
            return
        for row in (
            await conn.execute(
                select(session_devices)
                .where(session_devices.c.session_id.in_(list(by_id)))
                .order_by(session_devices.c.created_at, session_devices.c.id)
            )
        ).mappings():
            by_id[row["session_id"]].devices.append(
                Device(
                    id=row["id"],
                    ip_address=row["ip_address"] or None,
                    user_agent=row["user_agent"] or None,
                    location=row["location"],
                )
            )

    async def _page(
        self,
        condition: Any,
        *,
        page_size: int,
        page_token: str | None,
        with_identity: bool,
    ) -> SessionPage:
        """Keyset pagination ordered by ``created_at DESC, id DESC``; token = ``<iso>|<id>``."""
        from datetime import datetime

        query = select(sessions).where(condition)
        if page_token:
            try:
                created_raw, _, id_raw = page_token.partition("|")
                created = datetime.fromisoformat(created_raw)
                last_id = uuid.UUID(id_raw)
            except ValueError:
                raise InvalidPageTokenError("The page token is invalid.") from None
            query = query.where(
                or_(
                    sessions.c.created_at < created,
                    and_(sessions.c.created_at == created, sessions.c.id < last_id),
                )
            )
        query = query.order_by(sessions.c.created_at.desc(), sessions.c.id.desc()).limit(
            page_size + 1
        )
        async with self.db.transaction(readonly=True) as conn:
            rows = (await conn.execute(query)).mappings().all()
            items = [_session_from(r) for r in rows[:page_size]]
            await self._attach_devices(conn, items)
            if with_identity and items:
                identity_ids = list({s.identity_id for s in items})
                found = {
                    row["id"]: identity_from_row(row)
                    for row in (
                        await conn.execute(
                            select(identities).where(identities.c.id.in_(identity_ids))
                        )
                    ).mappings()
                }
                await hydrate_identities(conn, found.values(), with_credentials=False)
                for s in items:
                    s.identity = found.get(s.identity_id)
        next_token = None
        if len(rows) > page_size and items:
            last = items[-1]
            next_token = f"{last.created_at.isoformat()}|{last.id}"
        return SessionPage(sessions=items, next_token=next_token)

    @staticmethod
    def _active_condition(active: bool | None) -> Any:
        now = utcnow()
        if active is None:
            return None
        if active:
            return and_(sessions.c.active.is_(True), sessions.c.expires_at > now)
        return or_(sessions.c.active.is_(False), sessions.c.expires_at <= now)

    async def list_for_identity(
        self,
        identity_id: uuid.UUID,
        *,
        active: bool | None = None,
        exclude: uuid.UUID | None = None,
        page_size: int = 250,
        page_token: str | None = None,
    ) -> SessionPage:
        condition: Any = sessions.c.identity_id == identity_id
        state = self._active_condition(active)
        if state is not None:
            condition = and_(condition, state)
        if exclude is not None:
            condition = and_(condition, sessions.c.id != exclude)
        return await self._page(
            condition, page_size=page_size, page_token=page_token, with_identity=False
        )

    async def page_for_identity(
        self,
        identity_id: uuid.UUID,
        *,
        active: bool | None = None,
        exclude: uuid.UUID | None = None,
        offset: int = 0,
        limit: int = 250,
    ) -> tuple[list[Session], int]:
        condition: Any = sessions.c.identity_id == identity_id
        state = self._active_condition(active)
        if state is not None:
            condition = and_(condition, state)
        if exclude is not None:
            condition = and_(condition, sessions.c.id != exclude)
        query = (
            select(sessions)
            .where(condition)
            .order_by(sessions.c.created_at.desc(), sessions.c.id.desc())
            .offset(max(offset, 0))
            .limit(limit)
        )
        async with self.db.transaction(readonly=True) as conn:
            total = int(
                await conn.scalar(select(func.count()).select_from(sessions).where(condition)) or 0
            )
            items = [_session_from(r) for r in (await conn.execute(query)).mappings().all()]
            await self._attach_devices(conn, items)
        return items, total

    async def list_all(
        self,
        *,
        active: bool | None = None,
        page_size: int = 250,
        page_token: str | None = None,
        with_identity: bool = False,
    ) -> SessionPage:
        state = self._active_condition(active)
        condition = state if state is not None else sessions.c.id.is_not(None)
        return await self._page(
            condition, page_size=page_size, page_token=page_token, with_identity=with_identity
        )

    async def count_active(self) -> int:
        async with self.db.transaction(readonly=True) as conn:
            return int(
                await conn.scalar(
                    select(func.count()).select_from(sessions).where(sessions.c.active.is_(True))
                )
                or 0
            )
