"""Logout (Kratos ``selfservice/flow/logout``): logout URL for browsers, token revocation."""

from __future__ import annotations

from typing import Any

from phalanx.errors import BadRequestError, ForbiddenError, SessionInactiveError
from phalanx.selfservice.flow.base import FlowKind
from phalanx.selfservice.flow.environment import FlowEnvironment
from phalanx.selfservice.request import FlowRequest, Outcome, with_query

__all__ = ["LogoutService"]


class LogoutService:
    def __init__(self, env: FlowEnvironment) -> None:
        self.env = env

    def _default_return(self) -> str:
        return self.env.default_return_url("logout")

    async def create_browser(self, req: FlowRequest) -> Outcome:
        """``GET /self-service/logout/browser`` → ``{logout_url, logout_token}``."""
        return_to = req.query.get("return_to")
        if return_to:
            self.env.secure_return_to(return_to, "logout")
        session = await self.env.sessions.from_request(req)
        if session is None:
            raise SessionInactiveError(extra={"CredentialsMissing": True})
        # A new logout token is issued for this URL; the store keeps only its digest.
        token = await self.env.sessions.new_logout_token(session)
        url = with_query(self.env.self_service_url("logout"), token=token, return_to=return_to)
        return Outcome.json({"logout_url": url, "logout_token": token})

    async def logout_browser(self, req: FlowRequest) -> Outcome:
        """``GET /self-service/logout?token=…``: revoke, clear the cookie, 303 or 204."""
        token = req.query.get("token")
        return_to = req.query.get("return_to")
        target = self.env.secure_return_to(return_to, "logout")
        if not token:
            raise BadRequestError("Please include a token in the URL query.")
        session = await self.env.sessions.from_request(req)
        if session is None:
            raise SessionInactiveError()
        owner = await self.env.sessions.by_logout_token(token)
        if owner is None or owner.id != session.id:
            raise ForbiddenError(
                "Unable to log out because the logout token in the URL query does not match the "
                "session cookie."
            )
        await self.env.sessions.revoke(session.id)
        outcome = (
            Outcome(status=204) if req.accepts_json or req.is_json else Outcome.redirect(target)
        )
        outcome.clear_session = True
        outcome.rotate_csrf = True
        return outcome

    async def logout_api(self, req: FlowRequest) -> Outcome:
        """``DELETE /self-service/logout/api`` with ``{"session_token": …}`` → 204."""
        token: Any = req.body.get("session_token")
        if not isinstance(token, str) or not token:
            raise BadRequestError("The session_token is missing or malformed.")
        from phalanx.session.tokens import digest

        session = await self.env.sessions.store.get_by_token(digest(token))
        if session is None or not session.active:
            raise ForbiddenError(
                "The provided Ory Session Token could not be found, is invalid, or otherwise "
                "malformed."
            )
        await self.env.sessions.revoke(session.id)
        return Outcome(status=204)

    @staticmethod
    def kind() -> FlowKind | str:
        return "logout"
