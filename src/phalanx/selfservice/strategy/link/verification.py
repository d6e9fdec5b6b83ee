"""The ``link`` method in the verification flow (Kratos ``link/strategy_verification.go``).

* ``{method: link, email}`` -> a link is mailed -> ``sent_email`` with 1080001;
* ``{method: link, token, csrf_token}`` (the confirmation page's POST) -> the address is
  verified, ``passed_challenge`` with 1080002; unknown/used token: a new flow with 4070001.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from phalanx import text
from phalanx.clock import utcnow
from phalanx.identity.model import Identity, VerifiableAddress
from phalanx.selfservice.flow.base import FlowState, FlowType
from phalanx.selfservice.flow.csrf import tokens_match
from phalanx.selfservice.flow.errors import FlowValidationError, StrategyNotResponsible
from phalanx.selfservice.flow.verification.flow import VerificationFlow
from phalanx.selfservice.flow.verification.strategy import (
    VerificationActions,
    VerificationStrategy,
)
from phalanx.selfservice.request import FlowRequest, Outcome
from phalanx.selfservice.strategy.code.recovery import email_input, submit_button
from phalanx.selfservice.strategy.link.sender import LinkSender
from phalanx.selfservice.strategy.link.store import TokenNotFoundError, TokenStore
from phalanx.ui import NodeGroup

__all__ = ["LinkVerification"]

GROUP = NodeGroup.LINK


class LinkVerification(VerificationStrategy):
    id: ClassVar[str] = "link"

    def __init__(self, sender: LinkSender, store: TokenStore) -> None:
        self.sender = sender
        self.store = store

    def populate(self, flow: VerificationFlow, csrf_token: str) -> None:
        flow.ui.set_csrf(csrf_token)
        flow.ui.upsert(email_input(group=GROUP))
        flow.ui.append(submit_button(self.id, group=GROUP))

    def populate_sent(self, flow: VerificationFlow, csrf_token: str, address: str) -> None:
        flow.ui.nodes = []
        self.populate(flow, csrf_token)
        flow.ui.upsert(email_input(address, group=GROUP))
        flow.ui.messages = [text.verification_link_sent()]

    async def send(
        self, flow: VerificationFlow, identity: Identity, address: VerifiableAddress
    ) -> None:
        await self.sender.send_verification_link_to(flow, identity, address)

    async def verify(
        self,
        req: FlowRequest,
        flow: VerificationFlow,
        values: Mapping[str, Any],
        actions: VerificationActions,
    ) -> Outcome:
        if isinstance(values.get("transient_payload"), dict):
            flow.transient_payload = values["transient_payload"]
        token = values.get("token")
        if isinstance(token, str) and token:
            sent = values.get("csrf_token") or req.headers.get("x-csrf-token")
            if not isinstance(sent, str) or not tokens_match(req.csrf_cookie, sent):
                raise actions.env.csrf_error(req, sent if isinstance(sent, str) else None)
            return await self._use_token(req, flow, token, actions)
        if values.get("method") != self.id:
            raise StrategyNotResponsible()
        if flow.state == FlowState.PASSED_CHALLENGE:
            return await actions.retry(
                req, flow.type, method=self.id, message=text.verification_retry_success()
            )
        if flow.state not in (FlowState.CHOOSE_METHOD, FlowState.SENT_EMAIL):
            return await actions.retry(
                req, flow.type, method=self.id, message=text.verification_state_failure()
            )
        email = values.get("email") if isinstance(values.get("email"), str) else ""
        flow.ui.reset_messages()
        if not email:
            flow.ui.upsert(email_input(group=GROUP))
            raise FlowValidationError(node_messages=[("email", text.validation_required("email"))])
        actions.env.ensure_csrf(req, flow)
        await self.sender.send_verification_link(flow, email)
        flow.ui.upsert(email_input(email, group=GROUP))
        flow.active = self.id
        flow.state = FlowState.SENT_EMAIL
        flow.ui.messages = [text.verification_link_sent()]
        await actions.save(flow)
        return actions.show(req, flow)

    async def _use_token(
        self, req: FlowRequest, flow: VerificationFlow, token: str, actions: VerificationActions
    ) -> Outcome:
        browser = FlowType.BROWSER
        try:
            secret = await self.store.use_verification_token(flow.id, token)
        except TokenNotFoundError:
            return await actions.retry(
                req,
                browser,
                method=self.id,
                message=text.verification_token_invalid(),
                redirect_by_type=True,
            )
        if secret.expires_at <= utcnow():
            return await actions.retry(
                req,
                browser,
                method=self.id,
                message=text.verification_flow_expired(secret.expires_at),
                redirect_by_type=True,
            )
        address = (
            await self.store.get_verifiable_address(secret.address_id)
            if secret.address_id is not None
            else None
        )
        if address is None:
            return await actions.retry(
                req,
                browser,
                method=self.id,
                message=text.verification_token_invalid(),
                redirect_by_type=True,
            )
        return await actions.complete(req, flow, address, as_browser=True)
