"""The ``code`` method in the recovery flow (Kratos ``strategy_recovery.go`` and
``strategy_recovery_admin.go``, recovery v1: one e-mail field, then the code).

* ``{method: code, email}`` -> a code is mailed to that recovery address (nothing is sent,
  and nothing in the answer differs, for an unknown address) -> ``sent_email`` with 1060003;
* ``{code}`` (``method`` optional) -> right code: session + settings flow; wrong or
  expired code: 4060006 on the same flow; used code or more than
  ``code.config.max_submissions`` attempts: a new flow carrying the reason (4000001).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

from phalanx import text
from phalanx.clock import utcnow
from phalanx.identity.model import AddressStatus, Identity
from phalanx.identity.pool import IdentityPool
from phalanx.limits.keys import Action
from phalanx.selfservice.flow.base import FlowState
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
from phalanx.selfservice.flow.results import Retry, ShowFlow
from phalanx.selfservice.request import FlowRequest, with_query
from phalanx.selfservice.strategy.code.form import (
    code_input,
    email_input,
    email_invalid,
    email_required,
    method_input,
    resend_button,
    submit_button,
)
from phalanx.selfservice.strategy.code.sender import CodeSender
from phalanx.selfservice.strategy.code.store import (
    CodeAlreadyUsedError,
    CodeNotFoundError,
    CodeStore,
    CodeSubmittedTooOftenError,
    OneTimeSecret,
    SecretKind,
    generate_code,
)
from phalanx.ui import UiContainer

__all__ = ["CodeRecovery", "code_input", "email_input", "mark_address_verified"]


async def mark_address_verified(
    pool: IdentityPool, identity: Identity, secret: OneTimeSecret
) -> None:
    """A self-service code/link proves the recovery address: verify the same address."""
    if secret.kind != SecretKind.SELF_SERVICE or secret.address_id is None:
        return
    value = next((a.value for a in identity.recovery_addresses if a.id == secret.address_id), None)
    for address in identity.verifiable_addresses:
        if value is not None and address.value == value:
            address.verified = True
            address.verified_at = utcnow()
            address.status = AddressStatus.COMPLETED
            await pool.update_verifiable_address(address)


class CodeRecovery(RecoveryStrategy):
    id: ClassVar[str] = "code"

    def __init__(
        self,
        sender: CodeSender,
        store: CodeStore,
        pool: IdentityPool,
        *,
        max_submissions: int,
        lifespan: timedelta,
    ) -> None:
        self.sender = sender
        self.store = store
        self.pool = pool
        self.max_submissions = max_submissions
        self.lifespan = lifespan

    def populate(self, flow: RecoveryFlow, csrf_token: str) -> None:
        flow.ui.set_csrf(csrf_token)
        flow.ui.upsert(email_input())
        flow.ui.append(submit_button(self.id))

    async def recover(
        self,
        req: FlowRequest,
        flow: RecoveryFlow,
        values: Mapping[str, Any],
        env: FlowEnvironment,
    ) -> RecoveryResult:
        flow.adopt_transient_payload(values)
        if not flow.skip_csrf_check:
            env.ensure_csrf(req, flow)
        flow.ui.reset_messages()
        raw_email = values.get("email")
        email = raw_email if isinstance(raw_email, str) else ""
        if flow.state != FlowState.CHOOSE_METHOD and not email:
            return await self._use_code(req, flow, _string(values.get("code")))
        if await env.sessions.from_request(req) is not None:
            return AlreadyLoggedIn()
        if values.get("method") != self.id:
            raise StrategyNotResponsible()
        finished = finished_message(flow)
        if finished is None:
            return await self._send(req, flow, email)
        return Retry(message=finished)

    async def _send(self, req: FlowRequest, flow: RecoveryFlow, email: str) -> RecoveryResult:
        if not email:
            raise email_required(flow, email_input())
        invalid = email_invalid(flow, email_input(email), email)
        if invalid is not None:
            raise invalid
        await self.sender.limiter.hit(Action.SENDING, req, email)
        await self.store.delete_recovery_codes(flow.id)
        await self.sender.send_recovery_code(flow, email)
        csrf = flow.ui.find("csrf_token")
        flow.ui = UiContainer(action=flow.ui.action, method="POST")
        if csrf is not None:
            flow.ui.append(csrf)
        flow.ui.append(code_input(text.label_recovery_code()))
        flow.ui.append(method_input(self.id))
        flow.ui.append(submit_button(self.id))
        flow.ui.append(resend_button("email", email))
        flow.active = self.id
        flow.state = FlowState.SENT_EMAIL
        flow.ui.messages = [text.recovery_email_sent()]
        return ShowFlow()

    async def _use_code(self, req: FlowRequest, flow: RecoveryFlow, code: str) -> RecoveryResult:
        await self.sender.limiter.hit(Action.CODE_SUBMISSION, req, str(flow.id))
        try:
            secret = await self.store.use_recovery_code(
                flow.id, code, max_submissions=self.max_submissions
            )
        except CodeNotFoundError:
            flow.ui.messages = [text.recovery_code_invalid()]
            return ShowFlow()
        except (CodeAlreadyUsedError, CodeSubmittedTooOftenError) as error:
            return Retry(error=error)
        identity = (
            await self.pool.get(secret.identity_id, with_credentials=True)
            if (secret.identity_id)
            else None
        )
        if identity is None:
            return Retry(message=text.recovery_code_invalid())
        await mark_address_verified(self.pool, identity, secret)
        return Recovered(identity)

    def prepare_admin_flow(self, flow: RecoveryFlow) -> None:
        """``POST /admin/recovery/code``: a flow anyone can open (no CSRF binding) that
        waits for the returned code."""
        flow.skip_csrf_check = True
        flow.state = FlowState.SENT_EMAIL
        flow.csrf_token = None
        flow.ui.nodes = [
            code_input(text.label_recovery_code()),
            submit_button(self.id),
        ]

    async def admin_secret(
        self,
        flow: RecoveryFlow,
        identity: Identity,
        lifespan: timedelta,
        env: FlowEnvironment,
    ) -> AdminRecovery:
        code = generate_code()
        await self.store.create_recovery_code(
            code,
            flow_id=flow.id,
            identity_id=identity.id,
            address_id=None,
            kind=SecretKind.ADMIN,
            lifespan=lifespan,
        )
        return AdminRecovery(
            flow_id=flow.id,
            recovery_link=with_query(env.ui_url("recovery"), flow=str(flow.id)),
            expires_at=flow.expires_at,
            recovery_code=code,
        )


def _string(value: Any) -> str:
    """A submitted code (surrounding blanks a mail client may add are ignored)."""
    return value.strip() if isinstance(value, str) else ""
