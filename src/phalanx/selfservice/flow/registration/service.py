"""The registration flow's steps (Kratos ``selfservice/flow/registration``).

Submissions with an active session never reach the flow (Kratos's ``IsNotAuthenticated``
guard answers first); otherwise the order is: flow id, flow, expiry, method, payload, CSRF,
identity and password policy, identity creation (duplicate → 4000007), session and hooks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import timedelta
from typing import Any

from phalanx import text
from phalanx.clock import utcnow
from phalanx.errors import (
    ConflictError,
    FlowDisabledError,
    KratosError,
    SessionAlreadyAvailableError,
)
from phalanx.identity.manager import IdentityManager
from phalanx.identity.model import Identity
from phalanx.selfservice.flow.base import FlowKind, FlowState, FlowType
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
    load_submitted,
    pick_strategy,
)
from phalanx.selfservice.flow.registration.flow import RegistrationFlow
from phalanx.selfservice.flow.registration.hooks import (
    RegistrationHookResult,
    RegistrationHooks,
)
from phalanx.selfservice.flow.registration.strategy import NextScreen, RegistrationStrategy
from phalanx.selfservice.flow.results import ExternalRedirect, ShowFlow
from phalanx.selfservice.flow.store import FlowStore
from phalanx.selfservice.form import decode_form_traits
from phalanx.selfservice.request import FlowRequest, Outcome
from phalanx.selfservice.traits import TraitForms
from phalanx.session.wire import SessionRenderer
from phalanx.ui import NodeGroup

__all__ = ["RegistrationService"]

_ALREADY = "A valid session was detected and thus registration is not possible."


def _already_logged_in() -> SessionAlreadyAvailableError:
    return SessionAlreadyAvailableError(_ALREADY)


NotifyTaken = Callable[[RegistrationFlow, Identity], Awaitable[None]]
"""Tells the owner of an address that someone tried to sign up with it."""


async def _no_notice(flow: RegistrationFlow, identity: Identity) -> None:
    return None


def _disabled() -> FlowDisabledError:
    return FlowDisabledError(
        "Registration is not allowed because it was disabled.",
        message="registration flow disabled",
    )


class RegistrationService:
    """Creates, fetches and completes registration flows."""

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
        *,
        two_step: bool = False,
        mitigate: bool = False,
        notify_taken: NotifyTaken | None = None,
        disabled_methods: Collection[str] = (),
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
        #: ``style: profile_first`` (and no ``enable_legacy_one_step``): traits first
        self.two_step = two_step
        #: ``security.account_enumeration.mitigate``: a taken address answers like a new one
        self.mitigate = mitigate and notify_taken is not None
        self.notify_taken: NotifyTaken = notify_taken or _no_notice
        #: methods the configuration disables: submitting one answers Kratos's 404
        self.disabled_methods = frozenset(disabled_methods)

    # -- create -------------------------------------------------------------------------
    async def new_flow(
        self, req: FlowRequest, flow_type: FlowType
    ) -> tuple[RegistrationFlow, str | None]:
        """A new (not yet stored) flow with every method's nodes, and the CSRF cookie to set."""
        flow = blank_flow(RegistrationFlow, self.env, flow_type, req.url, self.lifespan)
        masked, new_cookie = self.env.csrf_for_flow(req, flow_type)
        flow.csrf_token = masked or None
        flow.ui.set_csrf(masked)
        for strategy in self.strategies:
            if self.two_step:
                strategy.populate_profile(flow, None)
            else:
                strategy.populate(flow)
        flow.ui.sort("registration", schema_keys=self.forms.schema_keys())
        return flow, new_cookie

    def _show_screen(self, req: FlowRequest, flow: RegistrationFlow, screen: NextScreen) -> None:
        """Two-step registration: hydrate the profile or the credential screen with every
        strategy (Kratos ``returnToProfileForm`` / ``showCredentialsSelection``)."""
        flow.ui.reset_messages()
        if screen.screen == "credentials":
            flow.active = None
            flow.state = FlowState.CHOOSE_METHOD
            for strategy in self.strategies:
                strategy.populate_credentials(flow, screen.traits)
        else:
            for strategy in self.strategies:
                strategy.populate_profile(flow, screen.traits)
        self.env.refresh_csrf_node(req, flow)
        if screen.traits:
            flow.ui.update_values(screen.traits, prefix="traits", group=NodeGroup.DEFAULT)
        flow.ui.sort("registration", schema_keys=self.forms.schema_keys())

    async def create(self, req: FlowRequest, flow_type: FlowType) -> Outcome:
        """``GET /self-service/registration/{browser,api}``."""
        if flow_type == FlowType.API:
            if not self.enabled:
                raise _disabled()
            if await self.env.sessions.from_request(req) is not None:
                raise _already_logged_in()
            return await self._create(req, flow_type)
        try:
            if not self.enabled:
                raise _disabled()
            outcome = await self._create(req, flow_type)
            if await self.env.sessions.from_request(req) is not None:
                if req.is_json:
                    raise _already_logged_in()
                target = self.env.secure_return_to(
                    req.query.get("return_to"), FlowKind.REGISTRATION
                )
                return Outcome.redirect(target)
            return outcome
        except KratosError as error:
            return await self.env.forward_error(req, error)

    async def _create(self, req: FlowRequest, flow_type: FlowType) -> Outcome:
        return_to = req.query.get("return_to")
        if return_to:
            self.env.secure_return_to(return_to, FlowKind.REGISTRATION)
        flow, new_cookie = await self.new_flow(req, flow_type)
        stopped = await self.env.before_hooks(req, flow)
        if stopped is not None:
            return stopped
        await self.store.create(flow)
        outcome = self.env.flow_or_redirect(req, flow)
        outcome.set_csrf = new_cookie
        return outcome

    # -- fetch --------------------------------------------------------------------------
    async def fetch(self, req: FlowRequest, flow_id: str | None) -> Outcome:
        """``GET /self-service/registration/flows?id=``."""
        if not self.enabled:
            return await self.env.forward_error(req, _disabled())
        flow = await fetch_flow(self.env, self.store, req, flow_id)
        return Outcome.json(flow.to_dict())

    async def _replacement(self, req: FlowRequest, old: RegistrationFlow) -> RegistrationFlow:
        flow, _ = await self.new_flow(req, old.type)
        flow.request_url = old.request_url
        flow.return_to = old.return_to
        flow.identity_schema = old.identity_schema
        await self.store.create(flow)
        return flow

    # -- submit -------------------------------------------------------------------------
    async def submit(self, req: FlowRequest, flow_id: str | None) -> Outcome:
        """``POST /self-service/registration?flow=``."""
        if await self.env.sessions.from_request(req) is not None:
            if req.is_json:
                raise _already_logged_in()
            return Outcome(status=302, location=self._on_authenticated(req))
        try:
            flow = await load_submitted(self.store, flow_id)
        except KratosError as error:
            return await self.env.forward_error(req, error)
        keys = self.forms.schema_keys()
        try:
            if flow.is_expired():
                return await expired_outcome(
                    self.env, req, flow, lambda: self._replacement(req, flow), self.store
                )
            return await self._register(req, flow)
        except ChallengeExpired as expired:
            return await expired_outcome(
                self.env,
                req,
                flow,
                lambda: self._replacement(req, flow),
                self.store,
                expired_at=expired.expires_at,
            )
        except ConflictError:
            duplicate = FlowValidationError([text.duplicate_credentials()])
            return await handle_submit_error(
                self.env, req, flow, duplicate, self.store, sort_keys=keys
            )
        except (FlowValidationError, KratosError) as error:
            return await handle_submit_error(self.env, req, flow, error, self.store, sort_keys=keys)

    def _on_authenticated(self, req: FlowRequest) -> str:
        """``RedirectOnAuthenticated``: ``return_to`` if it is a self-service URL, else the
        default return URL."""
        default = self.env.config.default_browser_return_url
        try:
            from phalanx.selfservice.flow.return_to import secure_redirect

            return secure_redirect(
                req.query.get("return_to"),
                default=default,
                allowed=[],
                public_base_url=self.env.public_url,
            )
        except KratosError:
            return default

    async def _register(self, req: FlowRequest, flow: RegistrationFlow) -> Outcome:
        body = req.body
        if req.is_form:
            traits = decode_form_traits(self.forms.raw_schema(), body.get("traits", {}))
            body = {**body, "traits": traits}
        strategy = pick_strategy(self.strategies, body, flow, self.disabled_methods)
        flow.adopt_transient_payload(body)
        strategy.check_payload(flow, body)
        self.env.ensure_csrf(req, flow)
        try:
            identity = await strategy.register(req, flow, body)
        except StrategyCompleted as done:
            flow.updated_at = utcnow()
            await self.store.update(flow)
            return done.outcome
        if isinstance(identity, NextScreen):
            self._show_screen(req, flow, identity)
            flow.updated_at = utcnow()
            await self.store.update(flow)
            return self.env.show(req, flow, status=400)
        if isinstance(identity, (ShowFlow, ExternalRedirect)):
            flow.active = strategy.id
            flow.updated_at = utcnow()
            await self.store.update(flow)
            if isinstance(identity, ExternalRedirect):
                return self.env.external_redirect(req, identity)
            return self.env.show(req, flow, status=identity.status, relocate=identity.relocate)
        return await self.complete(req, flow, identity, strategy.id)

    async def fail(self, req: FlowRequest, flow: RegistrationFlow, error: Exception) -> Outcome:
        """Answer a failed registration step (Kratos ``registration.ErrorHandler``)."""
        if isinstance(error, ConflictError):
            error = FlowValidationError([text.duplicate_credentials()])
        keys = self.forms.schema_keys()
        return await handle_submit_error(self.env, req, flow, error, self.store, sort_keys=keys)

    async def complete(
        self,
        req: FlowRequest,
        flow: RegistrationFlow,
        identity: Identity,
        method: str,
        provider: str | None = None,
    ) -> Outcome:
        """Store the new identity, run the after-registration hooks and answer by client
        kind (``ConflictError`` when an identifier is taken). The OIDC callback calls this
        for identities built from a provider's claims."""
        flow.active = method
        return_to = self.env.secure_return_to(
            flow.request_return_to(), FlowKind.REGISTRATION, method
        )
        points = self.env.hooks(flow.kind)
        try:
            if points is not None:
                await points.pre_persist(req, flow.to_dict, identity, method)
            await self.identities.create(identity)
            await self.env.audit.succeeded(flow, identity.id, method, provider=provider)
            done = await self.hooks.after_registration(req, flow, identity, method, provider)
            if points is not None:
                await points.post_persist(req, flow.to_dict, identity, method)
        except ConflictError:
            if not self.mitigate or self.hooks.signs_in(method):
                raise
            # Account enumeration mitigation (Phalanx): the answer a new identity gets,
            # its owner told by mail instead.
            await self.notify_taken(flow, identity)
            decoy = await self.hooks.after_duplicate(req, flow, identity, method)
            done = RegistrationHookResult(session=None, continue_with=decoy)
        flow.updated_at = utcnow()  # the state stays choose_method, as in Kratos
        await self.store.update(flow)

        # Kratos adds redirect_browser_to before the post-persist hooks run, so it comes
        # first; the session hook's set_ory_session_token comes last.
        continue_with: list[dict[str, Any]] = []
        if flow.is_browser and req.is_json:
            continue_with.append(
                {"action": "redirect_browser_to", "redirect_browser_to": return_to}
            )
        continue_with.extend(done.continue_with)
        identity_json = self.render.identity_json(identity, False)
        session = done.session
        if done.expose_session and session is not None:
            if flow.is_api:
                continue_with.append(
                    {"action": "set_ory_session_token", "ory_session_token": session.token}
                )
                return Outcome.json(
                    {
                        "session": self.render.session(session),
                        "session_token": session.token,
                        "identity": identity_json,
                        "continue_with": continue_with,
                    }
                )
            rotate = await self.env.rotate_csrf_for(req, session)
            if req.is_json:
                body_out = {
                    "session": self.render.session(session),
                    "identity": identity_json,
                    "continue_with": continue_with,
                }
                return Outcome(status=200, body=body_out, issue_session=session, rotate_csrf=rotate)
            location = done.browser_location or return_to
            if req.accepts_json:
                return Outcome(
                    status=200,
                    body=self.render.session(session),
                    issue_session=session,
                    rotate_csrf=rotate,
                )
            return Outcome(status=303, location=location, issue_session=session, rotate_csrf=rotate)
        if flow.is_api or req.is_json:
            out: dict[str, Any] = {"identity": identity_json}
            if continue_with:
                out["continue_with"] = continue_with
            return Outcome.json(out)
        location = done.browser_location or return_to
        if req.accepts_json and session is not None:
            return Outcome.json(self.render.session(session))
        return Outcome.redirect(location)
