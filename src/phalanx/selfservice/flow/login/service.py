"""The login flow's steps: create, fetch, submit (Kratos ``selfservice/flow/login``).

The order of checks follows Kratos's handler, because it is observable: on submit the
session is looked at first (already logged in?), then the flow's expiry, then the method,
then the method's payload, and only then CSRF.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import timedelta
from typing import Any

from phalanx import text
from phalanx.clock import utcnow
from phalanx.errors import (
    AAL1RequiredError,
    BadRequestError,
    BrowserLocationChangeRequiredError,
    IdentityDisabledError,
    KratosError,
    SessionAlreadyAvailableError,
    error_envelope,
)
from phalanx.identity.model import Identity
from phalanx.selfservice.flow.base import FlowKind, FlowType
from phalanx.selfservice.flow.environment import FlowEnvironment
from phalanx.selfservice.flow.errors import (
    ChallengeExpired,
    FlowValidationError,
    StrategyCompleted,
)
from phalanx.selfservice.flow.handling import expired_outcome, handle_submit_error
from phalanx.selfservice.flow.lifecycle import (
    blank_flow,
    fetch_flow,
    flow_not_found,
    load_submitted,
    parse_flow_id,
    pick_strategy,
)
from phalanx.selfservice.flow.login.flow import LoginFlow
from phalanx.selfservice.flow.login.hooks import AddressNotVerified, LoginHooks
from phalanx.selfservice.flow.login.strategy import Identified, LoginResult, LoginStrategy
from phalanx.selfservice.flow.results import ExternalRedirect, ShowFlow
from phalanx.selfservice.flow.store import FlowStore
from phalanx.selfservice.request import FlowRequest, Outcome
from phalanx.session.aal import aal_rank, pass_request_params
from phalanx.session.model import AAL, Session
from phalanx.session.wire import SessionRenderer

__all__ = ["LoginService", "flow_not_found", "parse_flow_id"]

IdentityLoader = Callable[[uuid.UUID], Awaitable[Identity]]


class LoginService:
    """Creates, fetches and completes login flows for every configured login method."""

    def __init__(
        self,
        env: FlowEnvironment,
        store: FlowStore[LoginFlow],
        strategies: Sequence[LoginStrategy],
        hooks: LoginHooks,
        render: SessionRenderer,
        lifespan: timedelta,
        *,
        load_identity: IdentityLoader | None = None,
        identifier_first: bool = False,
        disabled_methods: Collection[str] = (),
    ) -> None:
        self.env = env
        self.store = store
        self.strategies = list(strategies)
        self.hooks = hooks
        self.render = render
        self.lifespan = lifespan
        self.load_identity = load_identity
        #: ``selfservice.flows.login.style: identifier_first``
        self.identifier_first = identifier_first
        #: methods the configuration disables: submitting one answers Kratos's 404
        self.disabled_methods = frozenset(disabled_methods)

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
        """A new (not yet stored) flow with every method's nodes, and the CSRF cookie to set."""
        flow = blank_flow(
            LoginFlow,
            self.env,
            flow_type,
            req.url,
            self.lifespan,
            refresh=refresh,
            requested_aal=aal,
        )
        # Refresh and second-factor forms are about the session's identity: strategies
        # see it with its credentials (GuessForcedLoginIdentifier, "has TOTP?").
        shown = session if session is not None and (refresh or aal != AAL.AAL1) else None
        if shown is not None:
            await self._load_credentials(shown)
        masked, new_cookie = self.env.csrf_for_flow(req, flow_type)
        flow.csrf_token = masked or None
        flow.ui.set_csrf(masked)
        # Refresh flows (and second factors) ignore the identifier-first style (Kratos).
        identification = self.identifier_first and not refresh and aal == "aal1"
        for strategy in self.strategies:
            if not strategy.serves(flow):
                continue
            if identification:
                strategy.populate_identification(flow)
            else:
                strategy.populate(flow, shown)
        if refresh:
            flow.ui.messages = [text.login_reauth()]
        if session is not None and aal != AAL.AAL1 and aal_rank(aal) > aal_rank(session.aal):
            flow.ui.add_message(text.login_mfa())
        flow.ui.sort("login")
        return flow, new_cookie

    async def _load_credentials(self, session: Session) -> None:
        if self.load_identity is not None:
            session.identity = await self.load_identity(session.identity_id)

    async def create(self, req: FlowRequest, flow_type: FlowType) -> Outcome:
        """``GET /self-service/login/{browser,api}``; browser errors go to the error UI."""
        if flow_type == FlowType.API:
            return await self._create(req, flow_type)
        try:
            return await self._create(req, flow_type)
        except SessionAlreadyAvailableError:
            if req.accepts_json:
                raise
            try:
                target = self.env.secure_return_to(req.query.get("return_to"), FlowKind.LOGIN)
            except KratosError as redirect_error:
                return await self.env.forward_error(req, redirect_error)
            return Outcome.redirect(target)
        except KratosError as error:
            return await self.env.forward_error(req, error)

    async def _create(self, req: FlowRequest, flow_type: FlowType) -> Outcome:
        return_to = req.query.get("return_to")
        if return_to:
            self.env.secure_return_to(return_to, FlowKind.LOGIN)
        refresh = req.query.get("refresh", "").lower() in ("true", "1", "t")
        aal = (req.query.get("aal") or "aal1").lower()
        if aal not in ("aal1", "aal2"):
            raise BadRequestError(
                "Unable to parse AuthenticationMethod Assurance Level (AAL): expected one of "
                f"[aal1, aal2] but got {aal}"
            )
        session = await self.env.sessions.from_request(req)
        if session is None:
            if aal != "aal1":
                raise AAL1RequiredError()
            refresh = False
        elif not refresh and (aal == "aal1" or aal_rank(aal) <= aal_rank(session.aal)):
            raise SessionAlreadyAvailableError()
        flow, new_cookie = await self.new_flow(
            req, flow_type, refresh=refresh, aal=aal, session=session
        )
        stopped = await self.env.before_hooks(req, flow)
        if stopped is not None:
            return stopped
        await self.store.create(flow)
        outcome = self.env.flow_or_redirect(req, flow)
        outcome.set_csrf = new_cookie
        return outcome

    # -- fetch --------------------------------------------------------------------------
    async def fetch(self, req: FlowRequest, flow_id: str | None) -> Outcome:
        """``GET /self-service/login/flows?id=``."""
        flow = await fetch_flow(self.env, self.store, req, flow_id)
        return Outcome.json(flow.to_dict())

    # -- submit -------------------------------------------------------------------------
    async def submit(self, req: FlowRequest, flow_id: str | None) -> Outcome:
        """``POST /self-service/login?flow=``."""
        try:
            flow = await load_submitted(self.store, flow_id)
        except KratosError as error:
            return await self.env.forward_error(req, error)
        try:
            session = await self.env.sessions.from_request(req)
            if session is not None:
                upgrade = aal_rank(flow.requested_aal) > aal_rank(session.aal)
                if not (flow.refresh or upgrade):
                    if req.is_json or flow.is_api:
                        raise SessionAlreadyAvailableError()
                    return Outcome.redirect(self.env.config.default_browser_return_url)
            elif flow.requested_aal != "aal1":
                raise AAL1RequiredError()
            if flow.is_expired():
                return await expired_outcome(
                    self.env, req, flow, lambda: self._replacement(req, flow), self.store
                )
            return await self._authenticate(req, flow, session)
        except ChallengeExpired as expired:
            return await expired_outcome(
                self.env,
                req,
                flow,
                lambda: self._replacement(req, flow),
                self.store,
                expired_at=expired.expires_at,
            )
        except AddressNotVerified:
            legacy = FlowValidationError([text.address_not_verified()])
            return await handle_submit_error(self.env, req, flow, legacy, self.store, sort_keys=())
        except (FlowValidationError, KratosError) as error:
            return await handle_submit_error(self.env, req, flow, error, self.store, sort_keys=())

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
        flow.return_to = old.return_to
        flow.identity_schema = old.identity_schema
        await self.store.create(flow)
        return flow

    async def _authenticate(
        self, req: FlowRequest, flow: LoginFlow, session: Session | None
    ) -> Outcome:
        body = req.body
        serving = [s for s in self.strategies if s.serves(flow)]
        strategy = pick_strategy(serving, body, flow, self.disabled_methods)
        if session is not None and flow.requested_aal != AAL.AAL1:
            await self._load_credentials(session)
        flow.adopt_transient_payload(body)
        strategy.check_payload(flow, body)
        self.env.ensure_csrf(req, flow)
        try:
            result = await strategy.login(req, flow, body, session)
        except StrategyCompleted as done:
            flow.updated_at = utcnow()
            await self.store.update(flow)
            return done.outcome
        if isinstance(result, Identified):
            flow.active = strategy.id
            populated = False
            for each in serving:
                found = each.populate_identified(flow, result.identity, result.mitigate)
                populated = found or populated
            shown = strategy.finish_identified(flow, populated, result.mitigate)
            flow.updated_at = utcnow()
            await self.store.update(flow)
            return self.env.show(req, flow, status=shown.status)
        if isinstance(result, (ShowFlow, ExternalRedirect)):
            flow.active = strategy.id
            flow.updated_at = utcnow()
            await self.store.update(flow)
            if isinstance(result, ExternalRedirect):
                return self.env.external_redirect(req, result)
            return self.env.show(req, flow, status=result.status, relocate=result.relocate)
        return await self.complete(req, flow, result, strategy.id, session)

    async def complete(
        self,
        req: FlowRequest,
        flow: LoginFlow,
        result: LoginResult,
        method: str,
        session: Session | None,
    ) -> Outcome:
        """Issue (or refresh) the session for an authenticated identity, run the after-login
        hooks and answer by client kind. Strategies that finish outside the submit (the OIDC
        callback) call this too."""
        identity = result.identity
        flow.active = method
        flow.updated_at = utcnow()
        await self.store.update(flow)
        if session is not None and session.identity_id != identity.id:
            session = None  # another account's credentials: a new session, not a refresh
        if not identity.is_active:
            raise IdentityDisabledError(details={"identity_id": str(identity.id)})
        sessions = self.env.sessions
        if session is not None:
            session.identity = identity
            issued = sessions.refresh_authentication(session, result.method)
        else:
            issued = sessions.new_session(identity, result.method, req)
        for strategy in self.strategies:
            result.extra_methods.extend(await strategy.link_pending(flow, identity))
        for extra in result.extra_methods:
            issued.authentication_methods.append(extra)
        # Hook changes to the identity are not stored on login (as Kratos): hooks get a copy.
        await self.env.after_hooks(req, flow, identity, method, issued, keep_changes=False)
        rotate = await self.env.rotate_csrf_for(req, issued)
        aborted = await self.hooks.run(req, flow, issued, identity, method)
        if aborted is not None:
            return aborted
        if session is not None:
            await sessions.save(issued)
        else:
            await sessions.persist(issued)
        await self.env.audit.succeeded(
            flow, identity.id, method, session=issued, refresh=session is not None
        )
        return await self._success(req, flow, issued, method, rotate)

    async def fail(self, req: FlowRequest, flow: LoginFlow, error: Exception) -> Outcome:
        """Answer a failed login step (Kratos ``login.ErrorHandler.WriteFlowError``)."""
        if isinstance(error, AddressNotVerified):
            error = FlowValidationError([text.address_not_verified()])
        return await handle_submit_error(self.env, req, flow, error, self.store, sort_keys=())

    async def _aal_redirect(self, flow: LoginFlow, session: Session) -> str | None:
        """Kratos ``checkAAL``: where to send a session that ``session.whoami.required_aal``
        would refuse (the aal2 login, with the flow's ``return_to``/``login_challenge``)."""
        required = self.env.config.session.whoami.required_aal
        shortfall = await self.env.aal.check(session, required)
        if shortfall is None:
            return None
        return pass_request_params(shortfall.redirect_browser_to, flow.request_url)

    async def _success(
        self, req: FlowRequest, flow: LoginFlow, session: Session, method: str, rotate: bool
    ) -> Outcome:
        return_to = self.env.secure_return_to(flow.request_return_to(), FlowKind.LOGIN, method)
        second_step = await self._aal_redirect(flow, session)
        if flow.is_api:
            rendered = self.render.session(session)
            if second_step is not None:
                # Kratos hides the identity until the second factor is done.
                rendered["identity"] = None
            body: dict[str, Any] = {"session": rendered, "session_token": session.token}
            return Outcome.json(body)
        if second_step is not None:
            # The session (aal1) is issued either way; the browser goes on to the aal2 login.
            if req.is_json:
                error = BrowserLocationChangeRequiredError(second_step)
                outcome = Outcome(
                    status=error.code,
                    body=error_envelope(error),
                    headers={"Ory-Error-Id": str(error.id)},
                )
            else:
                outcome = Outcome.redirect(second_step)
            outcome.issue_session = session
            outcome.rotate_csrf = rotate
            return outcome
        if req.is_json:
            body = {
                "session": self.render.session(session),
                "continue_with": [
                    {"action": "redirect_browser_to", "redirect_browser_to": return_to}
                ],
            }
            return Outcome(status=200, body=body, issue_session=session, rotate_csrf=rotate)
        if req.accepts_json:  # ContentNegotiationRedirection writes the bare session
            body = self.render.session(session)
            return Outcome(status=200, body=body, issue_session=session, rotate_csrf=rotate)
        return Outcome(status=303, location=return_to, issue_session=session, rotate_csrf=rotate)
