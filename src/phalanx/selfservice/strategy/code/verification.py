"""The ``code`` method in the verification flow (Kratos ``strategy_verification.go``).

* ``{method: code, email}`` -> a code (and a link carrying it) is mailed to that verifiable
  address; unknown addresses get the same answer -> ``sent_email`` with 1080003;
* ``{code}`` -> right code: the address is verified (``verified``, ``completed``,
  ``verified_at``), ``passed_challenge`` with 1080002; wrong code: 4070006 on the same flow;
  used code / too many attempts: a new flow.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from phalanx import text
from phalanx.identity.model import Identity, VerifiableAddress
from phalanx.identity.pool import IdentityPool
from phalanx.limits.keys import Action
from phalanx.selfservice.flow.base import FlowState
from phalanx.selfservice.flow.challenge import finished_message
from phalanx.selfservice.flow.environment import FlowEnvironment
from phalanx.selfservice.flow.errors import StrategyNotResponsible
from phalanx.selfservice.flow.results import Retry, ShowFlow
from phalanx.selfservice.flow.verification.flow import VerificationFlow
from phalanx.selfservice.flow.verification.strategy import (
    VerificationResult,
    VerificationStrategy,
    Verified,
)
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.strategy.code.form import (
    code_input,
    email_input,
    email_required,
    method_input,
    resend_button,
    submit_button,
)
from phalanx.selfservice.strategy.code.sender import CodeSender, infer_channel
from phalanx.selfservice.strategy.code.store import (
    CodeAlreadyUsedError,
    CodeNotFoundError,
    CodeStore,
    CodeSubmittedTooOftenError,
)
from phalanx.ui import UiNode

__all__ = ["CodeVerification"]


class CodeVerification(VerificationStrategy):
    id: ClassVar[str] = "code"

    def __init__(
        self,
        sender: CodeSender,
        store: CodeStore,
        pool: IdentityPool,
        *,
        max_submissions: int,
        sms_enabled: bool = False,
    ) -> None:
        self.sender = sender
        self.store = store
        self.pool = pool
        self.max_submissions = max_submissions
        self.sms_enabled = sms_enabled

    def _email_input(self, value: str | None = None) -> UiNode:
        return email_input(value, or_phone=self.sms_enabled)

    def populate(self, flow: VerificationFlow, csrf_token: str) -> None:
        flow.ui.messages = []
        flow.ui.append(self._email_input())
        flow.ui.append(submit_button(self.id))
        if flow.is_browser:
            flow.ui.set_csrf(csrf_token)

    def populate_sent(self, flow: VerificationFlow, csrf_token: str, address: str) -> None:
        """Kratos ``populateEmailSentFlow`` (+ the resend button of the hooks)."""
        flow.ui.nodes = []
        flow.ui.append(method_input(self.id))
        flow.ui.append(code_input(text.label_verification_code(), strict=False))
        flow.ui.append(submit_button(self.id))
        if flow.is_browser:
            flow.ui.set_csrf(csrf_token)
        via = infer_channel(address)
        flow.ui.messages = [
            text.verification_phone_sent() if via == "sms" else text.verification_email_sent()
        ]
        flow.ui.append(resend_button(via, address))

    async def send(
        self, flow: VerificationFlow, identity: Identity, address: VerifiableAddress
    ) -> None:
        await self.sender.send_verification_code_to(flow, identity, address)

    async def verify(
        self,
        req: FlowRequest,
        flow: VerificationFlow,
        values: Mapping[str, Any],
        env: FlowEnvironment,
    ) -> VerificationResult:
        flow.adopt_transient_payload(values)
        code = values.get("code") if isinstance(values.get("code"), str) else ""
        method = values.get("method") or ("code" if code else "")
        if method != self.id:
            raise StrategyNotResponsible()
        finished = finished_message(flow)
        if finished is not None:
            return Retry(message=finished)
        if code:
            await self.sender.limiter.hit(Action.CODE_SUBMISSION, req, str(flow.id))
            return await self._use_code(flow, code.strip())
        email = values.get("email") if isinstance(values.get("email"), str) else ""
        if not email:
            raise email_required(flow, self._email_input())
        env.ensure_csrf(req, flow)
        await self.sender.limiter.hit(Action.SENDING, req, email)
        await self.store.delete_verification_codes(flow.id)
        await self.sender.send_verification_code(flow, email)
        flow.state = FlowState.SENT_EMAIL
        csrf = flow.ui.find("csrf_token")
        self.populate_sent(flow, str(csrf.value) if csrf is not None else "", email)
        return ShowFlow()

    async def _use_code(self, flow: VerificationFlow, code: str) -> VerificationResult:
        try:
            secret = await self.store.use_verification_code(
                flow.id, code, max_submissions=self.max_submissions
            )
        except CodeNotFoundError:
            flow.ui.messages = [text.verification_code_invalid()]
            return ShowFlow()
        except (CodeAlreadyUsedError, CodeSubmittedTooOftenError) as error:
            return Retry(error=error)
        address = (
            await self.store.get_verifiable_address(secret.address_id)
            if secret.address_id is not None
            else None
        )
        if address is None:
            flow.ui.messages = [text.verification_code_invalid()]
            return ShowFlow()
        return Verified(address)
