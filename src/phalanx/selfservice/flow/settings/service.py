"""The settings flow's steps (Kratos ``selfservice/flow/settings``).

Privileged changes (password, identifiers, verifiable and recovery addresses) need a
session authenticated within ``privileged_session_max_age``; otherwise the client is sent
to a refresh login whose ``return_to`` brings it back to this same flow.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from phalanx import text
from phalanx.clock import utcnow
from phalanx.errors import (
    ConflictError,
    IdentityMismatchError,
    KratosError,
    NotFoundError,
    SessionInactiveError,
    SessionRefreshRequiredError,
    UnauthorizedError,
)
from phalanx.identity.manager import IdentityManager
from phalanx.identity.model import Identity
from phalanx.selfservice.flow.base import FlowKind, FlowState, FlowType
from phalanx.selfservice.flow.environment import FlowEnvironment
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.handling import expired_outcome, handle_submit_error
from phalanx.selfservice.flow.login.service import parse_flow_id
from phalanx.selfservice.flow.settings.flow import SettingsFlow
from phalanx.selfservice.flow.settings.hooks import SettingsHooks
from phalanx.selfservice.flow.settings.strategy import SettingsStrategy
from phalanx.selfservice.flow.store import FlowStore
from phalanx.selfservice.request import FlowRequest, Outcome, with_query
from phalanx.selfservice.traits import TraitForms
from phalanx.session.model import Session
from phalanx.ui import UiContainer, csrf_node

__all__ = ["SettingsService"]


class SettingsService:
    def __init__(
        self,
        env: FlowEnvironment,
        store: FlowStore[SettingsFlow],
        strategies: Sequence[SettingsStrategy],
        identities: IdentityManager,
        forms: TraitForms,
        identity_json: Callable[[Identity], dict[str, Any]],
        after_hooks: SettingsHooks,
        lifespan: timedelta,
        privileged_max_age: timedelta,
    ) -> None:
        self.env = env
        self.store = store
        self.strategies = list(strategies)
        self.identities = identities
        self.identity_json = identity_json
        self.after_hooks = after_hooks
        self.lifespan = lifespan
        self.privileged_max_age = privileged_max_age
        self.forms = forms

    # -- helpers ------------------------------------------------------------------------
    def _render_identity(self, flow: SettingsFlow, identity: Identity) -> None:
        flow.identity = identity
        flow.identity_json = self.identity_json(identity)

    def build_flow(
        self, req: FlowRequest, flow_type: FlowType, identity: Identity, request_url: str
    ) -> tuple[SettingsFlow, str | None]:
        now = utcnow()
        flow_id = uuid.uuid4()
        flow = SettingsFlow(
            id=flow_id,
            type=flow_type,
            request_url=request_url,
            issued_at=now,
            expires_at=now + self.lifespan,
            created_at=now,
            updated_at=now,
            identity_id=identity.id,
            ui=UiContainer(action=self.env.action_url(FlowKind.SETTINGS, flow_id), method="POST"),
        )
        new_cookie = None
        if flow_type == FlowType.BROWSER:
            masked, new_cookie = self.env.csrf_for_new_flow(req)
            flow.csrf_token = masked
            flow.ui.nodes.append(csrf_node(masked))
        self._populate(flow, identity)
        return flow, new_cookie

    def _populate(self, flow: SettingsFlow, identity: Identity) -> None:
        for strategy in self.strategies:
            strategy.populate(flow, identity)
        flow.ui.sort("settings", schema_keys=self.forms.schema_keys(identity.schema_id))
        self._render_identity(flow, identity)

    def is_privileged(self, session: Session) -> bool:
        if self.privileged_max_age <= timedelta(0):
            return True
        return session.authenticated_at + self.privileged_max_age > utcnow()

    def refresh_url(self, flow: SettingsFlow) -> str:
        return_to = with_query(self.env.self_service_url("settings"), flow=str(flow.id))
        if flow.is_browser:
            return_to = self.env.flow_ui_url(flow)
        return with_query(
            self.env.self_service_url("login/browser"), refresh="true", return_to=return_to
        )

    async def _require_session(self, req: FlowRequest) -> Session:
        session = await self.env.sessions.from_request(req)
        if session is None:
            raise SessionInactiveError(
                "This endpoint can only be accessed with a valid session. Please log in and try "
                "again.",
                extra={"CredentialsMissing": True},
            )
        return session

    # -- create / fetch -----------------------------------------------------------------
    async def create(self, req: FlowRequest, flow_type: FlowType) -> Outcome:
        return_to = req.query.get("return_to")
        if return_to:
            self.env.secure_return_to(return_to, FlowKind.SETTINGS)
        session = await self.env.sessions.from_request(req)
        if session is None:
            if flow_type == FlowType.BROWSER and not req.is_json:
                return Outcome.redirect(
                    with_query(self.env.self_service_url("login/browser"), return_to=return_to)
                )
            await self._require_session(req)
        assert session is not None and session.identity is not None
        flow, new_cookie = self.build_flow(req, flow_type, session.identity, req.url)
        await self.store.create(flow)
        outcome = self.env.flow_or_redirect(req, flow)
        outcome.set_csrf = new_cookie
        return outcome

    async def _load_for(
        self, req: FlowRequest, flow_id: str | None
    ) -> tuple[SettingsFlow, Session]:
        parsed = parse_flow_id(flow_id)
        session = await self.env.sessions.from_request(req)
        if session is None:
            raise UnauthorizedError("A valid Ory Session Cookie or Ory Session Token is missing.")
        flow = await self.store.get(parsed)
        if flow is None:
            raise NotFoundError(f"Unable to locate the resource: settings flow {parsed}")
        if flow.identity_id != session.identity_id:
            raise IdentityMismatchError(
                "The request was made for another identity and has been blocked for security "
                "reasons."
            )
        assert session.identity is not None
        return flow, session

    async def fetch(self, req: FlowRequest, flow_id: str | None) -> Outcome:
        try:
            flow, session = await self._load_for(req, flow_id)
        except UnauthorizedError:
            if req.is_json:
                raise
            return Outcome(status=302, location=self.env.ui_url("login"))
        assert session.identity is not None
        if flow.is_expired():
            from phalanx.errors import GoneError
            from phalanx.selfservice.flow.handling import expired_kind_reason

            raise GoneError(
                expired_kind_reason(FlowKind.SETTINGS, flow.is_api),
                error_id="self_service_flow_expired",
            )
        self._render_identity(flow, session.identity)
        return Outcome.json(flow.to_dict())

    # -- submit -------------------------------------------------------------------------
    async def submit(self, req: FlowRequest, flow_id: str | None) -> Outcome:
        try:
            flow, session = await self._load_for(req, flow_id)
        except UnauthorizedError:
            if req.is_json:
                raise
            return Outcome(status=302, location=self.env.ui_url("login"))
        assert session.identity is not None
        self._render_identity(flow, session.identity)
        try:
            self.env.ensure_csrf(req, flow)
            if flow.is_expired():
                return await expired_outcome(
                    self.env, req, flow, lambda: self._replacement(req, flow, session), self.store
                )
            return await self._update(req, flow, session)
        except SessionRefreshRequiredError as error:
            if flow.is_browser and not req.is_json:
                return Outcome.redirect(error.redirect_browser_to)
            raise
        except (FlowValidationError, KratosError) as error:
            return await handle_submit_error(self.env, req, flow, error, self.store)

    async def _replacement(
        self, req: FlowRequest, old: SettingsFlow, session: Session
    ) -> SettingsFlow:
        assert session.identity is not None
        flow, _ = self.build_flow(req, old.type, session.identity, old.request_url)
        await self.store.create(flow)
        return flow

    def _strategy(self, method: Any) -> SettingsStrategy:
        for strategy in self.strategies:
            if strategy.id == method:
                return strategy
        raise FlowValidationError([text.settings_no_strategy()])

    async def _update(self, req: FlowRequest, flow: SettingsFlow, session: Session) -> Outcome:
        body = req.body
        strategy = self._strategy(body.get("method"))
        # Strategies work on the full identity (credentials included) so that saving it
        # never drops a credential the session's copy did not load.
        session.identity = await self.identities.get(session.identity_id, with_credentials=True)
        flow.active = strategy.id
        if isinstance(body.get("transient_payload"), dict):
            flow.transient_payload = body["transient_payload"]
        result = await strategy.update(req, flow, body, session)
        if result.privileged and not self.is_privileged(session):
            raise SessionRefreshRequiredError(self.refresh_url(flow))
        try:
            await self.identities.update(result.identity)
        except ConflictError:
            raise FlowValidationError([text.duplicate_credentials()]) from None
        identity = await self.identities.get(result.identity.id, with_credentials=True)
        session.identity = identity
        await self.after_hooks(req, flow, session, strategy.id)
        # The flow is re-rendered for the updated identity and can be used again.
        flow.ui.nodes = [n for n in flow.ui.nodes if n.id == "csrf_token"]
        self._populate(flow, identity)
        flow.ui.reset_messages()
        flow.ui.add_message(text.settings_saved())
        flow.state = FlowState.SUCCESS
        flow.continue_with = list(result.continue_with)
        flow.updated_at = utcnow()
        await self.store.update(flow)
        return_to = flow.request_return_to()
        if flow.is_browser and not req.is_json:
            if return_to:
                target = self.env.secure_return_to(return_to, FlowKind.SETTINGS, strategy.id)
            else:
                target = self.env.flow_ui_url(flow)
            return Outcome.redirect(target)
        if flow.is_browser and return_to:
            flow.continue_with.append(
                {
                    "action": "redirect_browser_to",
                    "redirect_browser_to": self.env.secure_return_to(
                        return_to, FlowKind.SETTINGS, strategy.id
                    ),
                }
            )
        return Outcome.json(flow.to_dict())
