"""TOTP login at aal2 (Kratos ``totp/login.go``): ``totp_code`` for the session's identity.

A code is good for its step and one either side (as Kratos); unlike Kratos a step's code
is accepted once only (see :mod:`.credential`). Wrong, replayed and concurrently reused
codes all answer 4000008.
"""

from __future__ import annotations

from typing import Any

from phalanx import text
from phalanx.identity.model import Identity
from phalanx.identity.pool import IdentityPool
from phalanx.limits.keys import identity_subject
from phalanx.limits.limiter import Limiter
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.login.flow import LoginFlow
from phalanx.selfservice.flow.login.strategy import SecondFactorLogin
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.strategy.password.login import string_field_errors
from phalanx.selfservice.strategy.totp.credential import consume_step, key_of
from phalanx.selfservice.strategy.totp.key import DIGITS, matching_step
from phalanx.ui import input_node

__all__ = ["TotpLogin"]

_GROUP = "totp"


class TotpLogin(SecondFactorLogin):
    """The ``totp`` method's login cell."""

    id = "totp"

    def __init__(self, pool: IdentityPool, limiter: Limiter | None = None) -> None:
        self.pool = pool
        self.limiter = limiter or Limiter.off()

    def has_credential(self, identity: Identity) -> bool:
        return "totp" in identity.credentials

    def populate_second_factor(self, flow: LoginFlow, identity: Identity) -> None:
        flow.ui.upsert(
            input_node(
                "totp_code",
                "text",
                group=_GROUP,
                value="",
                required=True,
                label=text.login_totp_label(),
            )
        )
        flow.ui.append(
            input_node("method", "submit", group=_GROUP, value=self.id, label=text.login_totp())
        )

    def check_payload(self, flow: LoginFlow, body: dict[str, Any]) -> None:
        """``login.schema.json``: ``totp_code`` is a string of at least 6 characters."""
        flow.ui.reset_values("totp_code")
        code = body.get("totp_code")
        if isinstance(code, str):
            short = len(code) < DIGITS
            errors = [("totp_code", text.validation_min_length(DIGITS, len(code)))] if short else []
        else:
            errors = string_field_errors(body, "totp_code", required=True)
        if errors:
            raise FlowValidationError(node_messages=errors)

    async def verify(
        self, req: FlowRequest, flow: LoginFlow, body: dict[str, Any], identity: Identity
    ) -> None:
        async with self.limiter.sign_in(req, identity_subject(identity.id)):
            await self._verify(body, identity)

    async def _verify(self, body: dict[str, Any], identity: Identity) -> None:
        key = key_of(identity)
        if key is None:
            raise FlowValidationError([text.no_totp_device()])
        step = matching_step(key.secret, str(body.get("totp_code", "")))
        if step is None or not await consume_step(self.pool, identity, step):
            raise FlowValidationError([text.totp_verifier_wrong()])
