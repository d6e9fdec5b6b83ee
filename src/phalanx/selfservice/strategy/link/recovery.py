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
from phalanx.selfservice.flow.base import FlowType
from phalanx.selfservice.flow.challenge import finished_message
from phalanx.selfservice.flow.environment import FlowEnvironment
from phalanx.selfservice.flow.errors import StrategyNotResponsible
from phalanx.selfservice.flow.recovery.flow import RecoveryFlow
from phalanx.selfservice.flow.recovery.strategy import (
    AdminRecovery,
    AlreadyLoggedIn,
    Recovered,
    RecoveryResult,
    RecoveryStrategy,
)
from phalanx.selfservice.flow.results import Retry
from phalanx.selfservice.request import FlowRequest, with_query
from phalanx.selfservice.strategy.code.recovery import mark_address_verified
from phalanx.selfservice.strategy.code.store import SecretKind
from phalanx.selfservice.strategy.link.method import LinkMethod
from phalanx.selfservice.strategy.link.sender import LinkSender
from phalanx.selfservice.strategy.link.store import TokenNotFoundError, TokenStore, generate_token

__all__ = ["LinkRecovery"]


class LinkRecovery(LinkMethod, RecoveryStrategy):
    def __init__(self, sender: LinkSender, store: TokenStore, pool: IdentityPool) -> None:
        self.sender = sender
        self.store = store
        self.pool = pool

    admin_flow_type: ClassVar[FlowType | None] = FlowType.BROWSER

    async def recover(
        self,
        req: FlowRequest,
        flow: RecoveryFlow,
        values: Mapping[str, Any],
        env: FlowEnvironment,
    ) -> RecoveryResult:
        flow.adopt_transient_payload(values)
        token = self.submitted_token(req, values, env)
        if token is not None:
            return await self._use_token(flow, token)
        if await env.sessions.from_request(req) is not None:
            return AlreadyLoggedIn()
        if values.get("method") != self.id:
            raise StrategyNotResponsible()
        finished = finished_message(flow)
        if finished is None:
            send, sent = self.sender.send_recovery_link, text.recovery_link_sent()
            return await self.send_link(req, flow, values, env, send, sent)
        return Retry(message=finished, redirect_by_type=True)

    async def _use_token(self, flow: RecoveryFlow, token: str) -> RecoveryResult:
        try:
            secret = await self.store.use_recovery_token(flow.id, token)
        except TokenNotFoundError:
            return self.retry_in_browser(text.recovery_token_invalid())
        if secret.expires_at <= utcnow():
            return self.retry_in_browser(text.recovery_flow_expired(secret.expires_at))
        identity = (
            await self.pool.get(secret.identity_id, with_credentials=True)
            if secret.identity_id
            else None
        )
        if identity is None:
            return self.retry_in_browser(text.recovery_token_invalid())
        await mark_address_verified(self.pool, identity, secret)
        return Recovered(identity, as_browser=True)

    async def admin_secret(
        self,
        flow: RecoveryFlow,
        identity: Identity,
        lifespan: timedelta,
        env: FlowEnvironment,
    ) -> AdminRecovery:
        """``POST /admin/recovery/link``: a browser flow and a link with a one-time token."""
        token = generate_token()
        await self.store.create_recovery_token(
            token,
            flow_id=flow.id,
            identity_id=identity.id,
            address_id=None,
            kind=SecretKind.ADMIN,
            lifespan=lifespan,
        )
        link = with_query(env.self_service_url("recovery"), flow=str(flow.id), token=token)
        return AdminRecovery(flow_id=flow.id, recovery_link=link, expires_at=flow.expires_at)
