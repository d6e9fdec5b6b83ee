"""Logout (Kratos ``selfservice/flow/logout``): logout URL for browsers, token revocation.

Browser errors go through the error manager (JSON clients get the envelope, browsers the
error UI), as Kratos's logout handler forwards every failure.
"""

from __future__ import annotations

import hmac
from typing import Any

from phalanx.errors import BadRequestError, ForbiddenError, KratosError, SessionInactiveError
from phalanx.selfservice.flow.environment import FlowEnvironment
from phalanx.selfservice.request import FlowRequest, Outcome, with_query

__all__ = ["LogoutService"]

_TOKEN_UNKNOWN = (
    "The provided Ory Session Token could not be found, is invalid, or otherwise malformed."
)


class LogoutService:
    """``/self-service/logout/browser``, ``/self-service/logout`` and ``.../logout/api``."""

    def __init__(self, env: FlowEnvironment) -> None:
        self.env = env

    def _return_to(self, return_to: str | None) -> str:
        """``SecureRedirectTo`` with the logout default return URL."""
        return self.env.secure_return_to(return_to, "logout")

    async def create_browser(self, req: FlowRequest) -> Outcome:
        """``GET /self-service/logout/browser`` → ``{logout_url, logout_token}``."""
        try:
            session = await self.env.sessions.from_request(req)
            if session is None:
                raise SessionInactiveError(extra={"CredentialsMissing": self._no_credentials(req)})
            return_to = None
            if req.query.get("return_to"):
                return_to = self._return_to(req.query.get("return_to"))
        except KratosError as error:
            return await self.env.forward_error(req, error)
        token = await self.env.sessions.new_logout_token(session)
        url = with_query(self.env.self_service_url("logout"), token=token, return_to=return_to)
        return Outcome.json({"logout_url": url, "logout_token": token})

    def _no_credentials(self, req: FlowRequest) -> bool:
        token, _ = self.env.sessions.extract_token(req)
        return token is None

    async def logout_browser(self, req: FlowRequest) -> Outcome:
        """``GET /self-service/logout?token=…``: revoke, clear the cookie, 303 or 204."""
        try:
            token = req.query.get("token")
            if not token:
                raise BadRequestError("Please include a token in the URL query.")
            session = await self.env.sessions.from_request(req)
            if session is None:
                raise SessionInactiveError(extra={"CredentialsMissing": self._no_credentials(req)})
            expected = self.env.sessions.logout_token_for(session)
            if not hmac.compare_digest(expected.encode(), token.encode()):
                raise ForbiddenError(
                    "Unable to log out because the logout token in the URL query does not match "
                    "the session cookie."
                )
            # PurgeFromRequest: a bearer token revokes its own session and leaves cookies alone.
            bearer = self._bearer(req)
            clear_cookie = False
            if bearer is not None:
                await self.env.sessions.revoke_by_token(bearer)
            else:
                await self.env.sessions.revoke(session.id)
                clear_cookie = self.env.sessions.cookie_name in req.cookies
            target = self._return_to(req.query.get("return_to"))
        except KratosError as error:
            return await self.env.forward_error(req, error)
        outcome = Outcome(status=204) if req.is_json else Outcome.redirect(target)
        outcome.clear_session = clear_cookie
        outcome.rotate_csrf = True
        return outcome

    @staticmethod
    def _bearer(req: FlowRequest) -> str | None:
        parts = req.headers.get("authorization", "").split(" ")
        if len(parts) == 2 and parts[0].lower() == "bearer" and parts[1]:
            return parts[1]
        return None

    async def logout_api(self, req: FlowRequest) -> Outcome:
        """``DELETE /self-service/logout/api`` with ``{"session_token": …}`` → 204."""
        token: Any = req.body.get("session_token")
        if not isinstance(token, str) or not token:
            raise ForbiddenError(_TOKEN_UNKNOWN)
        if not await self.env.sessions.revoke_by_token(token):
            raise ForbiddenError(_TOKEN_UNKNOWN)
        return Outcome(status=204)
