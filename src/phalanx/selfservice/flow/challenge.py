"""What the recovery and verification flows share (Kratos ``selfservice/flow/recovery`` and
``selfservice/flow/verification``): a code or link is sent to an address and comes back
(``choose_method`` -> ``sent_email`` -> ``passed_challenge``), one active method per flow.

:class:`ChallengeService` is both services' skeleton: new flows, fetch, submit, ``open``
(a ``GET`` of the submit URL: a mailed token is used as in Kratos, or answered with a
:class:`LinkConfirmation` when ``phalanx.link_confirmation`` is on; a mailed code is filled
into the flow), starting over with a message, replacing an expired flow.
Strategies get the request, the flow, the submitted values and the :class:`FlowEnvironment`
and return a result (:class:`ShowFlow`, :class:`Retry`, or their flow's "challenge passed"
result); the service alone answers it. Each flow's service says how it finishes.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import urlsplit

from phalanx import text
from phalanx.clock import utcnow
from phalanx.errors import BadRequestError, KratosError, NotFoundError
from phalanx.selfservice.flow.base import Flow, FlowKind, FlowState, FlowType
from phalanx.selfservice.flow.csrf import mask_token, new_real_token, tokens_match
from phalanx.selfservice.flow.environment import FlowEnvironment
from phalanx.selfservice.flow.errors import FlowValidationError, StrategyNotResponsible
from phalanx.selfservice.flow.handling import handle_submit_error
from phalanx.selfservice.flow.lifecycle import (
    blank_flow,
    expired_fetch_error,
    fetch_id,
    mint_csrf,
    parse_flow_id,
)
from phalanx.selfservice.flow.results import Retry, ShowFlow
from phalanx.selfservice.flow.store import FlowStore
from phalanx.selfservice.request import FlowRequest, Outcome, with_query
from phalanx.text import UiText

__all__ = [
    "ChallengeService",
    "ChallengeStrategy",
    "LinkConfirmation",
    "Retry",
    "ShowFlow",
    "confirmation",
    "finished_message",
    "submitted_values",
]

F = TypeVar("F", bound=Flow)


def finished_message(flow: Flow) -> UiText | None:
    """Why a flow past ``sent_email`` takes no more messages to send or secrets to check
    (Kratos starts a new flow carrying it): its challenge was passed, or its state is
    unexpected. None for a flow in ``choose_method`` or ``sent_email``."""
    if flow.state in (FlowState.CHOOSE_METHOD, FlowState.SENT_EMAIL):
        return None
    passed = flow.state == FlowState.PASSED_CHALLENGE
    if flow.kind == FlowKind.RECOVERY:
        return text.recovery_retry_success() if passed else text.recovery_state_failure()
    return text.verification_retry_success() if passed else text.verification_state_failure()


class ChallengeStrategy(Protocol):
    """A recovery or verification method as the shared steps see it."""

    @property
    def id(self) -> str: ...

    def populate(self, flow: Any, csrf_token: str) -> None: ...


S = TypeVar("S", bound=ChallengeStrategy)


def submitted_values(req: FlowRequest) -> dict[str, Any]:
    """Query and body together, the body winning (Kratos ``HTTPDecoderUseQueryAndBody``).

    A field an HTML form sends twice (the code screen posts ``method`` from a hidden input
    and from its button) already holds one value (:mod:`phalanx.selfservice.form`).
    """
    values: dict[str, Any] = dict(req.query)
    values.update(req.body)
    return values


@dataclass(slots=True)
class LinkConfirmation:
    """A link was opened: the page that asks before the token is used.

    ``fields`` are the hidden inputs of the form that POSTs to ``action``.
    """

    kind: FlowKind
    action: str
    fields: dict[str, str]
    set_csrf: str | None = None
    form_targets: tuple[str, ...] = ()
    """Origins the POST may end up at (the API, then a UI or return URL after its 303):
    the page's ``Content-Security-Policy: form-action`` must allow every one of them, or
    the browser blocks the redirect to an external UI."""


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def confirmation(
    env: FlowEnvironment,
    req: FlowRequest,
    kind: FlowKind,
    flow_id: uuid.UUID,
    **fields: str,
) -> LinkConfirmation:
    """The confirmation page of an opened link: its form POSTs ``fields`` with this
    browser's CSRF token (a cookie is set if the browser had none)."""
    masked, new_cookie = env.csrf_for_new_flow(req)
    action = env.action_url(kind, flow_id)
    after = [env.default_return_url(k) for k in (kind, FlowKind.SETTINGS)]
    origins = (_origin(u) for u in (action, *env.allowed_return_urls, *after))
    return LinkConfirmation(
        kind=kind,
        action=action,
        fields={**fields, "csrf_token": masked},
        set_csrf=new_cookie,
        form_targets=tuple(dict.fromkeys(o for o in origins if o)),
    )


class ChallengeService(ABC, Generic[F, S]):
    """The steps the recovery and verification services share; see the module docstring."""

    def __init__(
        self,
        flow_class: type[F],
        env: FlowEnvironment,
        store: FlowStore[F],
        strategies: Sequence[S],
        *,
        enabled: bool,
        use: str,
        lifespan: timedelta,
    ) -> None:
        self.flow_class = flow_class
        self.kind = flow_class.kind
        self.env = env
        self.store = store
        self.strategies: dict[str, S] = {s.id: s for s in strategies}
        self.enabled = enabled
        self.use = use
        self.lifespan = lifespan

    # -- flows ---------------------------------------------------------------------------
    def _strategy(self, method: str | None = None) -> S:
        name = method or self.use
        strategy = self.strategies.get(name)
        if strategy is None:
            raise BadRequestError(
                f"You attempted {self.kind} using {name}, which is not enabled or does not "
                f"exist. An administrator needs to enable this {self.kind} method."
            )
        return strategy

    def _blank(
        self,
        req: FlowRequest,
        flow_type: FlowType,
        method: str,
        lifespan: timedelta | None = None,
    ) -> F:
        return blank_flow(
            self.flow_class,
            self.env,
            flow_type,
            req.url,
            lifespan or self.lifespan,
            active=method,
        )

    async def new_flow(
        self,
        req: FlowRequest,
        flow_type: FlowType,
        *,
        lifespan: timedelta | None = None,
        method: str | None = None,
    ) -> tuple[F, str | None]:
        """A new flow (not stored) for ``method`` (default: ``use``) and the CSRF cookie
        to set, if the request had none."""
        strategy = self._strategy(method)
        return_to = req.query.get("return_to")
        if return_to:
            self.env.secure_return_to(return_to, self.kind)
        flow = self._blank(req, flow_type, strategy.id, lifespan)
        masked, new_cookie = mint_csrf(self.env, req, flow)
        strategy.populate(flow, masked)
        return flow, new_cookie

    async def save(self, flow: F) -> None:
        flow.updated_at = utcnow()
        await self.store.update(flow)

    def show(self, req: FlowRequest, flow: F, *, status: int = 200) -> Outcome:
        """The flow as JSON, or a 303 to its UI for a plain browser."""
        return self.env.show(req, flow, status=status)

    def _fetch_url(self, flow: Flow) -> str:
        return with_query(self.env.self_service_url(f"{self.kind}/flows"), id=str(flow.id))

    async def retry(
        self,
        req: FlowRequest,
        flow_type: FlowType,
        *,
        method: str,
        message: UiText | None = None,
        error: Exception | None = None,
        redirect_by_type: bool = False,
    ) -> Outcome:
        """Kratos ``retry<Flow>FlowWith{Message,Error}``: a new, stored flow carrying
        ``message`` or a 400 error's reason (other errors are raised), and the client sent
        to it (``redirect_by_type``: browser flows to the UI, API flows to fetch it)."""
        flow, new_cookie = await self.new_flow(req, flow_type, method=method)
        if message is not None:
            flow.ui.add_message(message)
        if isinstance(error, KratosError):
            if error.code != 400:
                raise error
            flow.ui.add_message(text.validation_generic(error.reason or error.message))
        elif error is not None:
            raise error
        await self.store.create(flow)
        if redirect_by_type:
            target = self.env.flow_ui_url(flow) if flow.is_browser else self._fetch_url(flow)
            outcome = Outcome.redirect(target)
        else:
            outcome = self._retried(req, flow, error)
        outcome.set_csrf = new_cookie
        return outcome

    @abstractmethod
    def _retried(self, req: FlowRequest, flow: F, error: Exception | None) -> Outcome:
        """How ``retry`` sends the client to the new flow (without ``redirect_by_type``)."""

    # -- create / fetch ------------------------------------------------------------------
    def _disabled(self) -> BadRequestError:
        return BadRequestError(
            f"{str(self.kind).capitalize()} is not allowed because it was disabled."
        )

    async def _created(self, req: FlowRequest, flow: F, new_cookie: str | None) -> Outcome:
        """Store a flow made by ``GET /self-service/<flow>/{browser,api}`` and answer it."""
        stopped = await self.env.before_hooks(req, flow)
        if stopped is not None:
            return stopped
        await self.store.create(flow)
        outcome = self.env.flow_or_redirect(req, flow)
        outcome.set_csrf = new_cookie
        return outcome

    async def _load(self, flow_id: uuid.UUID | None) -> F:
        flow = await self.store.get(flow_id) if flow_id is not None else None
        if flow is None:
            raise NotFoundError(
                f"The {self.kind} request could not be found. Please restart the flow.",
                message="Unable to locate the resource",
            )
        return flow

    async def _csrf_bound(self, req: FlowRequest, flow: F) -> bool:
        """Whether the request may see the flow: API flows, or the browser it was made for."""
        return not flow.is_browser or tokens_match(req.csrf_cookie, flow.csrf_token)

    def _expired_fetch_error(self, flow: F) -> KratosError:
        return expired_fetch_error(self.env, flow)

    async def fetch(self, req: FlowRequest, flow_id: str | None) -> Outcome:
        """``GET /self-service/<flow>/flows?id=``."""
        if not self.enabled:
            return await self.env.forward_error(req, self._disabled())
        flow = await self._load(fetch_id(flow_id))
        if not await self._csrf_bound(req, flow):
            raise self.env.csrf_error(req, None)
        if flow.is_expired():
            raise self._expired_fetch_error(flow)
        return Outcome.json(flow.to_dict())

    # -- submit --------------------------------------------------------------------------
    async def _load_for_submit(self, flow_id: str | None) -> F:
        return await self._load(parse_flow_id(flow_id))

    def _replacement_type(self, old: F) -> FlowType:
        """The type of the flow that replaces an expired ``old``."""
        return old.type

    async def _replace_expired(self, req: FlowRequest, old: F) -> tuple[F, str | None]:
        """A fresh, stored flow carrying "flow expired" in place of ``old``, and the CSRF
        cookie to set."""
        method = old.active if old.active in self.strategies else None
        new, new_cookie = await self.new_flow(req, self._replacement_type(old), method=method)
        new.request_url = old.request_url
        new.ui.add_message(text.flow_expired(str(self.kind), old.expires_at))
        await self.store.create(new)
        return new, new_cookie

    async def _expired(self, req: FlowRequest, old: F) -> Outcome:
        """A fresh flow carrying "flow expired"; API flows and JSON clients are sent to
        fetch it, browsers to the UI (Kratos's error handler without
        ``use_continue_with_transitions``)."""
        new, new_cookie = await self._replace_expired(req, old)
        if new.is_api or req.is_json:
            outcome = Outcome.redirect(self._fetch_url(new))
        else:
            outcome = Outcome.redirect(self.env.flow_ui_url(new))
        outcome.set_csrf = new_cookie
        return outcome

    @abstractmethod
    async def _handle(
        self, req: FlowRequest, flow: F, strategy: S, values: Mapping[str, Any]
    ) -> Any:
        """Hand a submission to the flow's active strategy; its result."""

    @abstractmethod
    async def _finish(self, req: FlowRequest, flow: F, strategy: S, result: Any) -> Outcome:
        """Answer a strategy's flow-specific result (the challenge was passed ...)."""

    async def _answer(self, req: FlowRequest, flow: F, strategy: S, result: Any) -> Outcome:
        """Turn a strategy's result into the answer."""
        if isinstance(result, ShowFlow):
            await self.save(flow)
            return self.show(req, flow, status=result.status)
        if isinstance(result, Retry):
            return await self.retry(
                req,
                result.flow_type or flow.type,
                method=strategy.id,
                message=result.message,
                error=result.error,
                redirect_by_type=result.redirect_by_type,
            )
        return await self._finish(req, flow, strategy, result)

    async def submit(self, req: FlowRequest, flow_id: str | None) -> Outcome:
        """``POST /self-service/<flow>?flow=``."""
        try:
            flow = await self._load_for_submit(flow_id)
        except KratosError as error:
            return await self.env.forward_error(req, error)
        if flow.is_expired():
            return await self._expired(req, flow)
        strategy = self.strategies.get(flow.active or "")
        try:
            if strategy is None:
                raise StrategyNotResponsible()
            result = await self._handle(req, flow, strategy, submitted_values(req))
            return await self._answer(req, flow, strategy, result)
        except StrategyNotResponsible:
            missing = FlowValidationError([text.no_strategy(str(self.kind))])
            return await handle_submit_error(self.env, req, flow, missing, self.store)
        except (FlowValidationError, KratosError) as error:
            return await handle_submit_error(self.env, req, flow, error, self.store)

    @abstractmethod
    def _show_opened(self, req: FlowRequest, flow: F) -> Outcome:
        """The answer to ``open`` without a code or token."""

    async def open(self, req: FlowRequest, flow_id: str | None) -> Outcome | LinkConfirmation:
        """``GET /self-service/<flow>?flow=[&code=|&token=]`` (a link from a mail).

        * ``token`` (the ``link`` method): used at once, as Kratos does -- unless
          ``phalanx.link_confirmation.enabled``, then a page whose button POSTs it;
        * ``code``: nothing is used; the code is filled into the flow's ``code`` input, the
          browser gets a fresh CSRF token (a mail link carries none) and a 303 to the flow's
          UI, whatever the flow's type (Kratos ``handleLinkClick``).
        """
        try:
            flow = await self._load_for_submit(flow_id)
        except KratosError as error:
            return await self.env.forward_error(req, error)
        if flow.is_expired():
            return await self._expired(req, flow)
        token, code = req.query.get("token"), req.query.get("code")
        if token:
            if self.env.config.phalanx.link_confirmation.enabled:
                return confirmation(self.env, req, self.kind, flow.id, method="link", token=token)
            return await self.submit(req, flow_id)
        if code:
            return await self._prefill_code(req, flow, code)
        return self._show_opened(req, flow)

    async def _prefill_code(self, req: FlowRequest, flow: F, code: str) -> Outcome:
        finished = finished_message(flow)
        if finished is not None:
            return await self.retry(
                req,
                flow.type,
                method=flow.active or self.use,
                message=finished,
                redirect_by_type=True,
            )
        node = flow.ui.find("code")
        if node is not None:
            node.attributes.set_value(code)
        real = new_real_token()
        flow.csrf_token = mask_token(real)
        flow.ui.set_csrf(flow.csrf_token)
        await self.save(flow)
        outcome = Outcome.redirect(self.env.flow_ui_url(flow))
        outcome.set_csrf = real
        return outcome
