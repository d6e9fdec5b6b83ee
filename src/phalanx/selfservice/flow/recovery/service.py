"""The recovery flow's steps (Kratos ``selfservice/flow/recovery`` and the recovery halves
of the ``code`` and ``link`` strategies).

``create`` / ``fetch`` / ``submit`` are the public endpoints; ``open`` answers a ``GET`` of
the submit URL (a link from an e-mail), see :meth:`ChallengeService.open`: ``?token=`` (a
recovery link) is used as Kratos does, or -- with ``phalanx.link_confirmation`` -- answered
by a :class:`LinkConfirmation` page whose button POSTs it, so that mail scanners cannot
burn it; ``?code=`` is filled into the flow and nothing is used.

The flow finishes in :meth:`RecoveryService.complete`: a fresh, privileged session
(``code_recovery`` / ``link_recovery``), a settings flow for the recovered identity carrying
message 1060001, and the answer that sends the client there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from phalanx import text
from phalanx.clock import isoformat, utcnow
from phalanx.errors import (
    BadRequestError,
    BrowserLocationChangeRequiredError,
    FlowExpiredError,
    IdentityDisabledError,
    KratosError,
    SessionAlreadyAvailableError,
    endpoint_disabled,
    error_envelope,
)
from phalanx.identity.model import Identity
from phalanx.selfservice.flow.base import FlowKind, FlowState, FlowType
from phalanx.selfservice.flow.challenge import ChallengeService, LinkConfirmation, confirmation
from phalanx.selfservice.flow.csrf import mask_token, new_real_token
from phalanx.selfservice.flow.environment import FlowEnvironment
from phalanx.selfservice.flow.handling import expired_error
from phalanx.selfservice.flow.recovery.flow import RecoveryFlow
from phalanx.selfservice.flow.recovery.strategy import (
    AdminRecovery,
    AlreadyLoggedIn,
    Recovered,
    RecoveryResult,
    RecoveryStrategy,
)
from phalanx.selfservice.flow.settings.flow import SettingsFlow
from phalanx.selfservice.flow.store import FlowStore
from phalanx.selfservice.request import FlowRequest, Outcome, with_query
from phalanx.session.model import AuthenticationMethod

__all__ = [
    "LinkConfirmation",
    "RecoveryService",
    "SettingsFlows",
    "confirmation",
    "take_over_return_to",
]

_ALREADY = "A valid session was detected and thus recovery is not possible."
_NIL = "00000000-0000-0000-0000-000000000000"


class SettingsFlows(Protocol):
    """What recovery needs of the settings flow: make a flow for an identity and store it."""

    store: FlowStore[SettingsFlow]

    async def new_flow(
        self, req: FlowRequest, flow_type: FlowType, identity: Identity, request_url: str
    ) -> tuple[SettingsFlow, str | None]: ...


def take_over_return_to(source: str, target: str, fallback: str | None) -> str:
    """Kratos ``redir.TakeOverReturnToParameter``: ``target`` with ``source``'s
    ``return_to`` (else ``fallback``) set."""
    values = dict(parse_qsl(urlsplit(source).query))
    return_to = values.get("return_to") or fallback
    return with_query(target, return_to=return_to) if return_to else target


class RecoveryService(ChallengeService[RecoveryFlow, RecoveryStrategy]):
    """Create, fetch, submit and finish recovery flows; see the module docstring."""

    def __init__(
        self,
        env: FlowEnvironment,
        store: FlowStore[RecoveryFlow],
        strategies: Sequence[RecoveryStrategy],
        settings: SettingsFlows,
        *,
        enabled: bool,
        use: str,
        lifespan: timedelta,
        privileged_max_age: timedelta,
        after_hooks: Callable[[], Sequence[str]] = list,
        continue_with_transitions: bool = False,
    ) -> None:
        super().__init__(
            RecoveryFlow, env, store, strategies, enabled=enabled, use=use, lifespan=lifespan
        )
        self.settings = settings
        self.privileged_max_age = privileged_max_age
        self.after_hooks = after_hooks
        self.continue_with_transitions = continue_with_transitions

    # -- answers -------------------------------------------------------------------------
    async def already_logged_in(self, req: FlowRequest) -> Outcome:
        if req.is_json:
            raise SessionAlreadyAvailableError(_ALREADY, message=BadRequestError.default_message)
        return Outcome(status=302, location=self.env.secure_return_to(None, FlowKind.RECOVERY))

    def _retried(self, req: FlowRequest, flow: RecoveryFlow, error: Exception | None) -> Outcome:
        """Kratos ``retryRecoveryFlow``: 303 to the UI for browsers; JSON clients and API
        flows to ``/self-service/recovery/flows?id=``."""
        to_ui = not req.is_json and flow.is_browser
        return Outcome.redirect(self.env.flow_ui_url(flow) if to_ui else self._fetch_url(flow))

    def _show_opened(self, req: FlowRequest, flow: RecoveryFlow) -> Outcome:
        return self.show(req, flow)

    # -- create / fetch ------------------------------------------------------------------
    async def create(self, req: FlowRequest, flow_type: FlowType) -> Outcome:
        """``GET /self-service/recovery/{browser,api}`` (guarded: no session allowed)."""
        if await self.env.sessions.from_request(req) is not None:
            if flow_type == FlowType.BROWSER and not req.is_json:
                try:
                    target = self.env.secure_return_to(
                        req.query.get("return_to"), FlowKind.RECOVERY
                    )
                except KratosError:
                    target = self.env.config.default_browser_return_url
                return Outcome(status=302, location=target)
            raise SessionAlreadyAvailableError(_ALREADY, message=BadRequestError.default_message)
        try:
            if not self.enabled:
                raise self._disabled()
            self._strategy(self.use)
        except KratosError as error:
            return await self.env.forward_error(req, error)
        try:
            flow, new_cookie = await self.new_flow(req, flow_type)
        except KratosError as error:
            if flow_type == FlowType.API:
                raise
            return await self.env.forward_error(req, error)
        return await self._created(req, flow, new_cookie)

    async def _csrf_bound(self, req: FlowRequest, flow: RecoveryFlow) -> bool:
        """Flows an administrator made may be opened in any browser."""
        return flow.skip_csrf_check or await super()._csrf_bound(req, flow)

    def _expired_fetch_error(self, flow: RecoveryFlow) -> KratosError:
        """Browsers get the flows' usual 410; API clients Kratos's ``FlowExpiredError``
        without a replacement flow (``use_flow_id`` is the nil UUID)."""
        if flow.is_browser:
            return super()._expired_fetch_error(flow)
        since = utcnow() - flow.expires_at
        return FlowExpiredError(
            f"The self-service flow expired {since.total_seconds() / 60:.2f} minutes ago, "
            "initialize a new one.",
            details={"api": self.env.self_service_url("recovery/api")},
            extra={
                "expired_at": isoformat(flow.expires_at),
                "since": int(since.total_seconds() * 1_000_000_000),
                "use_flow_id": _NIL,
            },
        )

    # -- submit --------------------------------------------------------------------------
    async def _expired(self, req: FlowRequest, old: RecoveryFlow) -> Outcome:
        """With ``feature_flags.use_continue_with_transitions``, an expired flow replaced by
        an API flow answers 410 naming the new flow in ``use_flow_id`` and in
        ``details.continue_with`` (``show_recovery_ui``), as Kratos's recovery error
        handler does; otherwise the redirects of :meth:`ChallengeService._expired`."""
        if not self.continue_with_transitions or self._replacement_type(old) != FlowType.API:
            return await super()._expired(req, old)
        new, _ = await self._replace_expired(req, old)
        error = expired_error(old, str(new.id))
        error.details["continue_with"] = [
            {"action": "show_recovery_ui", "flow": {"id": str(new.id)}}
        ]
        raise error

    def _replacement_type(self, old: RecoveryFlow) -> FlowType:
        """An expired link flow is replaced by a browser flow: links open in browsers."""
        if old.is_api and old.active == "link":
            return FlowType.BROWSER
        return old.type

    async def _handle(
        self,
        req: FlowRequest,
        flow: RecoveryFlow,
        strategy: RecoveryStrategy,
        values: Mapping[str, Any],
    ) -> RecoveryResult:
        return await strategy.recover(req, flow, values, self.env)

    async def _finish(
        self, req: FlowRequest, flow: RecoveryFlow, strategy: RecoveryStrategy, result: Any
    ) -> Outcome:
        if isinstance(result, AlreadyLoggedIn):
            return await self.already_logged_in(req)
        if isinstance(result, Recovered):
            return await self.complete(
                req, flow, result.identity, strategy.id, as_browser=result.as_browser
            )
        raise TypeError(f"unexpected recovery result {result!r}")

    # -- the end -------------------------------------------------------------------------
    async def complete(
        self,
        req: FlowRequest,
        flow: RecoveryFlow,
        identity: Identity,
        method: str,
        *,
        as_browser: bool = False,
    ) -> Outcome:
        """Kratos ``recoveryIssueSession``; ``method`` is ``code`` or ``link``."""
        if not identity.is_active:
            raise IdentityDisabledError()
        browser = flow.is_browser or as_browser
        flow.ui.messages = []
        flow.state = FlowState.PASSED_CHALLENGE
        flow.recovered_identity_id = identity.id
        new_cookie = None
        if browser:
            # A new session gets a new CSRF token; the flows made below are bound to it.
            new_cookie = new_real_token()
            req.csrf_cookie = new_cookie
            flow.csrf_token = mask_token(new_cookie)
            flow.ui.set_csrf(flow.csrf_token)
        await self.save(flow)
        session = await self.env.sessions.issue(
            identity, AuthenticationMethod(method=f"{method}_recovery"), req
        )
        await self.env.audit.succeeded(flow, identity.id, method, session=session)
        await self.env.after_hooks(req, flow, identity, method)
        if "revoke_active_sessions" in self.after_hooks():
            await self.env.sessions.revoke_others(identity.id, session.id)
        continue_with: list[dict[str, Any]] = []
        if not browser:
            continue_with.append(
                {"action": "set_ory_session_token", "ory_session_token": session.token}
            )
        issue = session if browser else None
        if _skip_settings(flow.request_url):
            return_to = self.env.secure_return_to(flow.request_return_to(), FlowKind.RECOVERY)
            flow.continue_with = continue_with
            if browser and not req.is_json:
                outcome = Outcome.redirect(return_to)
            else:
                outcome = Outcome.json(flow.to_dict())
            outcome.issue_session, outcome.set_csrf = issue, new_cookie
            return outcome
        settings_flow = await self._settings_flow(req, flow, identity, browser)
        settings_url = self.env.flow_ui_url(settings_flow)
        show_settings: dict[str, Any] = {"id": str(settings_flow.id)}
        if browser:
            show_settings["url"] = settings_url
        continue_with.append({"action": "show_settings_ui", "flow": show_settings})
        flow.continue_with = continue_with
        if browser and not req.is_json:
            outcome = Outcome.redirect(settings_url)
        elif browser and not self.continue_with_transitions:
            # Kratos v25.4 (no continue_with transitions) tells SPAs to navigate; the
            # continue_with items ride along as an extra top-level key.
            error = BrowserLocationChangeRequiredError(settings_url)
            body = error_envelope(error)
            body["continue_with"] = continue_with
            outcome = Outcome(status=422, body=body, headers={"Ory-Error-Id": str(error.id)})
        else:
            outcome = Outcome.json(flow.to_dict())
        outcome.issue_session, outcome.set_csrf = issue, new_cookie
        return outcome

    async def _settings_flow(
        self, req: FlowRequest, recovery: RecoveryFlow, identity: Identity, browser: bool
    ) -> SettingsFlow:
        flow_type = FlowType.BROWSER if browser else FlowType.API
        flow, _ = await self.settings.new_flow(req, flow_type, identity, req.url)
        after = self.env.config.selfservice.flows.recovery.after.default_browser_return_url
        fallback = self.env.config.absolute_url(str(after)) if after else None
        flow.request_url = take_over_return_to(recovery.request_url, flow.request_url, fallback)
        now = utcnow()
        flow.ui.messages = [text.recovery_successful(now + self.privileged_max_age, now=now)]
        await self.settings.store.create(flow)
        return flow

    # -- admin ---------------------------------------------------------------------------
    async def create_for_identity(
        self,
        req: FlowRequest,
        method: str,
        identity: Identity,
        lifespan: timedelta,
        flow_type: FlowType,
    ) -> AdminRecovery:
        """``POST /admin/recovery/{code,link}`` for an enabled method."""
        strategy = self.strategies.get(method)
        if strategy is None:
            raise endpoint_disabled()
        flow, _ = await self.new_flow(
            req, strategy.admin_flow_type or flow_type, lifespan=lifespan, method=strategy.id
        )
        strategy.prepare_admin_flow(flow)
        await self.store.create(flow)
        issued = await strategy.admin_secret(flow, identity, lifespan, self.env)
        await self.env.audit.recovery_issued(flow, identity.id, strategy.id, lifespan)
        return issued


def _skip_settings(request_url: str) -> bool:
    values: Mapping[str, str] = dict(parse_qsl(urlsplit(request_url).query))
    return values.get("skip_settings", "").lower() in ("1", "t", "true")
