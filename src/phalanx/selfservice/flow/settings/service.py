"""The settings flow's steps (Kratos ``selfservice/flow/settings``): create, fetch, submit.

Every step needs a session. A submission goes: flow id → flow → AAL → expiry and owner
→ the strategy whose ``method`` was sent (or the one with a change paused for a refresh
login) → ``decode`` (shape errors) → CSRF → ``apply`` (privileges, policy) → store the
identity → after-hooks → answer by client kind:

==================  ===============================  ==================================
outcome             API flow / browser JSON client   plain browser
==================  ===============================  ==================================
success             200 flow (state ``success``)     303 to return_to / after URL / UI
validation error    400 flow with messages           303 to the UI (``?flow=``)
stale session       403 ``session_refresh_required``  303 to ``login/browser?refresh=true``
expired             410 ``use_flow_id``              303 to a fresh flow's UI
==================  ===============================  ==================================

Privileged changes (password, identifiers, verifiable and recovery addresses) need a
session authenticated within ``privileged_session_max_age``. The refresh login returns
to ``/self-service/settings?flow=<id>``; browsers that come back there with the same
session get the paused change applied (:mod:`.continuity`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from phalanx import text
from phalanx.clock import utcnow
from phalanx.errors import (
    AAL2RequiredError,
    BadRequestError,
    ConflictError,
    IdentityMismatchError,
    KratosError,
    NotFoundError,
    SessionInactiveError,
    SessionRefreshRequiredError,
    UnauthorizedError,
    endpoint_disabled,
)
from phalanx.identity.manager import IdentityManager
from phalanx.identity.model import Identity
from phalanx.selfservice.flow.base import FlowKind, FlowState, FlowType
from phalanx.selfservice.flow.environment import FlowEnvironment
from phalanx.selfservice.flow.errors import FlowValidationError, StrategyCompleted
from phalanx.selfservice.flow.handling import expired_outcome, handle_submit_error
from phalanx.selfservice.flow.lifecycle import (
    blank_flow,
    expired_fetch_error,
    fetch_id,
    flow_not_found,
    mint_csrf,
)
from phalanx.selfservice.flow.results import ExternalRedirect
from phalanx.selfservice.flow.return_to import secure_redirect
from phalanx.selfservice.flow.settings.continuity import Continuity
from phalanx.selfservice.flow.settings.flow import SettingsFlow
from phalanx.selfservice.flow.settings.hooks import SettingsHooks
from phalanx.selfservice.flow.settings.strategy import (
    PrivilegedSessionRequired,
    SettingsContext,
    SettingsResult,
    SettingsStrategy,
)
from phalanx.selfservice.flow.store import FlowStore
from phalanx.selfservice.request import FlowRequest, Outcome, with_query
from phalanx.selfservice.traits import TraitForms
from phalanx.session.model import Session
from phalanx.ui import UiContainer

__all__ = ["SettingsService"]


class SettingsService:
    """Create, fetch and submit settings flows (framework-free; see the module doc)."""

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
        *,
        disabled_methods: Collection[str] = (),
    ) -> None:
        config = env.config
        #: methods with a settings cell that the config switched off (404 when submitted)
        self.disabled_methods = frozenset(disabled_methods)
        self.env = env
        self.store = store
        self.strategies = list(strategies)
        self.identities = identities
        self.forms = forms
        self.identity_json = identity_json
        self.after_hooks = after_hooks
        self.lifespan = lifespan
        self.privileged_max_age = privileged_max_age
        self.required_aal = config.selfservice.flows.settings.required_aal
        self.continuity = Continuity(config.cookie_secrets)

    # -- building flows -------------------------------------------------------------------
    def _render_identity(self, flow: SettingsFlow, identity: Identity) -> None:
        flow.identity = identity
        flow.identity_json = self.identity_json(identity)

    def _csrf(self, req: FlowRequest, flow: SettingsFlow) -> str | None:
        """Put a CSRF node on the flow; the real token to set as cookie, if a new one.

        API flows get a node too (Kratos's strategies always add one); its token is
        random and never checked.
        """
        masked, new_cookie = mint_csrf(self.env, req, flow)
        flow.ui.set_csrf(masked)
        return new_cookie

    def _render_form(self, req: FlowRequest, flow: SettingsFlow, identity: Identity) -> str | None:
        """A fresh ``ui`` for ``identity`` (Kratos ``NewFlow`` + strategies' populate)."""
        flow.ui = UiContainer(action=self.env.action_url(FlowKind.SETTINGS, flow.id))
        new_cookie = self._csrf(req, flow)
        for strategy in self.strategies:
            strategy.populate(flow, identity)
        flow.ui.sort("settings", schema_keys=self.forms.schema_keys(identity.schema_id))
        self._render_identity(flow, identity)
        return new_cookie

    async def new_flow(
        self, req: FlowRequest, flow_type: FlowType, identity: Identity, request_url: str
    ) -> tuple[SettingsFlow, str | None]:
        """A new flow for ``identity`` (not stored) and the CSRF cookie to set, if any."""
        flow = blank_flow(
            SettingsFlow, self.env, flow_type, request_url, self.lifespan, identity_id=identity.id
        )
        full = await self.identities.get(identity.id, with_credentials=True)
        return flow, self._render_form(req, flow, full)

    # -- sessions ---------------------------------------------------------------------------
    def is_privileged(self, session: Session) -> bool:
        """Kratos: ``authenticated_at + privileged_session_max_age`` is in the future."""
        return session.authenticated_at + self.privileged_max_age > utcnow()

    def refresh_url(self, req: FlowRequest) -> str:
        """``login/browser?refresh=true&return_to=<public URL + this request's path>``."""
        parts = urlsplit(req.url)
        back = self.env.public_url.rstrip("/") + parts.path
        if parts.query:
            back += "?" + parts.query
        return with_query(
            self.env.self_service_url("login/browser"), refresh="true", return_to=back
        )

    async def _aal_error(
        self, session: Session, request_url: str | None
    ) -> AAL2RequiredError | None:
        """Kratos ``DoesSessionSatisfy(settings.required_aal)``."""
        return await self.env.aal.check(session, self.required_aal, request_url=request_url)

    # -- create -----------------------------------------------------------------------------
    async def create(self, req: FlowRequest, flow_type: FlowType) -> Outcome:
        """``GET /self-service/settings/{api,browser}``."""
        session = await self.env.sessions.from_request(req)
        browser = flow_type == FlowType.BROWSER
        if session is None or session.identity is None:
            if not browser:
                raise SessionInactiveError(
                    "This endpoint can only be accessed with a valid session. Please log in "
                    "and try again."
                )
            if req.is_json:
                raise SessionInactiveError(extra={"CredentialsMissing": False})
            login = self.env.self_service_url("login/browser")
            return Outcome.redirect(with_query(login, return_to=req.query.get("return_to")))
        aal = await self._aal_error(session, req.url if req.query.get("return_to") else None)
        if aal is not None:
            if browser and not req.is_json:
                return Outcome.redirect(aal.redirect_browser_to)
            raise aal
        try:
            self._check_return_to(req.query.get("return_to"))
        except KratosError as error:
            if not browser:
                raise
            return await self.env.forward_error(req, error)
        flow, new_cookie = await self.new_flow(req, flow_type, session.identity, req.url)
        stopped = await self.env.before_hooks(req, flow)
        if stopped is not None:
            return stopped
        await self.store.create(flow)
        if browser and not req.accepts_json:
            outcome = Outcome.redirect(self.env.flow_ui_url(flow))
        else:
            outcome = Outcome.json(flow.to_dict())
        outcome.set_csrf = new_cookie
        return outcome

    def _check_return_to(self, return_to: str | None) -> None:
        if return_to:
            secure_redirect(
                return_to,
                default=self.env.config.default_browser_return_url,
                allowed=self.env.allowed_return_urls,
                public_base_url=self.env.public_url,
            )

    # -- fetch ------------------------------------------------------------------------------
    async def fetch(self, req: FlowRequest, flow_id: str | None) -> Outcome:
        """``GET /self-service/settings/flows?id=`` (always JSON, Kratos's writer)."""
        session = await self.env.sessions.from_request(req)
        if session is None or session.identity is None:
            return self._no_session(req)
        parsed = fetch_id(flow_id)
        flow = await self.store.get(parsed) if parsed is not None else None
        if flow is None:
            raise flow_not_found()
        flow.continue_with = []
        if flow.identity_id != session.identity_id:
            raise IdentityMismatchError(
                "The request was made for another identity and has been blocked for security "
                "reasons."
            )
        aal = await self._aal_error(session, self.env.flow_ui_url(flow))
        if aal is not None:
            raise aal
        if flow.is_expired():
            raise expired_fetch_error(self.env, flow)
        self._render_identity(flow, session.identity)
        return Outcome.json(flow.to_dict())

    def _no_session(self, req: FlowRequest) -> Outcome:
        """Fetch or submit without a session: 401 for JSON clients, else the login UI."""
        if req.is_json:
            raise UnauthorizedError("A valid Ory Session Cookie or Ory Session Token is missing.")
        return Outcome(status=302, location=self.env.ui_url("login"))

    # -- submit -----------------------------------------------------------------------------
    async def submit(self, req: FlowRequest, flow_id: str | None) -> Outcome:
        """``POST`` (and ``GET``) ``/self-service/settings?flow=``."""
        session = await self.env.sessions.from_request(req)
        if session is None or session.identity is None:
            return self._no_session(req)
        parsed = fetch_id(flow_id)
        if parsed is None:
            return await self._forward(
                req, None, BadRequestError("The flow query parameter is missing or malformed.")
            )
        flow = await self.store.get(parsed)
        if flow is None:
            return await self._forward(
                req,
                None,
                NotFoundError("The settings request could not be found. Please restart the flow."),
            )
        flow.continue_with = []
        aal = await self._aal_error(session, req.url)
        if aal is not None:
            if flow.is_api or req.is_json:
                raise aal
            return Outcome.redirect(aal.redirect_browser_to)
        identity = session.identity
        self._render_identity(flow, identity)
        if flow.is_expired():
            return await expired_outcome(
                self.env, req, flow, lambda: self._replacement(req, flow, identity), self.store
            )
        if flow.identity_id != session.identity_id:
            return await self._forward(
                req,
                flow,
                IdentityMismatchError(
                    "The request was initiated by someone else and has been blocked for security "
                    "reasons. Please go back and try again."
                ),
            )
        return await self._dispatch(req, flow, session)

    async def _forward(
        self, req: FlowRequest, flow: SettingsFlow | None, error: KratosError
    ) -> Outcome:
        """A non-form error: JSON for API flows and JSON clients, else the error UI."""
        if (flow is not None and flow.is_api) or req.is_json:
            raise error
        return await self.env.forward_error(req, error)

    async def _replacement(
        self, req: FlowRequest, old: SettingsFlow, identity: Identity
    ) -> SettingsFlow:
        flow, _ = await self.new_flow(req, old.type, identity, old.request_url)
        await self.store.create(flow)
        return flow

    async def _dispatch(self, req: FlowRequest, flow: SettingsFlow, session: Session) -> Outcome:
        """Find the strategy that handles this submission and run it."""
        body = req.body
        method = body.get("method")
        resumable = flow.is_browser and not req.is_json
        for strategy in self.strategies:
            payload = None
            if resumable:
                # A paused payload passed decoding and the CSRF check when it was submitted;
                # only this session can resume it (the login may have rotated the CSRF cookie).
                payload = self.continuity.resume(flow, strategy.id, session)
            if payload is None:
                if not strategy.handles(body):
                    continue
                try:
                    payload = strategy.decode(req, flow, body)
                    self.env.ensure_csrf(req, flow)
                except (FlowValidationError, KratosError) as error:
                    return await self._fail(req, flow, error)
            return await self._run(req, flow, session, strategy, payload)
        if method in self.disabled_methods:
            return await self._fail(req, flow, endpoint_disabled())
        return await self._fail(req, flow, FlowValidationError([text.settings_no_strategy()]))

    async def _fail(self, req: FlowRequest, flow: SettingsFlow, error: Exception) -> Outcome:
        """Kratos's settings ``WriteFlowError`` for errors rendered into or beside the flow
        (nodes re-sorted by the identity schema, as Kratos does)."""
        schema_id = flow.identity.schema_id if flow.identity is not None else None
        keys = self.forms.schema_keys(schema_id)
        return await handle_submit_error(self.env, req, flow, error, self.store, sort_keys=keys)

    async def _run(
        self,
        req: FlowRequest,
        flow: SettingsFlow,
        session: Session,
        strategy: SettingsStrategy,
        payload: dict[str, Any],
    ) -> Outcome:
        identity = await self.identities.get(session.identity_id, with_credentials=True)
        ctx = SettingsContext(req, flow, session, identity, self.is_privileged(session))
        try:
            result = await strategy.apply(ctx, payload)
        except StrategyCompleted as done:
            flow.updated_at = utcnow()
            await self.store.update(flow)
            return done.outcome
        except PrivilegedSessionRequired:
            return await self._refresh_required(req, flow, session, strategy, payload)
        except (FlowValidationError, KratosError) as error:
            return await self._fail(req, flow, error)
        if isinstance(result, ExternalRedirect):  # linking a provider: off to its login
            flow.updated_at = utcnow()
            await self.store.update(flow)
            return self.env.external_redirect(req, result)
        if result.return_to_ui:
            return await self._back_to_form(req, flow)
        return await self.complete(req, flow, session, strategy, result)

    async def complete(
        self,
        req: FlowRequest,
        flow: SettingsFlow,
        session: Session,
        strategy: SettingsStrategy,
        result: SettingsResult,
    ) -> Outcome:
        """Save the changed identity and answer with the success state (or the error).
        The OIDC callback calls this to finish linking a provider."""
        try:
            return_to = self._success_return_to(flow, strategy.id)
            points = self.env.hooks(flow.kind)
            if points is not None:
                await points.pre_persist(req, flow.to_dict, result.identity, strategy.id)
            before = (
                await self.identities.get(result.identity.id, with_credentials=True)
                if self.env.audit.log is not None
                else None
            )
            try:
                await self.identities.update(result.identity)
            except ConflictError:
                raise FlowValidationError([text.duplicate_credentials()]) from None
        except (FlowValidationError, KratosError) as error:
            return await self._fail(req, flow, error)
        if before is not None:
            await self.env.audit.settings_updated(
                flow, before, result.identity, strategy.id, session
            )
        if result.authenticated is not None:
            await self.env.sessions.add_authentication_method(session, result.authenticated)
        return await self._succeed(req, flow, session, strategy, result.continue_with, return_to)

    async def _back_to_form(self, req: FlowRequest, flow: SettingsFlow) -> Outcome:
        """``ErrStrategyAsksToReturnToUI``: the flow as the strategy left it (state and node
        order unchanged, messages cleared) -- JSON for API flows and JSON clients, else a
        303 to the settings UI."""
        flow.ui.reset_messages()
        new_cookie = self._csrf(req, flow)
        flow.updated_at = utcnow()
        await self.store.update(flow)
        if flow.is_api or req.is_json:
            outcome = Outcome.json(flow.to_dict())
        else:
            outcome = Outcome.redirect(self.env.flow_ui_url(flow))
        outcome.set_csrf = new_cookie
        return outcome

    async def fail(self, req: FlowRequest, flow: SettingsFlow, error: Exception) -> Outcome:
        """Answer a failed settings step (public for strategies finishing elsewhere)."""
        return await self._fail(req, flow, error)

    async def refresh_required(
        self,
        req: FlowRequest,
        flow: SettingsFlow,
        session: Session,
        strategy: SettingsStrategy,
        payload: dict[str, Any],
    ) -> Outcome:
        """The session is too old for the change: ask for a refresh login."""
        return await self._refresh_required(req, flow, session, strategy, payload)

    async def _refresh_required(
        self,
        req: FlowRequest,
        flow: SettingsFlow,
        session: Session,
        strategy: SettingsStrategy,
        payload: dict[str, Any],
    ) -> Outcome:
        """Kratos ``FlowNeedsReAuth``: remember the change (browsers), ask for a refresh."""
        if flow.is_browser:
            self.continuity.pause(flow, strategy.id, session, payload)
        flow.ui.reset_messages()
        flow.updated_at = utcnow()
        await self.store.update(flow)
        url = self.refresh_url(req)
        if flow.is_api or req.is_json:
            raise SessionRefreshRequiredError(url)
        return Outcome.redirect(url)

    def _success_return_to(self, flow: SettingsFlow, method: str) -> str:
        """``return_to`` of the flow if allowed, else ``settings.after[.<method>]
        .default_browser_return_url``, else the settings UI showing this flow."""
        return self.env.secure_return_to(
            flow.request_return_to(), flow.kind, method, fallback=self.env.flow_ui_url(flow)
        )

    async def _succeed(
        self,
        req: FlowRequest,
        flow: SettingsFlow,
        session: Session,
        strategy: SettingsStrategy,
        continue_with: list[dict[str, Any]],
        return_to: str,
    ) -> Outcome:
        identity = await self.identities.get(session.identity_id, with_credentials=True)
        session.identity = identity
        # The flow is re-rendered for the updated identity and can be used again.
        flow.state = FlowState.SUCCESS
        flow.internal_context = {}
        new_cookie = self._render_form(req, flow, identity)
        flow.ui.add_message(text.settings_saved())
        flow.continue_with = list(continue_with)
        flow.updated_at = utcnow()
        await self.store.update(flow)
        try:
            await self.after_hooks(req, flow, identity, session, strategy.id)
            points = self.env.hooks(flow.kind)
            if points is not None:
                await points.post_persist(req, flow.to_dict, identity, strategy.id, session)
        except (FlowValidationError, KratosError) as error:
            return await self._fail(req, flow, error)
        if flow.is_api:
            return Outcome.json(flow.to_dict())
        if req.is_json:
            flow.continue_with.append(
                {"action": "redirect_browser_to", "redirect_browser_to": return_to}
            )
            outcome = Outcome.json(flow.to_dict())
        else:
            outcome = Outcome.redirect(return_to)
        # Kratos re-issues the session cookie; only a cookie session is re-issued as one.
        outcome.issue_session = session if req.session_from_cookie and session.token else None
        outcome.set_csrf = new_cookie
        return outcome
