"""Sending recovery and verification links (Kratos ``selfservice/strategy/link/sender.go``).

Links point at ``<public base_url>/self-service/<flow>?flow=<id>&token=<token>``; opening
one shows a confirmation page, only its POST uses the token (see the flow services).
"""

from __future__ import annotations

from datetime import timedelta

from phalanx.courier import TemplateType
from phalanx.identity.model import Identity, VerifiableAddress
from phalanx.selfservice.flow.base import Flow
from phalanx.selfservice.strategy.code.sender import AddressSender, SenderDeps
from phalanx.selfservice.strategy.code.store import SecretKind
from phalanx.selfservice.strategy.link.store import TokenStore, generate_token

__all__ = ["LinkSender"]


class LinkSender(AddressSender):
    """Creates link tokens and queues their mails."""

    store: TokenStore

    def __init__(
        self,
        deps: SenderDeps,
        store: TokenStore,
        lifespan: timedelta,
        *,
        notify_unknown_recovery: bool = False,
        notify_unknown_verification: bool = False,
    ) -> None:
        super().__init__(deps, store, lifespan)
        self.notify_unknown_recovery = notify_unknown_recovery
        self.notify_unknown_verification = notify_unknown_verification

    async def send_recovery_link(self, flow: Flow, to: str) -> None:
        """Kratos ``SendRecoveryLink``."""
        via = "email"
        address = await self.deps.pool.find_recovery_address(via, to)
        if address is None:
            await self.unknown(
                flow,
                via,
                to,
                notify=self.notify_unknown_recovery,
                invalid=TemplateType.RECOVERY_INVALID,
                valid=TemplateType.RECOVERY_VALID,
                sample={"recovery_url": self.submit_url(flow, token=generate_token())},
                writes=2,
            )
            return
        identity = await self.deps.pool.get(address.identity_id)
        if identity is None:
            return
        token = generate_token()
        await self.store.create_recovery_token(
            token,
            flow_id=flow.id,
            identity_id=identity.id,
            address_id=address.id,
            kind=SecretKind.SELF_SERVICE,
            lifespan=self.lifespan,
        )
        await self.mail(
            address.via,
            address.value,
            TemplateType.RECOVERY_VALID,
            {
                "recovery_url": self.submit_url(flow, token=token),
                "identity": self.deps.identity_json(identity),
                "request_url": flow.request_url,
                "transient_payload": flow.transient_payload,
                "expires_in_minutes": self.minutes,
            },
        )

    async def send_verification_link(self, flow: Flow, to: str) -> None:
        """Kratos ``SendVerificationLink`` (e-mail only)."""
        via = "email"
        address = await self.deps.pool.find_verifiable_address(via, to)
        if address is None:
            await self.unknown(
                flow,
                via,
                to,
                notify=self.notify_unknown_verification,
                invalid=TemplateType.VERIFICATION_INVALID,
                valid=TemplateType.VERIFICATION_VALID,
                sample={"verification_url": self.submit_url(flow, token=generate_token())},
                writes=3,
            )
            return
        identity = await self.deps.pool.get(address.identity_id)
        if identity is None:
            return
        await self.send_verification_link_to(flow, identity, address)
        await self.mark_sent(address)

    async def send_verification_link_to(
        self, flow: Flow, identity: Identity, address: VerifiableAddress
    ) -> None:
        token = generate_token()
        await self.store.create_verification_token(
            token, flow_id=flow.id, address_id=address.id, lifespan=self.lifespan
        )
        await self.mail(
            address.via,
            address.value,
            TemplateType.VERIFICATION_VALID,
            {
                "verification_url": self.submit_url(flow, token=token),
                "identity": self.deps.identity_json(identity),
                "request_url": flow.request_url,
                "transient_payload": flow.transient_payload,
                "expires_in_minutes": self.minutes,
            },
        )
