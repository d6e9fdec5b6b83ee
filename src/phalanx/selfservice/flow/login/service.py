"""The login flow's steps: create, fetch, submit (Kratos ``selfservice/flow/login``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from phalanx import text
from phalanx.clock import utcnow
from phalanx.errors import (
    AAL1RequiredError,
    BadRequestError,
    GoneError,
    IdentityDisabledError,
    IdentityMismatchError,
    KratosError,
    NotFoundError,
    SessionAlreadyAvailableError,
)
from phalanx.selfservice.flow.base import FlowKind, FlowType
from phalanx.selfservice.flow.environment import FlowEnvironment
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.handling import (
    expired_kind_reason,
    expired_outcome,
    handle_submit_error,
)
from phalanx.selfservice.flow.login.flow import LoginFlow
from phalanx.selfservice.flow.login.hooks import LoginHooks
from phalanx.selfservice.flow.login.strategy import LoginStrategy
from phalanx.selfservice.flow.store import FlowStore
from phalanx.selfservice.request import FlowRequest, Outcome, with_query
from phalanx.session.model import Session
from phalanx.session.wire import SessionRenderer
from phalanx.ui import UiContainer, csrf_node

__all__ = ["LoginService", "parse_flow_id"]


def parse_flow_id(value: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        raise BadRequestError("The flow query parameter is missing or malformed.") from None


class LoginService:
    def __init__(
        self,
        env: FlowEnvironment,
        store: FlowStore[LoginFlow],
        strategies: Sequence[LoginStrategy],
        hooks: LoginHooks,
        render: SessionRenderer,
        lifespan: timedelta,
    ) -> None:
        self.env = env
        self.store = store
        self.strategies = list(strategies)
        self.hooks = hooks
        self.render = render
        self.lifespan = lifespan

    # -- create -------------------------------------------------------------------------
    async def new_flow(
        self,
        req: FlowRequest,
        flow_type: FlowType,
        *,
        refresh: bool = False,
        aal: str = "aal1",
        session: Session | None = None,
    ) -> tuple[LoginFlow, str | None]:
        now = utcnow()
        flow_id = uuid.uuid4()
        flow = LoginFlow(
            id=flow_id,
            type=flow_type,
            request_url=req.url,
            issued_at=now,
            expires_at=now + self.lifespan,
            created_at=now,
            updated_at=now,
            refresh=refresh,
            requested_aal=aal,
            ui=UiContainer(action=self.env.action_url(FlowKind.LOGIN, flow_id), method="POST"),
        )
        new_cookie = None
        if flow_type == FlowType.BROWSER:
            masked, new_cookie = self.env.csrf_for_new_flow(req)
            flow.csrf_token = masked
            flow.ui.nodes.append(csrf_node(masked))
        for strategy in self.strategies:
            strategy.populate(flow, session if refresh else None)
        if refresh and session is not None:
            flow.ui.add_message(text.login_reauth())
        flow.ui.sort("login")
        return flow, new_cookie

    async def create(self, req: FlowRequest, flow_type: FlowType) -> Outcome:
        refresh = req.query.get("refresh", "").lower() == "true"
        aal = req.query.get("aal") or "aal1"
        if aal not in ("aal1", "aal2", "aal3"):
            raise BadRequestError(
                f"Unable to parse AuthenticationMethod Assurance Level (AAL): expected one of "
                f"[aal1, aal2] but got {aal}"
            )
        return_to = req.query.get("return_to")
        if return_to:
            self.env.secure_return_to(return_to, FlowKind.LOGIN)
        session = await self.env.sessions.from_request(req)
        if session is None:
            if aal != "aal1":
                raise AAL1RequiredError()
            refresh = False
        elif not refresh and aal <= session.aal:
            if flow_type == FlowType.BROWSER and not req.is_json:
                return Outcome.redirect(self.env.secure_return_to(return_to, FlowKind.LOGIN))
            raise SessionAlreadyAvailableError()
        flow, new_cookie = await self.new_flow(
            req, flow_type, refresh=refresh, aal=aal, session=session
        )
        await self.store.create(flow)
        outcome = self.env.flow_or_redirect(req, flow)
        outcome.set_csrf = new_cookie
        return outcome

    # -- fetch --------------------------------------------------------------------------
    async def fetch(self, req: FlowRequest, flow_id: str | None) -> Outcome:
        flow = await self._load(parse_flow_id(flow_id))
        if flow.is_browser and not self._csrf_cookie_matches(req, flow):
            raise self.env.csrf_error(req, None)
        if flow.is_expired():
            details: dict[str, Any] = {}
            if flow.is_api:
                details["api"] = self.env.self_service_url("login/api")
            else:
                return_to = flow.request_return_to()
                redirect = self.env.self_service_url("login/browser")
                details["redirect_to"] = with_query(redirect, return_to=return_to)
                details["return_to"] = return_to or ""
            raise GoneError(
                expired_kind_reason(FlowKind.LOGIN, flow.is_api),
                details=details,
                error_id="self_service_flow_expired",
            )
        return Outcome.json(flow.to_dict())

    def _csrf_cookie_matches(self, req: FlowRequest, flow: LoginFlow) -> bool:
        from phalanx.selfservice.flow.csrf import tokens_match

        return tokens_match(req.csrf_cookie, flow.csrf_token)

    async def _load(self, flow_id: uuid.UUID) -> LoginFlow:
        flow = await self.store.get(flow_id)
        if flow is None:
            raise NotFoundError(f"Unable to locate the resource: login flow {flow_id}")
        return flow

    # -- submit -------------------------------------------------------------------------
    async def submit(self, req: FlowRequest, flow_id: str | None) -> Outcome:
        flow = await self._load(parse_flow_id(flow_id))
        try:
            self.env.ensure_csrf(req, flow)
            if flow.is_expired():
                return await expired_outcome(
                    self.env, req, flow, lambda: self._replacement(req, flow), self.store
                )
            session = await self.env.sessions.from_request(req)
            if session is not None and not (flow.refresh or flow.requested_aal > session.aal):
                if flow.is_browser and not req.is_json:
                    return Outcome.redirect(self.env.secure_return_to(None, FlowKind.LOGIN))
                raise SessionAlreadyAvailableError()
            return await self._authenticate(req, flow, session)
        except (FlowValidationError, KratosError) as error:
            return await handle_submit_error(self.env, req, flow, error, self.store)

    async def _replacement(self, req: FlowRequest, old: LoginFlow) -> LoginFlow:
        session = await self.env.sessions.from_request(req)
        flow, _ = await self.new_flow(
            req,
            old.type,
            refresh=old.refresh and session is not None,
            aal=old.requested_aal,
            session=session,
        )
        flow.request_url = old.request_url
        await self.store.create(flow)
        return flow

    def _strategy(self, method: Any) -> LoginStrategy:
        for strategy in self.strategies:
            if strategy.id == method:
                return strategy
        raise FlowValidationError([text.login_no_strategy()])

    async def _authenticate(
        self, req: FlowRequest, flow: LoginFlow, session: Session | None
    ) -> Outcome:
        body = req.body
        strategy = self._strategy(body.get("method"))
        flow.active = strategy.id
        if isinstance(body.get("transient_payload"), dict):
            flow.transient_payload = body["transient_payload"]
        result = await strategy.login(req, flow, body, session)
        identity = result.identity
        if not identity.is_active:
            raise IdentityDisabledError()
        await self.hooks.before_session(req, flow, identity, strategy.id)
        if session is not None and flow.refresh:
            if session.identity_id != identity.id:
                raise IdentityMismatchError(
                    "The identity that re-authenticated is not the identity of the session."
                )
            session.identity = identity
            session = await self.env.sessions.reauthenticate(session, result.method)
            issued = session
        else:
            issued = await self.env.sessions.issue(identity, result.method, req)
        await self.hooks.after_session(req, flow, issued, strategy.id)
        flow.state = "passed_challenge"
        flow.updated_at = utcnow()
        await self.store.update(flow)
        return self._success(req, flow, issued, strategy.id)

    def _success(self, req: FlowRequest, flow: LoginFlow, session: Session, method: str) -> Outcome:
        return_to = self.env.secure_return_to(flow.request_return_to(), FlowKind.LOGIN, method)
        if flow.is_api:
            body: dict[str, Any] = {
                "session": self.render.session(session),
                "session_token": session.token,
            }
            return Outcome.json(body)
        if req.accepts_json or req.is_json:
            body = {
                "session": self.render.session(session),
                "continue_with": [
                    {"action": "redirect_browser_to", "redirect_browser_to": return_to}
                ],
            }
            return Outcome(status=200, body=body, issue_session=session, rotate_csrf=True)
        return Outcome(status=303, location=return_to, issue_session=session, rotate_csrf=True)
