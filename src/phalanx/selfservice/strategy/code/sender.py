"""Sending recovery and verification codes (Kratos ``selfservice/strategy/code/code_sender.go``).

An address nobody owns gets exactly the same answer as a known one (the flows do not
branch on it) and, so that timing does not tell them apart either, the same kind of work:
an identity read, the rendering of the mail and as many database writes as a real code
and message cost. With ``notify_unknown_recipients`` the address gets the ``*_invalid``
mail instead (Kratos).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from phalanx.courier import Courier, MessageType, TemplateType
from phalanx.courier.models import normalize
from phalanx.identity.model import AddressStatus, Identity, RecoveryAddress, VerifiableAddress
from phalanx.identity.pool import IdentityPool
from phalanx.limits.limiter import Limiter
from phalanx.selfservice.deps import StrategyDeps
from phalanx.selfservice.flow.base import Flow
from phalanx.selfservice.request import with_query
from phalanx.selfservice.strategy.code.store import CodeStore, SecretKind, generate_code

__all__ = [
    "AddressSender",
    "CodeAddress",
    "CodeSender",
    "SenderDeps",
    "UnknownAddressMails",
    "infer_channel",
]

A = TypeVar("A", RecoveryAddress, VerifiableAddress)


def infer_channel(address: str) -> str:
    """Kratos ``hackyInferChannel``: an ``@`` means e-mail, anything else SMS."""
    return "email" if "@" in address else "sms"


@dataclass(frozen=True, slots=True)
class CodeAddress:
    """Where a login or registration code goes: ``to`` by ``via`` (``email``/``sms``)."""

    via: str
    to: str


@dataclass(slots=True)
class SenderDeps:
    pool: IdentityPool
    courier: Courier
    identity_json: Callable[[Identity], dict[str, Any]]
    public_url: str
    #: ``phalanx.rate_limits``: the cells sharing this sender count sends and code
    #: submissions through it.
    limiter: Limiter = field(default_factory=Limiter.off)

    @classmethod
    def from_registry(cls, deps: StrategyDeps) -> SenderDeps:
        """From the composition root (``identity_pool``, ``courier``, ``identity_json``)."""
        return cls(
            pool=deps.identity_pool,
            courier=deps.courier,
            identity_json=deps.identity_json,
            public_url=str(deps.config.public_base_url),
            limiter=deps.limiter,
        )


@dataclass(frozen=True, slots=True)
class UnknownAddressMails:
    """The templates of one kind of message, for an address nobody owns: ``invalid`` is
    sent with ``notify_unknown_recipients``; ``valid`` is rendered anyway, with ``sample``
    standing in for the secret, so that both paths cost the same."""

    invalid: TemplateType
    valid: TemplateType
    sample: Callable[[], Mapping[str, Any]]


class AddressSender:
    """What the code and link senders share: finding the address and its identity, the
    mails' common fields, the unknown-address path."""

    def __init__(
        self,
        deps: SenderDeps,
        store: CodeStore | Any,
        lifespan: timedelta,
        *,
        notify_unknown_recovery: bool = False,
        notify_unknown_verification: bool = False,
    ) -> None:
        self.deps = deps
        self.store = store
        self.lifespan = lifespan
        self.limiter = deps.limiter
        self.notify_unknown_recovery = notify_unknown_recovery
        self.notify_unknown_verification = notify_unknown_verification

    @property
    def minutes(self) -> int:
        return int(self.lifespan.total_seconds() // 60)

    def submit_url(self, flow: Flow, **params: str) -> str:
        base = self.deps.public_url.rstrip("/") + f"/self-service/{flow.kind}"
        return with_query(base, flow=str(flow.id), **params)

    def model(self, flow: Flow, identity: Identity, **fields: Any) -> dict[str, Any]:
        """A mail's template data: ``fields``, then what every recovery and verification
        mail carries (the identity, the flow's request and the secret's lifetime)."""
        return {
            **fields,
            "identity": self.deps.identity_json(identity),
            "request_url": flow.request_url,
            "transient_payload": flow.transient_payload,
            "expires_in_minutes": self.minutes,
        }

    async def mail(
        self, via: str, to: str, template: TemplateType, data: Mapping[str, Any]
    ) -> None:
        if via == "sms":
            sms_fields = {"verification_url"}
            data = {k: v for k, v in data.items() if k not in sms_fields}
        await self.deps.courier.queue(via, to, template, data)

    async def recovery_target(
        self, flow: Flow, to: str, mails: UnknownAddressMails
    ) -> tuple[RecoveryAddress, Identity] | None:
        """The recovery address ``to`` (e-mail) and its identity; None for an unknown
        address, after the unknown-address path (two writes: a secret and a message)."""
        address = await self.deps.pool.find_recovery_address("email", to)
        if address is None:
            await self.unknown(flow, "email", to, mails, self.notify_unknown_recovery, writes=2)
            return None
        return await self._with_identity(address)

    async def verification_target(
        self, flow: Flow, via: str, to: str, mails: UnknownAddressMails
    ) -> tuple[VerifiableAddress, Identity] | None:
        """The verifiable address ``to`` and its identity; None for an unknown address,
        after the unknown-address path (three writes: a secret, a message, the status)."""
        address = await self.deps.pool.find_verifiable_address(via, to)
        if address is None:
            await self.unknown(flow, via, to, mails, self.notify_unknown_verification, writes=3)
            return None
        return await self._with_identity(address)

    async def _with_identity(self, address: A) -> tuple[A, Identity] | None:
        identity = await self.deps.pool.get(address.identity_id)
        return None if identity is None else (address, identity)

    async def unknown(
        self,
        flow: Flow,
        via: str,
        to: str,
        mails: UnknownAddressMails,
        notify: bool,
        *,
        writes: int,
    ) -> None:
        """The unknown-address path: notify if configured, else stand-in work."""
        await self.deps.pool.get(uuid.uuid4())  # the identity read a known address costs
        model = {
            "to": to,
            "request_url": flow.request_url,
            "transient_payload": flow.transient_payload,
            "expires_in_minutes": self.minutes,
            **mails.sample(),
        }
        renderer = self.deps.courier.renderer
        valid = mails.valid
        await renderer.render_email(valid, normalize(MessageType.EMAIL, valid, model))
        if notify and via == "email":
            await self.deps.courier.queue_email(
                to,
                mails.invalid,
                {
                    "to": to,
                    "request_url": flow.request_url,
                    "transient_payload": flow.transient_payload,
                },
            )
            writes -= 1
        for _ in range(max(0, writes)):
            await self.store.simulate_write()

    async def mark_sent(self, address: VerifiableAddress) -> None:
        address.status = AddressStatus.SENT
        await self.deps.pool.update_verifiable_address(address)


class CodeSender(AddressSender):
    """Creates codes and queues their mails."""

    store: CodeStore

    # -- recovery ------------------------------------------------------------------------
    async def send_recovery_code(self, flow: Flow, to: str) -> None:
        """Kratos ``SendRecoveryCode``: a code for the recovery address ``to``, if any."""
        target = await self.recovery_target(
            flow,
            to,
            UnknownAddressMails(
                TemplateType.RECOVERY_CODE_INVALID,
                TemplateType.RECOVERY_CODE_VALID,
                lambda: {"recovery_code": generate_code(), "identity": {}},
            ),
        )
        if target is None:
            return
        address, identity = target
        code = generate_code()
        await self.store.create_recovery_code(
            code,
            flow_id=flow.id,
            identity_id=identity.id,
            address_id=address.id,
            kind=SecretKind.SELF_SERVICE,
            lifespan=self.lifespan,
        )
        await self.send_recovery_code_to(flow, identity, code, address.via, address.value)

    async def send_recovery_code_to(
        self, flow: Flow, identity: Identity, code: str, via: str, to: str
    ) -> None:
        model = self.model(flow, identity, recovery_code=code)
        await self.mail(via, to, TemplateType.RECOVERY_CODE_VALID, model)

    # -- verification --------------------------------------------------------------------
    async def send_verification_code(self, flow: Flow, to: str) -> None:
        """Kratos ``SendVerificationCode``: a code for the verifiable address ``to``."""
        target = await self.verification_target(
            flow,
            infer_channel(to),
            to,
            UnknownAddressMails(
                TemplateType.VERIFICATION_CODE_INVALID,
                TemplateType.VERIFICATION_CODE_VALID,
                lambda: {
                    "verification_code": generate_code(),
                    "verification_url": self.submit_url(flow, code="000000"),
                    "identity": {},
                },
            ),
        )
        if target is None:
            return
        address, identity = target
        await self.send_verification_code_to(flow, identity, address)
        await self.mark_sent(address)

    async def send_verification_code_to(
        self, flow: Flow, identity: Identity, address: VerifiableAddress
    ) -> None:
        code = generate_code()
        await self.store.create_verification_code(
            code, flow_id=flow.id, address_id=address.id, lifespan=self.lifespan
        )
        model = self.model(
            flow,
            identity,
            verification_url=self.submit_url(flow, code=code),
            verification_code=code,
        )
        await self.mail(address.via, address.value, TemplateType.VERIFICATION_CODE_VALID, model)

    # -- login and registration ----------------------------------------------------------
    async def send_login_codes(
        self, flow: Flow, identity: Identity, addresses: Sequence[CodeAddress]
    ) -> None:
        """Kratos ``SendCode`` for a login flow: one code per address (so the address
        used can be told), each mailed or texted with ``login_code_valid``."""
        for address in addresses:
            code = generate_code()
            await self.store.create_login_code(
                code,
                flow_id=flow.id,
                identity_id=identity.id,
                address=address.to,
                via=address.via,
                lifespan=self.lifespan,
            )
            model = self.model(flow, identity, to=address.to, login_code=code)
            await self.mail(address.via, address.to, TemplateType.LOGIN_CODE_VALID, model)

    async def send_registration_codes(
        self, flow: Flow, traits: Mapping[str, Any], addresses: Sequence[CodeAddress]
    ) -> None:
        """Kratos ``SendCode`` for a registration flow: the identity does not exist yet,
        the mail carries its ``traits`` (``registration_code_valid``)."""
        for address in addresses:
            code = generate_code()
            await self.store.create_registration_code(
                code,
                flow_id=flow.id,
                address=address.to,
                via=address.via,
                lifespan=self.lifespan,
            )
            model: dict[str, Any] = {
                "to": address.to,
                "registration_code": code,
                "request_url": flow.request_url,
                "transient_payload": flow.transient_payload,
                "expires_in_minutes": self.minutes,
            }
            # The SMS template's model calls the traits "identity" (Kratos).
            model["identity" if address.via == "sms" else "traits"] = dict(traits)
            await self.mail(address.via, address.to, TemplateType.REGISTRATION_CODE_VALID, model)

    # -- enumeration mitigation -----------------------------------------------------------
    async def login_stand_in(self, flow: Flow, to: str) -> None:
        """A sign-in code asked for an address nobody can use: no mail, the same work
        (the identity read was done by the caller; a code and a message are written)."""
        model = {
            "to": to,
            "login_code": generate_code(),
            "identity": {},
            "request_url": flow.request_url,
            "transient_payload": flow.transient_payload,
            "expires_in_minutes": self.minutes,
        }
        kind = TemplateType.LOGIN_CODE_VALID
        await self.deps.courier.renderer.render_email(
            kind, normalize(MessageType.EMAIL, kind, model)
        )
        await self.store.simulate_write()
        await self.store.simulate_write()

    async def registration_taken(self, flow: Flow, address: CodeAddress) -> None:
        """A sign-up for an address that has an account: its owner is told (by e-mail)
        instead of getting a code; one stand-in write for the code not stored."""
        model = {"request_url": flow.request_url, "transient_payload": flow.transient_payload}
        if address.via == "email":
            await self.deps.courier.queue_email(
                address.to, TemplateType.REGISTRATION_CODE_INVALID, model
            )
        else:
            await self.store.simulate_write()
        await self.store.simulate_write()
