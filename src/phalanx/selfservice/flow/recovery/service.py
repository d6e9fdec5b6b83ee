"""The recovery flow's steps (Kratos ``selfservice/flow/recovery`` and the recovery halves
of the ``code`` and ``link`` strategies).

``create`` / ``fetch`` / ``submit`` are the public endpoints; ``open`` answers a ``GET`` of
the submit URL (a link from an e-mail) WITHOUT consuming anything:

``?token=`` (a recovery link) or ``?code=`` yields a :class:`LinkConfirmation`, a page
whose button POSTs it. Kratos consumes link tokens on the GET itself, so a mail scanner
that prefetches links would burn them (or worse, log itself in); here only the POST does,
and the secret is never written anywhere (Kratos puts a clicked code into the stored flow).

The flow finishes in :meth:`RecoveryService.complete`: a fresh, privileged session
(``code_recovery`` / ``link_recovery``), a settings flow for the recovered identity carrying
message 1060001, and the answer that sends the client there.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from phalanx import text
from phalanx.clock import isoformat, utcnow
from phalanx.errors import (
    BadRequestError,
    BrowserLocationChangeRequiredError,
    FlowExpiredError,
    GoneError,
    IdentityDisabledError,
    KratosError,
    NotFoundError,
    SessionAlreadyAvailableError,
    error_envelope,
)
from phalanx.identity.model import Identity
from phalanx.selfservice.flow.base import FlowKind, FlowState, FlowType
from phalanx.selfservice.flow.csrf import mask_token, new_real_token, tokens_match
from phalanx.selfservice.flow.environment import FlowEnvironment
from phalanx.selfservice.flow.errors import FlowValidationError, StrategyNotResponsible
from phalanx.selfservice.flow.handling import expired_kind_reason, handle_submit_error
from phalanx.selfservice.flow.recovery.flow import RecoveryFlow
from phalanx.selfservice.flow.recovery.strategy import (
    AdminRecovery,
    RecoveryStrategy,
    submitted_values,
)
from phalanx.selfservice.flow.settings.flow import SettingsFlow
from phalanx.selfservice.flow.store import FlowStore
from phalanx.selfservice.request import FlowRequest, Outcome, with_query
from phalanx.session.model import AuthenticationMethod
from phalanx.text import UiText
from phalanx.ui import UiContainer

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

    def new_flow(
        self, req: FlowRequest, flow_type: FlowType, identity: Identity, request_url: str
    ) -> tuple[SettingsFlow, str | None]: ...


@dataclass(slots=True)
class LinkConfirmation:
    """A link was opened: the page that asks before the token is used.

    ``fields`` are the hidden inputs of the form that POSTs to ``action``.
    """

    kind: FlowKind
    action: str
    fields: dict[str, str]
    set_csrf: str | None = None


def confirmation(
    env: FlowEnvironment,
    req: FlowRequest,
    kind: FlowKind,
    flow_id: uuid.UUID,
    **fields: str,
) -> LinkConfirmation:
    """The confirmation page of an opened link: its form POSTs ``fields`` with this
    browser's CSRF token (a cookie is set if the browser had none)."""
    masked, new_cookie = env.csrf_for_new_flow(req)
    return LinkConfirmation(
        kind=kind,
        action=env.action_url(kind, flow_id),
        fields={**fields, "csrf_token": masked},
        set_csrf=new_cookie,
    )


def take_over_return_to(source: str, target: str, fallback: str | None) -> str:
    """Kratos ``redir.TakeOverReturnToParameter``: ``target`` with ``source``'s
    ``return_to`` (else ``fallback``) set."""
    values = dict(parse_qsl(urlsplit(source).query))
    return_to = values.get("return_to") or fallback
    return with_query(target, return_to=return_to) if return_to else target


def parse_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None


class RecoveryService:
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
        self.env = env
        self.store = store
        self.strategies = {s.id: s for s in strategies}
        self.settings = settings
        self.enabled = enabled
        self.use = use
        self.lifespan = lifespan
        self.privileged_max_age = privileged_max_age
        self.after_hooks = after_hooks
        self.continue_with_transitions = continue_with_transitions

    # -- flows ---------------------------------------------------------------------------
    def _strategy(self, method: str) -> RecoveryStrategy:
        strategy = self.strategies.get(method)
        if strategy is None:
            raise BadRequestError(
                f"You attempted recovery using {method}, which is not enabled or does not "
                "exist. An administrator needs to enable this recovery method."
            )
        return strategy

    async def new_flow(
        self,
        req: FlowRequest,
        flow_type: FlowType,
        *,
        lifespan: timedelta | None = None,
        method: str | None = None,
    ) -> tuple[RecoveryFlow, str | None]:
        strategy = self._strategy(method or self.use)
        return_to = req.query.get("return_to")
        if return_to:
            self.env.secure_return_to(return_to, FlowKind.RECOVERY)
        now = utcnow()
        flow_id = uuid.uuid4()
        flow = RecoveryFlow(
            id=flow_id,
            type=flow_type,
            request_url=req.url,
            issued_at=now,
            expires_at=now + (lifespan or self.lifespan),
            created_at=now,
            updated_at=now,
            active=strategy.id,
            ui=UiContainer(action=self.env.action_url(FlowKind.RECOVERY, flow_id), method="POST"),
        )
        new_cookie = None
        if flow_type == FlowType.BROWSER:
            masked, new_cookie = self.env.csrf_for_new_flow(req)
            flow.csrf_token = masked
        else:
            # Kratos puts a CSRF node on API recovery flows too; it is never checked.
            masked = mask_token(new_real_token())
        strategy.populate(flow, masked)
        return flow, new_cookie

    async def save(self, flow: RecoveryFlow) -> None:
        flow.updated_at = utcnow()
        await self.store.update(flow)

    async def insert(self, flow: RecoveryFlow) -> None:
        await self.store.create(flow)

    def show(self, req: FlowRequest, flow: RecoveryFlow, *, status: int = 200) -> Outcome:
        if flow.is_browser and not req.is_json:
            return Outcome.redirect(self.env.flow_ui_url(flow))
        return Outcome.json(flow.to_dict(), status=status)

    def _fetch_url(self, flow: RecoveryFlow) -> str:
        return with_query(self.env.self_service_url("recovery/flows"), id=str(flow.id))

    async def already_logged_in(self, req: FlowRequest) -> Outcome:
        if req.is_json:
            raise SessionAlreadyAvailableError(_ALREADY, message=BadRequestError.default_message)
        return Outcome(status=302, location=self.env.secure_return_to(None, FlowKind.RECOVERY))

    async def retry(
        self,
        req: FlowRequest,
        flow_type: FlowType,
        *,
        method: str,
        message: UiText | None = None,
        error: Exception | None = None,
        redirect_by_type: bool = False,
    ) -> Outcome:
        """Kratos ``retryRecoveryFlow``: a new flow with the message, the client sent to it
        (303 to the UI for browsers; JSON clients to ``/self-service/recovery/flows?id=``)."""
        flow, new_cookie = await self.new_flow(req, flow_type, method=method)
        if message is not None:
            flow.ui.add_message(message)
        if isinstance(error, KratosError):
            if error.code != 400:
                raise error
            flow.ui.add_message(text.validation_generic(error.reason or error.message))
        elif error is not None:
            raise error
        await self.store.create(flow)
        to_ui = flow.is_browser if redirect_by_type else not req.is_json and flow.is_browser
        outcome = Outcome.redirect(self.env.flow_ui_url(flow) if to_ui else self._fetch_url(flow))
        outcome.set_csrf = new_cookie
        return outcome

    # -- create / fetch ------------------------------------------------------------------
    def _disabled(self) -> BadRequestError:
        return BadRequestError("Recovery is not allowed because it was disabled.")

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
        await self.store.create(flow)
        outcome = self.env.flow_or_redirect(req, flow)
        outcome.set_csrf = new_cookie
        return outcome

    async def _load(self, flow_id: uuid.UUID | None) -> RecoveryFlow:
        flow = await self.store.get(flow_id) if flow_id is not None else None
        if flow is None:
            raise NotFoundError(
                "The recovery request could not be found. Please restart the flow.",
                message="Unable to locate the resource",
            )
        return flow

    async def fetch(self, req: FlowRequest, flow_id: str | None) -> Outcome:
        """``GET /self-service/recovery/flows?id=``."""
        if not self.enabled:
            return await self.env.forward_error(req, self._disabled())
        flow = await self._load(parse_uuid(flow_id))
        if (
            flow.is_browser
            and not flow.skip_csrf_check
            and not tokens_match(req.csrf_cookie, flow.csrf_token)
        ):
            raise self.env.csrf_error(req, None)
        if flow.is_expired():
            if flow.is_browser:
                return_to = flow.request_return_to()
                raise GoneError(
                    expired_kind_reason(FlowKind.RECOVERY, api=False),
                    details={
                        "redirect_to": with_query(
                            self.env.self_service_url("recovery/browser"), return_to=return_to
                        ),
                        "return_to": return_to or "",
                    },
                    error_id="self_service_flow_expired",
                )
            since = utcnow() - flow.expires_at
            raise FlowExpiredError(
                f"The self-service flow expired {since.total_seconds() / 60:.2f} minutes ago, "
                "initialize a new one.",
                details={"api": self.env.self_service_url("recovery/api")},
                extra={
                    "expired_at": isoformat(flow.expires_at),
                    "since": int(since.total_seconds() * 1_000_000_000),
                    "use_flow_id": _NIL,
                },
            )
        return Outcome.json(flow.to_dict())

    # -- submit --------------------------------------------------------------------------
    async def _load_for_submit(self, req: FlowRequest, flow_id: str | None) -> RecoveryFlow:
        parsed = parse_uuid(flow_id)
        if parsed is None:
            raise BadRequestError("The flow query parameter is missing or malformed.")
        return await self._load(parsed)

    async def _expired(self, req: FlowRequest, old: RecoveryFlow) -> Outcome:
        """A fresh flow with 4060005; API/JSON clients are sent to fetch it, browsers to the
        UI (Kratos's error handler without ``use_continue_with_transitions``)."""
        flow_type = old.type
        if old.is_api and old.active == "link":
            flow_type = FlowType.BROWSER
        method = old.active if old.active in self.strategies else None
        new, new_cookie = await self.new_flow(req, flow_type, method=method)
        new.request_url = old.request_url
        new.ui.add_message(text.recovery_flow_expired(old.expires_at))
        await self.store.create(new)
        if new.is_api or req.is_json:
            outcome = Outcome.redirect(self._fetch_url(new))
        else:
            outcome = Outcome.redirect(self.env.flow_ui_url(new))
        outcome.set_csrf = new_cookie
        return outcome

    async def submit(self, req: FlowRequest, flow_id: str | None) -> Outcome:
        """``POST /self-service/recovery?flow=``."""
        try:
            flow = await self._load_for_submit(req, flow_id)
        except KratosError as error:
            return await self.env.forward_error(req, error)
        if flow.is_expired():
            return await self._expired(req, flow)
        strategy = self.strategies.get(flow.active or "")
        try:
            if strategy is None:
                raise StrategyNotResponsible()
            return await strategy.recover(req, flow, submitted_values(req), self)
        except StrategyNotResponsible:
            missing = FlowValidationError([text.no_strategy("recovery")])
            return await handle_submit_error(self.env, req, flow, missing, self.store)
        except (FlowValidationError, KratosError) as error:
            return await handle_submit_error(self.env, req, flow, error, self.store)

    async def open(self, req: FlowRequest, flow_id: str | None) -> Outcome | LinkConfirmation:
        """``GET /self-service/recovery?flow=[&code=|&token=]``: nothing is used or stored;
        a code or token gets a confirmation page that POSTs it."""
        try:
            flow = await self._load_for_submit(req, flow_id)
        except KratosError as error:
            return await self.env.forward_error(req, error)
        if flow.is_expired():
            return await self._expired(req, flow)
        token, code = req.query.get("token"), req.query.get("code")
        if token:
            return confirmation(
                self.env, req, FlowKind.RECOVERY, flow.id, method="link", token=token
            )
        if code:
            return confirmation(self.env, req, FlowKind.RECOVERY, flow.id, method="code", code=code)
        return self.show(req, flow)

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
        flow, _ = self.settings.new_flow(req, flow_type, identity, req.url)
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
            raise NotFoundError(
                "This endpoint was disabled by system administrator. Please check your url or "
                "contact the system administrator to enable it."
            )
        return await strategy.create_for_identity(req, identity, lifespan, flow_type, self)


def _skip_settings(request_url: str) -> bool:
    values: Mapping[str, str] = dict(parse_qsl(urlsplit(request_url).query))
    return values.get("skip_settings", "").lower() in ("1", "t", "true")
