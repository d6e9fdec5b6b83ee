"""Sending recovery and verification links (Kratos ``selfservice/strategy/link/sender.go``).

Links point at ``<public base_url>/self-service/<flow>?flow=<id>&token=<token>``; opening
one uses the token (or shows a confirmation page whose POST does, with
``phalanx.link_confirmation``; see the flow services).
"""

from __future__ import annotations

from phalanx.courier import TemplateType
from phalanx.identity.model import Identity, VerifiableAddress
from phalanx.selfservice.flow.base import Flow
from phalanx.selfservice.strategy.code.sender import AddressSender, UnknownAddressMails
from phalanx.selfservice.strategy.code.store import SecretKind
from phalanx.selfservice.strategy.link.store import TokenStore, generate_token

__all__ = ["LinkSender"]


class LinkSender(AddressSender):
    """Creates link tokens and queues their mails."""

    store: TokenStore

    async def send_recovery_link(self, flow: Flow, to: str) -> None:
        """Kratos ``SendRecoveryLink``."""
        target = await self.recovery_target(
            flow,
            to,
            UnknownAddressMails(
                TemplateType.RECOVERY_INVALID,
                TemplateType.RECOVERY_VALID,
                lambda: {"recovery_url": self.submit_url(flow, token=generate_token())},
            ),
        )
        if target is None:
            return
        address, identity = target
        token = generate_token()
        await self.store.create_recovery_token(
            token,
            flow_id=flow.id,
            identity_id=identity.id,
            address_id=address.id,
            kind=SecretKind.SELF_SERVICE,
            lifespan=self.lifespan,
        )
        model = self.model(flow, identity, recovery_url=self.submit_url(flow, token=token))
        await self.mail(address.via, address.value, TemplateType.RECOVERY_VALID, model)

    async def send_verification_link(self, flow: Flow, to: str) -> None:
        """Kratos ``SendVerificationLink`` (e-mail only)."""
        target = await self.verification_target(
            flow,
            "email",
            to,
            UnknownAddressMails(
                TemplateType.VERIFICATION_INVALID,
                TemplateType.VERIFICATION_VALID,
                lambda: {"verification_url": self.submit_url(flow, token=generate_token())},
            ),
        )
        if target is None:
            return
        address, identity = target
        await self.send_verification_link_to(flow, identity, address)
        await self.mark_sent(address)

    async def send_verification_link_to(
        self, flow: Flow, identity: Identity, address: VerifiableAddress
    ) -> None:
        token = generate_token()
        await self.store.create_verification_token(
            token, flow_id=flow.id, address_id=address.id, lifespan=self.lifespan
        )
        model = self.model(flow, identity, verification_url=self.submit_url(flow, token=token))
        await self.mail(address.via, address.value, TemplateType.VERIFICATION_VALID, model)
