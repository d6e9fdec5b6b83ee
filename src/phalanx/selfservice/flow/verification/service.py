"""The verification flow's steps (Kratos ``selfservice/flow/verification``, the verification
halves of the ``code`` and ``link`` strategies and the ``verification`` hook).

Besides the public endpoints, :meth:`VerificationService.send_after_registration`,
:meth:`~VerificationService.send_after_settings` and
:meth:`~VerificationService.start_for_login` start flows for an identity's addresses and
return the ``show_verification_ui`` ``continue_with`` items (Kratos ``hook.Verifier`` and
``hook.AddressVerifier``).

A ``GET`` of the submit URL (the links in the mails) is answered as in Kratos: ``?code=``
is filled into the flow's code input and the browser sent to the UI, nothing verified;
``?token=`` is used -- or, with ``phalanx.link_confirmation``, answered by a page whose
button POSTs it (see :meth:`ChallengeService.open`). A correct code or token binds a
browser flow to the browser that used it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from phalanx import text
from phalanx.clock import utcnow
from phalanx.errors import FlowReplacedError, KratosError
from phalanx.identity.model import AddressStatus, Identity, VerifiableAddress
from phalanx.identity.pool import IdentityPool
from phalanx.selfservice.flow.base import Flow, FlowKind, FlowState, FlowType
from phalanx.selfservice.flow.challenge import ChallengeService
from phalanx.selfservice.flow.csrf import mask_token, tokens_match
from phalanx.selfservice.flow.environment import FlowEnvironment
from phalanx.selfservice.flow.lifecycle import mint_csrf
from phalanx.selfservice.flow.store import FlowStore
from phalanx.selfservice.flow.verification.flow import VerificationFlow
from phalanx.selfservice.flow.verification.strategy import (
    VerificationResult,
    VerificationStrategy,
    Verified,
)
from phalanx.selfservice.request import FlowRequest, Outcome, with_query
from phalanx.ui import UiContainer, anchor_node

__all__ = ["VerificationService"]

#: internal_context key: a browser flow a hook started in a request that also changes the
#: CSRF cookie (a new session); it is bound to the cookie of that identity's session later.
_BIND_TO_SESSION = "bind_csrf_to_session"


class VerificationService(ChallengeService[VerificationFlow, VerificationStrategy]):
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
        super().__init__(
            VerificationFlow, env, store, strategies, enabled=enabled, use=use, lifespan=lifespan
        )
        self.pool = pool
        self.legacy_continue_with = legacy_continue_with

    # -- answers -------------------------------------------------------------------------
    def _retried(
        self, req: FlowRequest, flow: VerificationFlow, error: Exception | None
    ) -> Outcome:
        """Kratos ``retryVerificationFlowWith{Message,Error}``: JSON clients get the 410
        ``self_service_flow_replaced`` naming the new flow, others a 303 to its UI."""
        if not req.is_json:
            return Outcome.redirect(self.env.flow_ui_url(flow))
        reason = (
            "An error occured, please retry the flow."
            if error is not None
            else "An error occured, please use the new flow."
        )
        replaced = FlowReplacedError(reason, extra={"use_flow_id": str(flow.id)})
        return Outcome(
            status=410,
            body={"error": replaced.to_dict(), **replaced.extra},
            headers={"Ory-Error-Id": "self_service_flow_replaced"},
        )

    def _show_opened(self, req: FlowRequest, flow: VerificationFlow) -> Outcome:
        if flow.is_browser or not req.is_json:
            return Outcome.redirect(self.env.flow_ui_url(flow))
        return Outcome.json(flow.to_dict())

    # -- create / fetch / submit -----------------------------------------------------------
    async def create(self, req: FlowRequest, flow_type: FlowType) -> Outcome:
        """``GET /self-service/verification/{browser,api}``."""
        try:
            if not self.enabled:
                raise self._disabled()
            flow, new_cookie = await self.new_flow(req, flow_type)
        except KratosError as error:
            return await self.env.forward_error(req, error)
        return await self._created(req, flow, new_cookie)

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

    async def _handle(
        self,
        req: FlowRequest,
        flow: VerificationFlow,
        strategy: VerificationStrategy,
        values: Mapping[str, Any],
    ) -> VerificationResult:
        await self._csrf_bound(req, flow)
        return await strategy.verify(req, flow, values, self.env)

    async def _finish(
        self,
        req: FlowRequest,
        flow: VerificationFlow,
        strategy: VerificationStrategy,
        result: Any,
    ) -> Outcome:
        if isinstance(result, Verified):
            return await self.complete(req, flow, result.address, as_browser=result.as_browser)
        raise TypeError(f"unexpected verification result {result!r}")

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
        await self.env.audit.succeeded(flow, address.identity_id, flow.active, via=address.via)
        points = self.env.hooks(flow.kind)
        if points is not None and points.wants_after(flow.active):
            identity = await self.pool.get(address.identity_id)
            if identity is not None:
                await self.env.after_hooks(req, flow, identity, flow.active)
        back = self.continue_url(flow)
        flow.ui = UiContainer(action=back, method="GET")
        flow.state = FlowState.PASSED_CHALLENGE
        masked, new_cookie = mint_csrf(self.env, req, flow)
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

    async def decoy_after_registration(
        self, req: FlowRequest, identity: Identity, flow_type: str
    ) -> list[dict[str, Any]]:
        """Registration under account enumeration mitigation, for addresses that have an
        account: the ``continue_with`` a new identity gets, for a flow that sends nothing
        (``identity`` is not stored)."""
        if not self.enabled:
            return []
        addresses = [a for a in identity.verifiable_addresses if not a.verified and a.value]
        return await self._start(
            req, identity, FlowType(flow_type), addresses, rebind=True, decoy=True
        )

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
        decoy: bool = False,
    ) -> list[dict[str, Any]]:
        strategy = self._strategy()
        items: list[dict[str, Any]] = []
        for address in addresses:
            flow = self._blank(req, flow_type, strategy.id)
            flow.request_url = _post_hook_request_url(req.url)
            flow.identity_id = None if decoy else identity.id
            flow.state = FlowState.SENT_EMAIL
            if req.session is not None:
                flow.session_id = req.session.id
            masked, _ = mint_csrf(self.env, req, flow)
            if rebind and flow.is_browser:
                flow.internal_context[_BIND_TO_SESSION] = True
            strategy.populate_sent(flow, masked, address.value)
            await self.store.create(flow)
            address.status = AddressStatus.SENT
            if not decoy:
                await strategy.send(flow, identity, address)
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
    values = dict(parse_qsl(urlsplit(url).query))
    after = values.get("after_verification_return_to")
    if after:
        return with_query(url, return_to=after, after_verification_return_to=None)
    return with_query(url, after_verification_return_to=None) if values else url
