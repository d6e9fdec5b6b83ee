"""Backup codes at aal2 (Kratos ``lookup/login.go``): one unused code of the session's
identity. A code is claimed with a compare-and-swap of the credential, so it works once
even when two submissions race; a used code answers 4000012, an unknown one 4000016."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from phalanx import text
from phalanx.identity.model import CredentialType, Identity
from phalanx.identity.pool import IdentityPool
from phalanx.limits.keys import identity_subject
from phalanx.limits.limiter import Limiter
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.login.flow import LoginFlow
from phalanx.selfservice.flow.login.strategy import SecondFactorLogin
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.strategy.lookup.codes import find, mark_used, recovery_codes
from phalanx.selfservice.strategy.password.login import string_field_errors
from phalanx.ui import NodeGroup, input_node

__all__ = ["LookupLogin"]

_ATTEMPTS = 3


class LookupLogin(SecondFactorLogin):
    """The ``lookup_secret`` method's login cell."""

    id = "lookup_secret"

    def __init__(
        self, pool: IdentityPool, keys: Sequence[str], limiter: Limiter | None = None
    ) -> None:
        self.pool = pool
        self.keys = list(keys)
        self.limiter = limiter or Limiter.off()

    def has_credential(self, identity: Identity) -> bool:
        return CredentialType.LOOKUP_SECRET in identity.credentials

    def populate_second_factor(self, flow: LoginFlow, identity: Identity) -> None:
        group = NodeGroup.LOOKUP_SECRET
        flow.ui.upsert(
            input_node(
                "lookup_secret",
                "text",
                group=group,
                value="",
                required=True,
                label=text.login_lookup_label(),
            )
        )
        flow.ui.append(
            input_node("method", "submit", group=group, value=self.id, label=text.login_lookup())
        )

    def check_payload(self, flow: LoginFlow, body: dict[str, Any]) -> None:
        """``login.schema.json``: ``lookup_secret`` is a required string (may be empty)."""
        if isinstance(body.get("lookup_secret"), str):
            return
        errors = string_field_errors(body, "lookup_secret", required=True)
        if errors:
            raise FlowValidationError(node_messages=errors)

    async def verify(
        self, req: FlowRequest, flow: LoginFlow, body: dict[str, Any], identity: Identity
    ) -> None:
        async with self.limiter.sign_in(req, identity_subject(identity.id)):
            await self._verify(str(body.get("lookup_secret", "")), identity)

    async def _verify(self, code: str, identity: Identity) -> None:
        current: Identity | None = identity
        for _ in range(_ATTEMPTS):
            credential = current.credentials.get(CredentialType.LOOKUP_SECRET) if current else None
            if credential is None:
                raise FlowValidationError([text.no_lookup()])
            codes = recovery_codes(credential)
            match = find(codes, code, self.keys)
            if match is None:
                raise FlowValidationError([text.lookup_invalid()])
            if match.used:
                raise FlowValidationError([text.lookup_already_used()])
            config = {**credential.config, "recovery_codes": mark_used(codes, match.index)}
            if await self.pool.swap_credential_config(identity.id, credential, config):
                return
            # Another submission changed the codes first: look again at what is stored.
            current = await self.pool.get(identity.id, with_credentials=True)
        raise FlowValidationError([text.lookup_already_used()])
