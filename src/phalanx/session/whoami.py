"""``/sessions/whoami`` without HTTP: a session token in, the rendered answer out.

Kratos's ``whoami`` handler loads the session and its identity on every request. Phalanx
does the same through :meth:`SessionStore.get_by_token
<phalanx.session.store.SessionStore.get_by_token>` (one statement, see
:mod:`phalanx.persistence.sql.session_lookup`) and, when configured
(``phalanx.session_cache``), keeps the rendered answer in a :class:`WhoamiCache` that every
revocation and every session or identity write invalidates across worker processes.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import orjson

from phalanx.errors import error_envelope
from phalanx.session.aal import AalGuard
from phalanx.session.cache import WhoamiAnswer, WhoamiCache
from phalanx.session.idle import IdleTimeout
from phalanx.session.model import AAL, Session
from phalanx.session.store import SessionStore
from phalanx.session.tokens import digest

__all__ = ["NO_SESSION", "RenderedRows", "Whoami"]

#: The 401 message of whoami (herodot ``ErrUnauthorized``) when no active session is found.
NO_SESSION = "No valid session credentials found in the request."


class Whoami:
    """The answer for a session token: only for an active session (not revoked, not expired,
    identity active), else None (401). A session below ``session.whoami.required_aal``
    gets the 403 ``session_aal2_required`` answer (cached like a 200: every identity or
    session write invalidates it)."""

    def __init__(
        self,
        store: SessionStore,
        render: Callable[[Session], bytes],
        cache: WhoamiCache | None = None,
        *,
        aal: AalGuard,
        required_aal: str,
        idle: IdleTimeout | None = None,
    ) -> None:
        self.store = store
        #: ``phalanx.session.idle_timeout`` (None: off): checked on cached answers too.
        self.idle = idle
        self.render = render
        self.cache = cache
        self.aal = aal
        self.required_aal = required_aal
        #: Answers by stored row: a row read again is not decoded and rendered again.
        self.rendered = RenderedRows()

    async def answer(self, token: str, required_aal: str | None = None) -> WhoamiAnswer | None:
        """``required_aal`` (``aal1`` or ``highest_available``) replaces the configured
        level for this answer (embedders' :meth:`Phalanx.current_session
        <phalanx.embed.Phalanx.current_session>`); its answers are cached apart."""
        key = digest(token)
        found = await self._answer(key, token, required_aal)
        if found is not None and self.idle is not None and not await self.idle.alive(key):
            return None
        return found

    async def _answer(self, key: str, token: str, required_aal: str | None) -> WhoamiAnswer | None:
        level = required_aal or self.required_aal
        slot = key if level == self.required_aal else f"{level}:{key}"
        cache = self.cache
        if cache is None:
            return await self._load(key, token, level)
        found = cache.get(slot)
        if found is not None:
            return found
        before = cache.snapshot()
        found = await self._load(key, token, level)
        if found is not None:
            cache.put(slot, found, before)
        return found

    async def _load(self, key: str, token: str, level: str) -> WhoamiAnswer | None:
        stored = await self.store.find_by_token(key)
        if stored is None:
            return None
        seen = self.rendered.get(stored.state)
        if seen is not None:
            session, answer = seen
        else:
            session, answer = stored.load(), None
            session.token = token
        if not session.is_active():
            return None
        if self.idle is not None:
            self.idle.known_use(key, session.authenticated_at)
        if session.aal != AAL.AAL2:
            # Kratos passes UpsertAAL here: a stale available_aal column is corrected.
            shortfall = await self.aal.check(session, level, upsert=True)
            if shortfall is not None:
                body = orjson.dumps(error_envelope(shortfall))
                return WhoamiAnswer(body, session.identity_id, session.expires_at, forbidden=True)
        if answer is None:
            answer = WhoamiAnswer(self.render(session), session.identity_id, session.expires_at)
            self.rendered.put(stored.state, session, answer)
        return answer


class RenderedRows:
    """What whoami rendered from a stored state (:attr:`StoredSession.state
    <phalanx.session.store.StoredSession.state>`: the row of one statement), so that the
    same row read again is not decoded and rendered again. Not a cache of the database:
    every answer still comes from a read of the current row, and a row that differs in
    any column (a revoke, a new address, an extended expiry, changed traits) is a
    different key. What each request decides from the time (expiry, idle timeout) or from
    other tables (the AAL check) is decided again on every request. Bounded: the oldest
    half goes when full."""

    def __init__(self, max_entries: int = 2048) -> None:
        self.max_entries = max(2, max_entries)
        self._entries: dict[Hashable, tuple[Session, WhoamiAnswer]] = {}

    def get(self, state: Hashable | None) -> tuple[Session, WhoamiAnswer] | None:
        return None if state is None else self._entries.get(state)

    def put(self, state: Hashable | None, session: Session, answer: WhoamiAnswer) -> None:
        if state is None:
            return
        if len(self._entries) >= self.max_entries:
            for old in list(self._entries)[: self.max_entries // 2]:
                del self._entries[old]
        self._entries[state] = (session, answer)
