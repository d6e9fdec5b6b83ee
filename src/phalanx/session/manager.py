"""Issue, find, refresh and revoke sessions (Kratos ``session.Manager``).

Framework-free: token extraction works on a :class:`FlowRequest`; cookies are set by
the HTTP adapter from the Outcome.
"""

from __future__ import annotations

import hashlib
import hmac
import string
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from phalanx.audit import AuditLog, EventType
from phalanx.clock import utcnow
from phalanx.identity.model import Identity
from phalanx.selfservice.request import FlowRequest
from phalanx.session.cookie import read_session_cookie
from phalanx.session.idle import IdleTimeout
from phalanx.session.model import AuthenticationMethod, Device, Session, compute_aal
from phalanx.session.store import SessionStore
from phalanx.session.tokens import LOGOUT_PREFIX, digest, new_session_token

__all__ = ["CurrentSessionError", "PresentedToken", "SessionManager", "TokenSource"]


class CurrentSessionError(ValueError):
    """The session asked to revoke one of its other sessions named itself."""


class TokenSource:
    HEADER = "header"
    COOKIE = "cookie"
    BEARER = "bearer"


@dataclass(frozen=True, slots=True)
class PresentedToken:
    """The session token a request carries, where it came from, and for a cookie the session
    expiry (unix seconds) the cookie was issued for (``None``: unknown)."""

    token: str
    source: str
    cookie_expiry: float | None = None


class SessionManager:
    def __init__(
        self,
        store: SessionStore,
        *,
        lifespan: timedelta,
        earliest_possible_extend: timedelta | None,
        cookie_name: str,
        cookie_keys: Sequence[str],
        idle: IdleTimeout | None = None,
        audit: AuditLog | None = None,
    ) -> None:
        self.store = store
        #: Records ``session.issued`` / ``extended`` / ``revoked`` (None: not recorded).
        self.audit = audit
        #: ``phalanx.session.idle_timeout`` (None: off).
        self.idle = idle
        self.lifespan = lifespan
        self.earliest_possible_extend = earliest_possible_extend or lifespan
        self.cookie_name = cookie_name
        self.cookie_keys = list(cookie_keys)

    # -- tokens -----------------------------------------------------------------------
    def extract_token(self, req: FlowRequest) -> tuple[str | None, str | None]:
        """The session token and where it came from (see :meth:`presented_token`)."""
        found = self.presented_token(req.headers, req.cookies)
        return (found.token, found.source) if found is not None else (None, None)

    def presented_token(
        self, headers: Mapping[str, str], cookies: Mapping[str, str]
    ) -> PresentedToken | None:
        """The session token in Kratos's order: ``X-Session-Token``, then the session
        cookie, then ``Authorization: Bearer``. ``headers`` must answer lower-case names."""
        header = headers.get("x-session-token")
        if header:
            return PresentedToken(header.strip(), TokenSource.HEADER)
        cookie = cookies.get(self.cookie_name)
        if cookie:
            found = read_session_cookie(cookie, self.cookie_keys)
            if found:
                return PresentedToken(found[0], TokenSource.COOKIE, found[1])
        auth = headers.get("authorization", "")
        parts = auth.split(" ")
        if len(parts) == 2 and parts[0].lower() == "bearer" and parts[1]:
            return PresentedToken(parts[1], TokenSource.BEARER)
        return None

    async def from_request(self, req: FlowRequest) -> Session | None:
        """The active session of the request (identity loaded), or None."""
        if req.session is not None:
            return req.session
        token, source = self.extract_token(req)
        if not token:
            return None
        key = digest(token)
        session = await self.store.get_by_token(key)
        if session is None or not session.is_active():
            return None
        if self.idle is not None:
            self.idle.known_use(key, session.authenticated_at)
        if self.idle is not None and not await self.idle.alive(key):
            return None
        session.token = token
        req.session = session
        req.session_token = token
        req.session_from_cookie = source == TokenSource.COOKIE
        return session

    # -- lifecycle ----------------------------------------------------------------------
    def new_session(
        self,
        identity: Identity,
        method: AuthenticationMethod,
        req: FlowRequest | None,
        *,
        now: datetime | None = None,
    ) -> Session:
        moment = now or utcnow()
        method.completed_at = moment
        session = Session(
            identity_id=identity.id,
            identity=identity,
            issued_at=moment,
            authenticated_at=moment,
            expires_at=moment + self.lifespan,
            authentication_methods=[method],
            token=new_session_token(),
            created_at=moment,
            updated_at=moment,
        )
        session.logout_token = self.logout_token_for(session)
        session.aal = compute_aal(session.authentication_methods)
        if req is not None:
            session.devices.append(
                Device(
                    ip_address=req.client_ip,
                    user_agent=req.user_agent,
                    location=_location(req),
                )
            )
        return session

    async def persist(self, session: Session) -> Session:
        assert session.token and session.logout_token, "only fresh sessions are persisted"
        key = digest(session.token)
        await self.store.create(session, key, digest(session.logout_token))
        if self.idle is not None:
            self.idle.used_now(key)
        await self._record(EventType.SESSION_ISSUED, session)
        return session

    async def issue(
        self, identity: Identity, method: AuthenticationMethod, req: FlowRequest | None
    ) -> Session:
        """A new, persisted session with fresh random tokens (never reuses a token)."""
        return await self.persist(self.new_session(identity, method, req))

    def refresh_authentication(self, session: Session, method: AuthenticationMethod) -> Session:
        """``refresh=true`` login (Kratos re-activates the same session): the method is
        appended and ``issued_at``, ``authenticated_at`` and ``expires_at`` start afresh.
        The token stays the same; devices are not re-recorded. Not stored: see :meth:`save`."""
        moment = utcnow()
        method.completed_at = moment
        session.issued_at = moment
        session.authenticated_at = moment
        session.expires_at = moment + self.lifespan
        session.authentication_methods.append(method)
        session.aal = compute_aal(session.authentication_methods)
        session.updated_at = moment
        return session

    async def reauthenticate(self, session: Session, method: AuthenticationMethod) -> Session:
        """:meth:`refresh_authentication` and store it."""
        await self.save(self.refresh_authentication(session, method))
        return session

    async def add_authentication_method(
        self, session: Session, method: AuthenticationMethod
    ) -> Session:
        """Kratos ``SessionAddAuthenticationMethods``: a factor proven outside login (in
        settings) joins the session; its AAL is recomputed, nothing else changes."""
        method.completed_at = utcnow()
        session.authentication_methods.append(method)
        session.aal = compute_aal(session.authentication_methods)
        session.updated_at = method.completed_at
        await self.store.update(session)
        return session

    async def save(self, session: Session) -> None:
        """Store changes of an existing session."""
        await self.store.update(session)

    def can_extend(self, session: Session, now: datetime | None = None) -> bool:
        moment = now or utcnow()
        return session.expires_at - self.earliest_possible_extend < moment

    async def extend(self, session: Session) -> Session:
        moment = utcnow()
        if self.can_extend(session, moment):
            session.expires_at = moment + self.lifespan
            session.updated_at = moment
            await self.store.update(session)
            await self._record(EventType.SESSION_EXTENDED, session)
        return session

    async def revoke(self, session_id: uuid.UUID) -> bool:
        found = await self.store.get(session_id, with_identity=False) if self.audit else None
        revoked = await self.store.revoke(session_id)
        if revoked and found is not None:
            await self._record(EventType.SESSION_REVOKED, found)
        return revoked

    async def revoke_others(self, identity_id: uuid.UUID, keep: uuid.UUID | None) -> int:
        count = await self.store.revoke_others(identity_id, keep)
        if count and self.audit is not None:
            await self.audit.record(
                EventType.SESSION_REVOKED,
                identity_id=identity_id,
                details={"sessions": count, "kept": str(keep) if keep else None},
            )
        return count

    async def revoke_own(self, current: Session, target: uuid.UUID) -> bool:
        """Revoke one of ``current``'s identity's *other* sessions (Kratos ``DELETE
        /sessions/{id}``, the UI's revoke button). Naming ``current`` itself raises
        :class:`CurrentSessionError`; a session of another identity, or none, is left
        alone and answers False, exactly like a successful revocation to the caller's
        client (no enumeration of other people's session ids)."""
        if target == current.id:
            raise CurrentSessionError("cannot revoke current session")
        other = await self.store.get(target, with_identity=False)
        if other is None or other.identity_id != current.identity_id:
            return False
        return await self.revoke(target)

    async def revoke_by_token(self, token: str) -> bool:
        """Deactivate the session of a session token; False if no session has it."""
        key = digest(token)
        found = await self.store.get_by_token(key) if self.audit else None
        revoked = await self.store.revoke_by_token(key)
        if revoked and found is not None:
            await self._record(EventType.SESSION_REVOKED, found)
        return revoked

    async def delete_for_identity(self, identity_id: uuid.UUID) -> int:
        """Delete every session of an identity (admin); how many there were."""
        count = await self.store.delete_for_identity(identity_id)
        if count and self.audit is not None:
            await self.audit.record(
                EventType.SESSION_REVOKED,
                identity_id=identity_id,
                details={"sessions": count, "deleted": True},
            )
        return count

    async def _record(self, type: str, session: Session) -> None:
        if self.audit is None:
            return
        await self.audit.record(
            type,
            identity_id=session.identity_id,
            session_id=session.id,
            details={
                "aal": str(session.aal),
                "methods": [m.method for m in session.authentication_methods],
                "expires_at": session.expires_at.isoformat(),
            },
        )

    async def by_token(self, token: str) -> Session | None:
        """The session of a session token, active or not (native logout)."""
        return await self.store.get_by_token(digest(token))

    async def by_logout_token(self, token: str) -> Session | None:
        return await self.store.get_by_logout_token(digest(token))

    def cookie_expiry(self, req: FlowRequest) -> float | None:
        """The session expiry (unix seconds) the request's session cookie was issued for;
        None without a (valid) cookie."""
        cookie = req.cookies.get(self.cookie_name)
        found = read_session_cookie(cookie, self.cookie_keys) if cookie else None
        return found[1] if found else None

    def logout_token_for(self, session: Session) -> str:
        """The session's logout token, derived with the cookie secret (stable per session,
        never stored in plaintext)."""
        mac = hmac.new(
            self.cookie_keys[0].encode(), b"logout|" + session.id.bytes, hashlib.sha256
        ).digest()
        return LOGOUT_PREFIX + _base62(mac)[:32]

    async def new_logout_token(self, session: Session) -> str:
        return self.logout_token_for(session)


def _location(req: FlowRequest) -> str:
    city = req.headers.get("cf-ipcity", "")
    country = req.headers.get("cf-ipcountry", "")
    return ", ".join(p for p in (city, country) if p)


_B62 = string.digits + string.ascii_letters


def _base62(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, rem = divmod(number, 62)
        out.append(_B62[rem])
    return "".join(reversed(out)) or "0"
