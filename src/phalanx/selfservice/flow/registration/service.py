"""The registration flow's steps (Kratos ``selfservice/flow/registration``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from phalanx import text
from phalanx.clock import utcnow
from phalanx.errors import (
    ConflictError,
    FlowDisabledError,
    GoneError,
    KratosError,
    NotFoundError,
    SessionAlreadyAvailableError,
)
from phalanx.identity.manager import IdentityManager
from phalanx.selfservice.flow.base import FlowKind, FlowType
from phalanx.selfservice.flow.csrf import tokens_match
from phalanx.selfservice.flow.environment import FlowEnvironment
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.handling import (
    expired_kind_reason,
    expired_outcome,
    handle_submit_error,
)
from phalanx.selfservice.flow.login.service import parse_flow_id
from phalanx.selfservice.flow.registration.flow import RegistrationFlow
from phalanx.selfservice.flow.registration.hooks import RegistrationHooks
from phalanx.selfservice.flow.registration.strategy import RegistrationStrategy
from phalanx.selfservice.flow.store import FlowStore
from phalanx.selfservice.request import FlowRequest, Outcome, with_query
from phalanx.selfservice.traits import TraitForms
from phalanx.session.wire import SessionRenderer
from phalanx.ui import UiContainer, csrf_node

__all__ = ["RegistrationService"]

_ALREADY = "A valid session was detected and thus registration is not possible."


class RegistrationService:
    def __init__(
        self,
        env: FlowEnvironment,
        store: FlowStore[RegistrationFlow],
        strategies: Sequence[RegistrationStrategy],
        identities: IdentityManager,
        forms: TraitForms,
        hooks: RegistrationHooks,
        render: SessionRenderer,
        lifespan: timedelta,
        enabled: bool,
    ) -> None:
        self.env = env
        self.store = store
        self.strategies = list(strategies)
        self.identities = identities
        self.forms = forms
        self.hooks = hooks
        self.render = render
        self.lifespan = lifespan
        self.enabled = enabled

    async def new_flow(
        self, req: FlowRequest, flow_type: FlowType
    ) -> tuple[RegistrationFlow, str | None]:
        now = utcnow()
        flow_id = uuid.uuid4()
        flow = RegistrationFlow(
            id=flow_id,
            type=flow_type,
            request_url=req.url,
            issued_at=now,
            expires_at=now + self.lifespan,
            created_at=now,
            updated_at=now,
            ui=UiContainer(
                action=self.env.action_url(FlowKind.REGISTRATION, flow_id), method="POST"
            ),
        )
        new_cookie = None
        if flow_type == FlowType.BROWSER:
            masked, new_cookie = self.env.csrf_for_new_flow(req)
            flow.csrf_token = masked
            flow.ui.nodes.append(csrf_node(masked))
        for strategy in self.strategies:
            strategy.populate(flow)
        flow.ui.sort("registration", schema_keys=self.forms.schema_keys())
        return flow, new_cookie

    async def create(self, req: FlowRequest, flow_type: FlowType) -> Outcome:
        if not self.enabled:
            raise FlowDisabledError("Registration is not allowed because it was disabled.")
        return_to = req.query.get("return_to")
        if return_to:
            self.env.secure_return_to(return_to, FlowKind.REGISTRATION)
        if await self.env.sessions.from_request(req) is not None:
            if flow_type == FlowType.BROWSER and not req.is_json:
                return Outcome.redirect(self.env.secure_return_to(return_to, FlowKind.REGISTRATION))
            raise SessionAlreadyAvailableError(_ALREADY)
        flow, new_cookie = await self.new_flow(req, flow_type)
        await self.store.create(flow)
        outcome = self.env.flow_or_redirect(req, flow)
        outcome.set_csrf = new_cookie
        return outcome

    async def fetch(self, req: FlowRequest, flow_id: str | None) -> Outcome:
        flow = await self._load(parse_flow_id(flow_id))
        if flow.is_browser and not tokens_match(req.csrf_cookie, flow.csrf_token):
            raise self.env.csrf_error(req, None)
        if flow.is_expired():
            details: dict[str, Any] = {}
            if flow.is_api:
                details["api"] = self.env.self_service_url("registration/api")
            else:
                return_to = flow.request_return_to()
                details["redirect_to"] = with_query(
                    self.env.self_service_url("registration/browser"), return_to=return_to
                )
                details["return_to"] = return_to or ""
            raise GoneError(
                expired_kind_reason(FlowKind.REGISTRATION, flow.is_api),
                details=details,
                error_id="self_service_flow_expired",
            )
        return Outcome.json(flow.to_dict())

    async def _load(self, flow_id: uuid.UUID) -> RegistrationFlow:
        flow = await self.store.get(flow_id)
        if flow is None:
            raise NotFoundError(f"Unable to locate the resource: registration flow {flow_id}")
        return flow

    async def _replacement(self, req: FlowRequest, old: RegistrationFlow) -> RegistrationFlow:
        flow, _ = await self.new_flow(req, old.type)
        flow.request_url = old.request_url
        await self.store.create(flow)
        return flow

    async def submit(self, req: FlowRequest, flow_id: str | None) -> Outcome:
        flow = await self._load(parse_flow_id(flow_id))
        try:
            self.env.ensure_csrf(req, flow)
            if flow.is_expired():
                return await expired_outcome(
                    self.env, req, flow, lambda: self._replacement(req, flow), self.store
                )
            if await self.env.sessions.from_request(req) is not None:
                if flow.is_browser and not req.is_json:
                    return Outcome(
                        status=302,
                        location=self.env.secure_return_to(None, FlowKind.REGISTRATION),
                    )
                raise SessionAlreadyAvailableError(_ALREADY)
            return await self._register(req, flow)
        except (FlowValidationError, KratosError) as error:
            return await handle_submit_error(self.env, req, flow, error, self.store)

    def _strategy(self, method: Any) -> RegistrationStrategy:
        for strategy in self.strategies:
            if strategy.id == method:
                return strategy
        raise FlowValidationError([text.registration_no_strategy()])

    async def _register(self, req: FlowRequest, flow: RegistrationFlow) -> Outcome:
        body = req.body
        strategy = self._strategy(body.get("method"))
        flow.active = strategy.id
        if isinstance(body.get("transient_payload"), dict):
            flow.transient_payload = body["transient_payload"]
        identity = await strategy.register(req, flow, body)
        try:
            await self.identities.create(identity)
        except ConflictError:
            raise FlowValidationError([text.duplicate_credentials()]) from None
        result = await self.hooks.after_registration(req, flow, identity, strategy.id)
        flow.state = "passed_challenge"
        flow.updated_at = utcnow()
        await self.store.update(flow)
        return_to = self.env.secure_return_to(
            flow.request_return_to(), FlowKind.REGISTRATION, strategy.id
        )
        continue_with = list(result.continue_with)
        body_out: dict[str, Any] = {"identity": self.render.identity_json(identity, False)}
        session = result.session
        if flow.is_api:
            if session is not None:
                body_out["session"] = self.render.session(session)
                body_out["session_token"] = session.token
                continue_with.insert(
                    0, {"action": "set_ory_session_token", "ory_session_token": session.token}
                )
            if continue_with:
                body_out["continue_with"] = continue_with
            return Outcome.json(body_out)
        if req.accepts_json or req.is_json:
            if session is not None:
                body_out["session"] = self.render.session(session)
            continue_with.append(
                {"action": "redirect_browser_to", "redirect_browser_to": return_to}
            )
            body_out["continue_with"] = continue_with
            return Outcome(
                status=200, body=body_out, issue_session=session, rotate_csrf=session is not None
            )
        location = result.browser_location or return_to
        return Outcome(
            status=303, location=location, issue_session=session, rotate_csrf=session is not None
        )
