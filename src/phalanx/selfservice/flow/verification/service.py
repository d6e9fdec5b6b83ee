"""The verification flow's steps (Kratos ``selfservice/flow/verification``, the verification
halves of the ``code`` and ``link`` strategies and the ``verification`` hook).

Besides the public endpoints, :meth:`VerificationService.send_after_registration`,
:meth:`~VerificationService.send_after_settings` and
:meth:`~VerificationService.start_for_login` start flows for an identity's addresses and
return the ``show_verification_ui`` ``continue_with`` items (Kratos ``hook.Verifier`` and
``hook.AddressVerifier``).

A ``GET`` of the submit URL never verifies anything: ``?code=`` and ``?token=`` (the
links in the mails) yield a confirmation page whose button POSTs them. Kratos consumes link
tokens on the GET, so mail scanners could verify addresses nobody opened, and it writes a
clicked code into the stored flow; here the secret is never stored in the clear. A
correct code or token binds a browser flow to the browser that used it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from phalanx import text
from phalanx.clock import utcnow
from phalanx.errors import (
    BadRequestError,
    FlowReplacedError,
    GoneError,
    KratosError,
    NotFoundError,
)
from phalanx.identity.model import AddressStatus, Identity, VerifiableAddress
from phalanx.identity.pool import IdentityPool
from phalanx.selfservice.flow.base import Flow, FlowKind, FlowState, FlowType
from phalanx.selfservice.flow.csrf import mask_token, new_real_token, tokens_match
from phalanx.selfservice.flow.environment import FlowEnvironment
from phalanx.selfservice.flow.errors import FlowValidationError, StrategyNotResponsible
from phalanx.selfservice.flow.handling import expired_kind_reason, handle_submit_error
from phalanx.selfservice.flow.recovery.service import LinkConfirmation, confirmation, parse_uuid
from phalanx.selfservice.flow.recovery.strategy import submitted_values
from phalanx.selfservice.flow.store import FlowStore
from phalanx.selfservice.flow.verification.flow import VerificationFlow
from phalanx.selfservice.flow.verification.strategy import VerificationStrategy
from phalanx.selfservice.request import FlowRequest, Outcome, with_query
from phalanx.text import UiText
from phalanx.ui import UiContainer, anchor_node

__all__ = ["VerificationService"]

#: internal_context key: a browser flow a hook started in a request that also changes the
#: CSRF cookie (a new session); it is bound to the cookie of that identity's session later.
_BIND_TO_SESSION = "bind_csrf_to_session"


class VerificationService:
    """Create, fetch, submit verification flows; start them from other flows' hooks."""

    def __init__(
        self,
        env: FlowEnvironment,
        store: FlowStore[VerificationFlow],
        strategies: Sequence[VerificationStrategy],
        pool: IdentityPool,
        *,
        enabled: bool,
        use: str,
        lifespan: timedelta,
        legacy_continue_with: bool = False,
    ) -> None:
        self.env = env
        self.store = store
        self.strategies = {s.id: s for s in strategies}
        self.pool = pool
        self.enabled = enabled
        self.use = use
        self.lifespan = lifespan
        self.legacy_continue_with = legacy_continue_with

    # -- flows ---------------------------------------------------------------------------
    def _strategy(self, method: str | None = None) -> VerificationStrategy:
        name = method or self.use
        strategy = self.strategies.get(name)
        if strategy is None:
            raise BadRequestError(
                f"You attempted verification using {name}, which is not enabled or does not "
                "exist. An administrator needs to enable this verification method."
            )
        return strategy

    def _masked_csrf(self, req: FlowRequest, flow: VerificationFlow) -> tuple[str, str | None]:
        if flow.is_browser:
            masked, new_cookie = self.env.csrf_for_new_flow(req)
            flow.csrf_token = masked
            return masked, new_cookie
        return mask_token(new_real_token()), None

    def _blank(self, req: FlowRequest, flow_type: FlowType, method: str) -> VerificationFlow:
        now = utcnow()
        flow_id = uuid.uuid4()
        return VerificationFlow(
            id=flow_id,
            type=flow_type,
            request_url=req.url,
            issued_at=now,
            expires_at=now + self.lifespan,
            created_at=now,
            updated_at=now,
            active=method,
            ui=UiContainer(
                action=self.env.action_url(FlowKind.VERIFICATION, flow_id), method="POST"
            ),
        )

    async def new_flow(
        self, req: FlowRequest, flow_type: FlowType, *, method: str | None = None
    ) -> tuple[VerificationFlow, str | None]:
        strategy = self._strategy(method)
        return_to = req.query.get("return_to")
        if return_to:
            self.env.secure_return_to(return_to, FlowKind.VERIFICATION)
        flow = self._blank(req, flow_type, strategy.id)
        masked, new_cookie = self._masked_csrf(req, flow)
        strategy.populate(flow, masked)
        return flow, new_cookie

    async def save(self, flow: VerificationFlow) -> None:
        flow.updated_at = utcnow()
        await self.store.update(flow)

    def show(self, req: FlowRequest, flow: VerificationFlow, *, status: int = 200) -> Outcome:
        if flow.is_browser and not req.is_json:
            return Outcome.redirect(self.env.flow_ui_url(flow))
        return Outcome.json(flow.to_dict(), status=status)

    def _fetch_url(self, flow: Flow) -> str:
        return with_query(self.env.self_service_url("verification/flows"), id=str(flow.id))

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
        """Kratos ``retryVerificationFlowWith{Message,Error}``."""
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
        if redirect_by_type:
            target = self.env.flow_ui_url(flow) if flow.is_browser else self._fetch_url(flow)
            outcome = Outcome.redirect(target)
        elif req.is_json:
            reason = (
                "An error occured, please retry the flow."
                if error is not None
                else "An error occured, please use the new flow."
            )
            replaced = FlowReplacedError(reason, extra={"use_flow_id": str(flow.id)})
            outcome = Outcome(
                status=410,
                body={"error": replaced.to_dict(), **replaced.extra},
                headers={"Ory-Error-Id": "self_service_flow_replaced"},
            )
        else:
            outcome = Outcome.redirect(self.env.flow_ui_url(flow))
        outcome.set_csrf = new_cookie
        return outcome

    # -- create / fetch ------------------------------------------------------------------
    def _disabled(self) -> BadRequestError:
        return BadRequestError("Verification is not allowed because it was disabled.")

    async def create(self, req: FlowRequest, flow_type: FlowType) -> Outcome:
        """``GET /self-service/verification/{browser,api}``."""
        try:
            if not self.enabled:
                raise self._disabled()
            flow, new_cookie = await self.new_flow(req, flow_type)
        except KratosError as error:
            return await self.env.forward_error(req, error)
        await self.store.create(flow)
        outcome = self.env.flow_or_redirect(req, flow)
        outcome.set_csrf = new_cookie
        return outcome

    async def _load(self, flow_id: uuid.UUID | None) -> VerificationFlow:
        flow = await self.store.get(flow_id) if flow_id is not None else None
        if flow is None:
            raise NotFoundError(
                "The verification request could not be found. Please restart the flow.",
                message="Unable to locate the resource",
            )
        return flow

    async def _csrf_bound(self, req: FlowRequest, flow: VerificationFlow) -> bool:
        """Whether the request's CSRF cookie is the one the browser flow is bound to; a
        hook-started flow is (re)bound once to the browser holding its identity's session."""
        if not flow.is_browser or tokens_match(req.csrf_cookie, flow.csrf_token):
            return True
        if not flow.internal_context.get(_BIND_TO_SESSION) or not req.csrf_cookie:
            return False
        session = await self.env.sessions.from_request(req)
        if session is None or flow.identity_id is None or session.identity_id != flow.identity_id:
            return False
        flow.csrf_token = mask_token(req.csrf_cookie)
        flow.ui.set_csrf(flow.csrf_token)
        flow.internal_context.pop(_BIND_TO_SESSION, None)
        await self.save(flow)
        return True

    async def fetch(self, req: FlowRequest, flow_id: str | None) -> Outcome:
        """``GET /self-service/verification/flows?id=``."""
        if not self.enabled:
            return await self.env.forward_error(req, self._disabled())
        flow = await self._load(parse_uuid(flow_id))
        if not await self._csrf_bound(req, flow):
            raise self.env.csrf_error(req, None)
        if flow.is_expired():
            details: dict[str, Any]
            if flow.is_browser:
                return_to = flow.request_return_to()
                details = {
                    "redirect_to": with_query(
                        self.env.self_service_url("verification/browser"), return_to=return_to
                    ),
                    "return_to": return_to or "",
                }
            else:
                details = {"api": self.env.self_service_url("verification/api")}
            raise GoneError(
                expired_kind_reason(FlowKind.VERIFICATION, api=flow.is_api),
                details=details,
                error_id="self_service_flow_expired",
            )
        return Outcome.json(flow.to_dict())

    # -- submit --------------------------------------------------------------------------
    async def _load_for_submit(self, flow_id: str | None) -> VerificationFlow:
        parsed = parse_uuid(flow_id)
        if parsed is None:
            raise BadRequestError("The flow query parameter is missing or malformed.")
        return await self._load(parsed)

    async def _expired(self, req: FlowRequest, old: VerificationFlow) -> Outcome:
        method = old.active if old.active in self.strategies else None
        new, new_cookie = await self.new_flow(req, old.type, method=method)
        new.request_url = old.request_url
        new.ui.add_message(text.verification_flow_expired(old.expires_at))
        await self.store.create(new)
        if new.is_api or req.is_json:
            outcome = Outcome.redirect(self._fetch_url(new))
        else:
            outcome = Outcome.redirect(self.env.flow_ui_url(new))
        outcome.set_csrf = new_cookie
        return outcome

    async def submit(self, req: FlowRequest, flow_id: str | None) -> Outcome:
        """``POST /self-service/verification?flow=``."""
        try:
            flow = await self._load_for_submit(flow_id)
        except KratosError as error:
            return await self.env.forward_error(req, error)
        if flow.is_expired():
            return await self._expired(req, flow)
        strategy = self.strategies.get(flow.active or "")
        try:
            if strategy is None:
                raise StrategyNotResponsible()
            await self._csrf_bound(req, flow)
            return await strategy.verify(req, flow, submitted_values(req), self)
        except StrategyNotResponsible:
            missing = FlowValidationError([text.no_strategy("verification")])
            return await handle_submit_error(self.env, req, flow, missing, self.store)
        except (FlowValidationError, KratosError) as error:
            return await handle_submit_error(self.env, req, flow, error, self.store)

    async def open(self, req: FlowRequest, flow_id: str | None) -> Outcome | LinkConfirmation:
        """``GET /self-service/verification?flow=[&code=|&token=]``: nothing is used or
        stored; the link's code or token gets a confirmation page that POSTs it."""
        try:
            flow = await self._load_for_submit(flow_id)
        except KratosError as error:
            return await self.env.forward_error(req, error)
        if flow.is_expired():
            return await self._expired(req, flow)
        kind = FlowKind.VERIFICATION
        token, code = req.query.get("token"), req.query.get("code")
        if token:
            return confirmation(self.env, req, kind, flow.id, method="link", token=token)
        if code:
            return confirmation(self.env, req, kind, flow.id, method="code", code=code)
        if flow.is_browser or not req.is_json:
            return Outcome.redirect(self.env.flow_ui_url(flow))
        return Outcome.json(flow.to_dict())

    # -- success ---------------------------------------------------------------------------
    def continue_url(self, flow: VerificationFlow) -> str:
        """Kratos ``Flow.ContinueURL``: the flow's allowed ``return_to``, else the
        ``verification.after`` / global default return URL."""
        try:
            return self.env.secure_return_to(flow.request_return_to(), FlowKind.VERIFICATION)
        except KratosError:
            return self.env.default_return_url(FlowKind.VERIFICATION)

    async def complete(
        self,
        req: FlowRequest,
        flow: VerificationFlow,
        address: VerifiableAddress,
        *,
        as_browser: bool = False,
    ) -> Outcome:
        now = utcnow()
        address.verified = True
        address.verified_at = now
        address.status = AddressStatus.COMPLETED
        await self.pool.update_verifiable_address(address)
        back = self.continue_url(flow)
        flow.ui = UiContainer(action=back, method="GET")
        flow.state = FlowState.PASSED_CHALLENGE
        masked, new_cookie = self._masked_csrf(req, flow)
        flow.ui.set_csrf(masked)
        sms = address.via == "sms"
        flow.ui.messages = [
            text.verification_phone_successful() if sms else text.verification_successful()
        ]
        group = flow.active or "code"
        flow.ui.append(
            anchor_node("continue", back, group=group, title=text.label_continue()).with_label(
                text.label_continue()
            )
        )
        await self.save(flow)
        if as_browser and not req.is_json:
            # A link is opened in a browser whatever kind of flow sent it (Kratos answers
            # browser requests with the verification UI).
            outcome = Outcome.redirect(self.env.flow_ui_url(flow))
        else:
            outcome = self.show(req, flow)
        outcome.set_csrf = new_cookie
        return outcome

    # -- hooks: flows for an identity ------------------------------------------------------
    async def send_after_registration(
        self, req: FlowRequest, identity: Identity, flow_type: str
    ) -> list[dict[str, Any]]:
        """Registration's verification hook: a flow for the (first) unverified address."""
        if not self.enabled:
            return []
        addresses = [a for a in identity.verifiable_addresses if not a.verified and a.value]
        return await self._start(req, identity, FlowType(flow_type), addresses, rebind=True)

    async def send_after_settings(
        self, req: FlowRequest, identity: Identity, flow_type: FlowType | str
    ) -> list[dict[str, Any]]:
        """Settings' verification hook: flows for addresses still ``pending`` (new ones)."""
        if not self.enabled:
            return []
        addresses = [
            a
            for a in identity.verifiable_addresses
            if a.status == AddressStatus.PENDING and a.value and not a.verified
        ]
        return await self._start(req, identity, FlowType(flow_type), addresses, rebind=False)

    async def start_for_login(
        self, req: FlowRequest, login_flow: Flow, identity: Identity, address: VerifiableAddress
    ) -> dict[str, Any]:
        """``require_verified_address``: a flow for ``address``, sent; its continue item."""
        items = await self._start(req, identity, login_flow.type, [address], rebind=False)
        return items[0]

    async def _start(
        self,
        req: FlowRequest,
        identity: Identity,
        flow_type: FlowType,
        addresses: Sequence[VerifiableAddress],
        *,
        rebind: bool,
    ) -> list[dict[str, Any]]:
        strategy = self._strategy()
        items: list[dict[str, Any]] = []
        for address in addresses:
            flow = self._blank(req, flow_type, strategy.id)
            flow.request_url = _post_hook_request_url(req.url)
            flow.identity_id = identity.id
            flow.state = FlowState.SENT_EMAIL
            if req.session is not None:
                flow.session_id = req.session.id
            masked, _ = self._masked_csrf(req, flow)
            if rebind and flow.is_browser:
                flow.internal_context[_BIND_TO_SESSION] = True
            strategy.populate_sent(flow, masked, address.value)
            await self.store.create(flow)
            await strategy.send(flow, identity, address)
            address.status = AddressStatus.SENT
            await self.pool.update_verifiable_address(address)
            item: dict[str, Any] = {"id": str(flow.id), "verifiable_address": address.value}
            if flow.is_browser:
                item["url"] = self.env.flow_ui_url(flow)
            items.append({"action": "show_verification_ui", "flow": item})
            if not self.legacy_continue_with:
                break  # Kratos: one flow, the client can only be sent to one place
        return items


def _post_hook_request_url(url: str) -> str:
    """Kratos ``NewPostHookFlow``: ``after_verification_return_to`` becomes ``return_to``."""
    from urllib.parse import parse_qsl, urlsplit

    values = dict(parse_qsl(urlsplit(url).query))
    after = values.get("after_verification_return_to")
    if after:
        return with_query(url, return_to=after, after_verification_return_to=None)
    return with_query(url, after_verification_return_to=None) if values else url
