"""The session persistence port."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Protocol

from phalanx.session.model import Session

__all__ = ["InvalidPageTokenError", "SessionPage", "SessionStore", "StoredSession"]


class InvalidPageTokenError(ValueError):
    """A ``page_token`` this store did not hand out (the API answers 400)."""


@dataclass(slots=True)
class SessionPage:
    sessions: list[Session]
    next_token: str | None = None


@dataclass(frozen=True, slots=True)
class StoredSession:
    """A session as read for a token, before it is decoded: ``load()`` gives it (decoded
    on the call); ``state`` is a hashable value that is equal exactly when the
    stored session, identity, addresses and devices are (None where the store cannot
    tell), so a caller may keep what it derived from one read for the next equal one."""

    state: Hashable | None
    load: Callable[[], Session]


class SessionStore(Protocol):
    """Sessions keyed by id; tokens are looked up by their digest only."""

    async def create(self, session: Session, token_digest: str, logout_digest: str) -> None: ...

    async def get(self, session_id: uuid.UUID, *, with_identity: bool = True) -> Session | None: ...

    async def get_by_token(self, token_digest: str) -> Session | None:
        """The session (with its identity and addresses) for a session-token digest."""
        ...

    async def find_by_token(self, token_digest: str) -> StoredSession | None:
        """:meth:`get_by_token` as read, not yet decoded (what whoami reads)."""
        ...

    async def get_by_logout_token(self, logout_digest: str) -> Session | None: ...

    async def update(self, session: Session) -> None: ...

    async def revoke(self, session_id: uuid.UUID) -> bool: ...

    async def revoke_others(self, identity_id: uuid.UUID, keep: uuid.UUID | None) -> int: ...

    async def revoke_by_token(self, token_digest: str) -> bool:
        """Deactivate the session with this token digest; False if there is none."""
        ...

    async def delete_for_identity(self, identity_id: uuid.UUID) -> int: ...

    async def list_for_identity(
        self,
        identity_id: uuid.UUID,
        *,
        active: bool | None = None,
        exclude: uuid.UUID | None = None,
        page_size: int = 250,
        page_token: str | None = None,
    ) -> SessionPage: ...

    async def page_for_identity(
        self,
        identity_id: uuid.UUID,
        *,
        active: bool | None = None,
        exclude: uuid.UUID | None = None,
        offset: int = 0,
        limit: int = 250,
    ) -> tuple[list[Session], int]:
        """One offset page (newest first, devices loaded, no identity) and the total count,
        for Kratos's page-token pagination of ``/sessions`` and the admin identity list."""
        ...

    def close(self) -> None:
        """Release what the store holds besides the database pool (called once, last)."""
        ...

    async def list_all(
        self,
        *,
        active: bool | None = None,
        page_size: int = 250,
        page_token: str | None = None,
        with_identity: bool = False,
    ) -> SessionPage: ...
