"""The ``link`` method in the verification flow (Kratos ``link/strategy_verification.go``).

* ``{method: link, email}`` -> a link is mailed -> ``sent_email`` with 1080001;
* ``{method: link, token, csrf_token}`` (the confirmation page's POST) -> the address is
  verified, ``passed_challenge`` with 1080002; unknown/used token: a new flow with 4070001.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from phalanx import text
from phalanx.clock import utcnow
from phalanx.identity.model import Identity, VerifiableAddress
from phalanx.selfservice.flow.challenge import finished_message
from phalanx.selfservice.flow.environment import FlowEnvironment
from phalanx.selfservice.flow.errors import StrategyNotResponsible
from phalanx.selfservice.flow.results import Retry
from phalanx.selfservice.flow.verification.flow import VerificationFlow
from phalanx.selfservice.flow.verification.strategy import (
    VerificationResult,
    VerificationStrategy,
    Verified,
)
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.strategy.code.form import email_input
from phalanx.selfservice.strategy.link.method import GROUP, LinkMethod
from phalanx.selfservice.strategy.link.sender import LinkSender
from phalanx.selfservice.strategy.link.store import TokenNotFoundError, TokenStore

__all__ = ["LinkVerification"]


class LinkVerification(LinkMethod, VerificationStrategy):
    def __init__(self, sender: LinkSender, store: TokenStore) -> None:
        self.sender = sender
        self.store = store

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
        env: FlowEnvironment,
    ) -> VerificationResult:
        flow.adopt_transient_payload(values)
        token = self.submitted_token(req, values, env)
        if token is not None:
            return await self._use_token(flow, token)
        if values.get("method") != self.id:
            raise StrategyNotResponsible()
        finished = finished_message(flow)
        if finished is not None:
            return Retry(message=finished)
        send, sent = self.sender.send_verification_link, text.verification_link_sent()
        return await self.send_link(req, flow, values, env, send, sent)

    async def _use_token(self, flow: VerificationFlow, token: str) -> VerificationResult:
        try:
            secret = await self.store.use_verification_token(flow.id, token)
        except TokenNotFoundError:
            return self.retry_in_browser(text.verification_token_invalid())
        if secret.expires_at <= utcnow():
            return self.retry_in_browser(text.verification_flow_expired(secret.expires_at))
        address = (
            await self.store.get_verifiable_address(secret.address_id)
            if secret.address_id is not None
            else None
        )
        if address is None:
            return self.retry_in_browser(text.verification_token_invalid())
        return Verified(address, as_browser=True)
