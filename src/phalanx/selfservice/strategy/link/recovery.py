"""The ``link`` method in the recovery flow (Kratos ``link/strategy_recovery.go``).

* ``{method: link, email}`` -> a link is mailed to that recovery address (same answer for
  unknown addresses) -> ``sent_email`` with 1060002;
* ``{method: link, token, csrf_token}`` (the POST of the confirmation page a link opens)
  -> valid token: session + settings flow (browser); unknown/used token: a new flow with
  4060004; expired token: a new flow with 4060005.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

from phalanx import text
from phalanx.clock import utcnow
from phalanx.identity.model import Identity
from phalanx.identity.pool import IdentityPool
from phalanx.selfservice.flow.base import FlowState, FlowType
from phalanx.selfservice.flow.csrf import tokens_match
from phalanx.selfservice.flow.errors import FlowValidationError, StrategyNotResponsible
from phalanx.selfservice.flow.recovery.flow import RecoveryFlow
from phalanx.selfservice.flow.recovery.strategy import (
    AdminRecovery,
    RecoveryActions,
    RecoveryStrategy,
)
from phalanx.selfservice.request import FlowRequest, Outcome, with_query
from phalanx.selfservice.strategy.code.recovery import (
    email_input,
    mark_address_verified,
    submit_button,
)
from phalanx.selfservice.strategy.code.store import SecretKind
from phalanx.selfservice.strategy.link.sender import LinkSender
from phalanx.selfservice.strategy.link.store import TokenNotFoundError, TokenStore, generate_token
from phalanx.ui import NodeGroup

__all__ = ["LinkRecovery"]

GROUP = NodeGroup.LINK


class LinkRecovery(RecoveryStrategy):
    id: ClassVar[str] = "link"

    def __init__(self, sender: LinkSender, store: TokenStore, pool: IdentityPool) -> None:
        self.sender = sender
        self.store = store
        self.pool = pool

    def populate(self, flow: RecoveryFlow, csrf_token: str) -> None:
        flow.ui.set_csrf(csrf_token)
        flow.ui.upsert(email_input(group=GROUP))
        flow.ui.append(submit_button(self.id, group=GROUP))

    async def recover(
        self,
        req: FlowRequest,
        flow: RecoveryFlow,
        values: Mapping[str, Any],
        actions: RecoveryActions,
    ) -> Outcome:
        if isinstance(values.get("transient_payload"), dict):
            flow.transient_payload = values["transient_payload"]
        token = values.get("token")
        if isinstance(token, str) and token:
            sent = values.get("csrf_token") or req.headers.get("x-csrf-token")
            if not isinstance(sent, str) or not tokens_match(req.csrf_cookie, sent):
                raise actions.env.csrf_error(req, sent if isinstance(sent, str) else None)
            return await self._use_token(req, flow, token, actions)
        if await actions.env.sessions.from_request(req) is not None:
            return await actions.already_logged_in(req)
        if values.get("method") != self.id:
            raise StrategyNotResponsible()
        if flow.state in (FlowState.CHOOSE_METHOD, FlowState.SENT_EMAIL):
            return await self._send(req, flow, values, actions)
        message = (
            text.recovery_retry_success()
            if flow.state == FlowState.PASSED_CHALLENGE
            else text.recovery_state_failure()
        )
        return await actions.retry(
            req, flow.type, method=self.id, message=message, redirect_by_type=True
        )

    async def _send(
        self,
        req: FlowRequest,
        flow: RecoveryFlow,
        values: Mapping[str, Any],
        actions: RecoveryActions,
    ) -> Outcome:
        email = values.get("email") if isinstance(values.get("email"), str) else ""
        flow.ui.reset_messages()
        if not email:
            flow.ui.upsert(email_input(group=GROUP))
            raise FlowValidationError(node_messages=[("email", text.validation_required("email"))])
        actions.env.ensure_csrf(req, flow)
        await self.sender.send_recovery_link(flow, email)
        flow.ui.upsert(email_input(email, group=GROUP))
        flow.active = self.id
        flow.state = FlowState.SENT_EMAIL
        flow.ui.messages = [text.recovery_link_sent()]
        await actions.save(flow)
        return actions.show(req, flow)

    async def _use_token(
        self, req: FlowRequest, flow: RecoveryFlow, token: str, actions: RecoveryActions
    ) -> Outcome:
        browser = FlowType.BROWSER
        try:
            secret = await self.store.use_recovery_token(flow.id, token)
        except TokenNotFoundError:
            return await actions.retry(
                req,
                browser,
                method=self.id,
                message=text.recovery_token_invalid(),
                redirect_by_type=True,
            )
        if secret.expires_at <= utcnow():
            return await actions.retry(
                req,
                browser,
                method=self.id,
                message=text.recovery_flow_expired(secret.expires_at),
                redirect_by_type=True,
            )
        identity = (
            await self.pool.get(secret.identity_id, with_credentials=True)
            if secret.identity_id
            else None
        )
        if identity is None:
            return await actions.retry(
                req,
                browser,
                method=self.id,
                message=text.recovery_token_invalid(),
                redirect_by_type=True,
            )
        await mark_address_verified(self.pool, identity, secret)
        return await actions.complete(req, flow, identity, self.id, as_browser=True)

    async def create_for_identity(
        self,
        req: FlowRequest,
        identity: Identity,
        lifespan: timedelta,
        flow_type: FlowType,
        actions: RecoveryActions,
    ) -> AdminRecovery:
        """``POST /admin/recovery/link``: a browser flow and a link with a one-time token."""
        flow, _ = await actions.new_flow(req, FlowType.BROWSER, lifespan=lifespan, method=self.id)
        await actions.insert(flow)
        token = generate_token()
        await self.store.create_recovery_token(
            token,
            flow_id=flow.id,
            identity_id=identity.id,
            address_id=None,
            kind=SecretKind.ADMIN,
            lifespan=lifespan,
        )
        link = with_query(actions.env.self_service_url("recovery"), flow=str(flow.id), token=token)
        return AdminRecovery(flow_id=flow.id, recovery_link=link, expires_at=flow.expires_at)
