"""The ``web_hook`` hook (Kratos ``selfservice/hook/web_hook.go`` and ``request/*``).

One call: build ``ctx`` (:func:`hook_context`), render the Jsonnet ``body`` with it in the
sandbox (``error "cancel"`` skips the call), send the request through the SSRF guard with
the configured headers and ``auth``, then read the reply:

* ``response.ignore`` -- sent from a background task; the user never waits, failures are
  only logged;
* a transport timeout -> **504**, any other transport failure -> 500;
* status >= 400 -> with ``response.parse`` or ``can_interrupt`` a ``{"messages": [...]}``
  reply interrupts the flow (:class:`~phalanx.selfservice.hook.events.HookInterrupt`),
  else **502** ``webhook failed with status code <n>``;
* ``response.parse`` and 200 -> ``{"identity": {...}}`` changes the identity about to be
  stored (traits, metadata_public, metadata_admin, ...).

Attempts: 1 + ``phalanx.web_hooks.retries`` (Kratos: 2) on connection errors and 5xx other
than 501, waiting 1 s, 2 s, ... between them; ``phalanx.web_hooks.timeout`` (30 s) each.

Where Phalanx deliberately differs from v25.4: a hook without ``body`` sends its request
without a body (v25.4 fails every such call with "got empty template path for request
with body"), and a reply that tries to change the identity where there is none (a before
hook) is answered with a clear 500 instead of crashing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from phalanx.config.model_hooks import WebHookConfig
from phalanx.errors import BadGatewayError, GatewayTimeoutError, InternalServerError
from phalanx.jsonnet import JsonnetError, evaluate_jsonnet
from phalanx.outbound.guard import AddressGuard
from phalanx.outbound.http import OutboundError, OutboundResponse, send
from phalanx.outbound.request import BodyEncodingError, encode_body, request_headers
from phalanx.outbound.sources import SourceError, load_url
from phalanx.selfservice.hook.events import (
    HookEvent,
    HookInterrupt,
    HookMessage,
    apply_identity_changes,
)

if TYPE_CHECKING:
    from phalanx.identity.model import Identity

__all__ = ["WebHookCaller", "WebHookSettings", "hook_context"]

log = logging.getLogger("phalanx.hooks")

_UNREACHABLE = "A third-party upstream service could not be reached. Please try again later."
_IMPROPER = "A third-party upstream service responded improperly. Please try again later."
_MAX_REPLY = 5 * 1024 * 1024
_TEMPLATE_CACHE_SECONDS = 3600.0

JsonnetEvaluator = Callable[..., Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class WebHookSettings:
    """What every ``web_hook`` call shares (``clients.*`` and ``phalanx.web_hooks``)."""

    guard: AddressGuard = field(default_factory=AddressGuard)
    header_allowlist: Sequence[str] = ()
    timeout: float = 30.0
    retries: int = 2
    backoff: float = 1.0


def _allowed_headers(headers: Mapping[str, str], allowlist: Sequence[str]) -> dict[str, list[str]]:
    lowered = {k.lower(): v for k, v in headers.items()}
    return {name: [lowered[name.lower()]] for name in allowlist if name.lower() in lowered}


def hook_context(
    event: HookEvent,
    allowlist: Sequence[str],
    identity_json: Callable[[Identity], dict[str, Any]],
) -> dict[str, Any]:
    """The Jsonnet ``ctx`` (Kratos ``templateContext``)."""
    req = event.request
    ctx: dict[str, Any] = {
        "flow": event.flow_json,
        "request_headers": _allowed_headers(req.headers, allowlist),
        "request_method": req.method,
        "request_url": req.url,
        "request_cookies": {k: v for k, v in req.cookies.items() if k},
    }
    if event.identity is not None:
        ctx["identity"] = identity_json(event.identity)
    if event.session_json is not None:
        ctx["session"] = event.session_json
    ctx.update(event.extra)
    return ctx


def _is_cancel(error: JsonnetError) -> bool:
    return "RUNTIME ERROR: cancel" in str(error)


def _hook_name(config: WebHookConfig) -> str:
    return config.id or str(config.url)


class WebHookCaller:
    """Calls ``web_hook`` hooks; keeps the fire-and-forget tasks alive until they end."""

    def __init__(
        self,
        settings: WebHookSettings,
        identity_json: Callable[[Identity], dict[str, Any]],
        evaluate: JsonnetEvaluator = evaluate_jsonnet,
    ) -> None:
        self.settings = settings
        self.identity_json = identity_json
        self.evaluate = evaluate
        self._templates: dict[str, tuple[str, float]] = {}
        self._background: set[asyncio.Task[None]] = set()

    async def call(
        self, config: WebHookConfig, event: HookEvent, *, target: Identity | None = None
    ) -> None:
        """Run one hook for ``event``; ``target`` is the identity a parsed reply may change."""
        if config.response is not None and config.response.ignore:
            task = asyncio.get_running_loop().create_task(self._background_call(config, event))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return
        request = await self._build(config, event)
        if request is None:  # the Jsonnet body said ``error "cancel"``
            return
        response = await self._send(config, request)
        self._read(config, response, target)

    async def drain(self) -> None:
        """Wait for the fire-and-forget calls still running (tests, shutdown)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    # -- request -----------------------------------------------------------------------
    async def _template(self, url: str) -> str:
        now = time.monotonic()
        hit = self._templates.get(url)
        if hit is not None and hit[1] > now:
            return hit[0]
        try:
            source = (await load_url(url, self.settings.guard)).decode("utf-8")
        except (SourceError, UnicodeDecodeError) as exc:
            raise InternalServerError(
                "The web hook's request body template could not be loaded.", message=str(exc)
            ) from exc
        self._templates[url] = (source, now + _TEMPLATE_CACHE_SECONDS)
        return source

    async def _build(
        self, config: WebHookConfig, event: HookEvent
    ) -> tuple[str, dict[str, str], bytes | None] | None:
        method = config.method.upper()
        headers = request_headers(config.headers, config.auth)
        if method == "TRACE" or not config.body:
            return method, headers, None
        ctx = hook_context(event, self.settings.header_allowlist, self.identity_json)
        content = await self.render(config.body, ctx, headers, _hook_name(config))
        return None if content is None else (method, headers, content)

    async def render(
        self, body: str, ctx: dict[str, Any], headers: Mapping[str, str], name: str
    ) -> bytes | None:
        """The request body: the Jsonnet template at ``body`` called with ``ctx``, encoded
        for the content type; None when the template says ``error "cancel"``."""
        url = body if "://" in body else f"file://{body}"
        source = await self._template(url)
        try:
            payload = await self.evaluate(source, tla={"ctx": ctx}, name=url[:80])
        except JsonnetError as exc:
            if _is_cancel(exc):
                log.info("web hook %s canceled by its Jsonnet body", name)
                return None
            raise InternalServerError(
                "The web hook's request body could not be rendered by its Jsonnet template.",
                message=str(exc),
            ) from exc
        try:
            return encode_body(payload, headers)
        except BodyEncodingError as exc:
            raise InternalServerError(
                "The web hook's request body could not be encoded.", message=str(exc)
            ) from exc

    async def _send(
        self, config: WebHookConfig, request: tuple[str, dict[str, str], bytes | None]
    ) -> OutboundResponse:
        method, headers, content = request
        return await self.deliver(
            str(config.url),
            method,
            headers,
            content,
            emit_analytics_event=config.emit_analytics_event,
            name=_hook_name(config),
        )

    async def deliver(
        self,
        url: str,
        method: str,
        headers: Mapping[str, str],
        content: bytes | None,
        *,
        emit_analytics_event: bool = True,
        name: str = "",
    ) -> OutboundResponse:
        """Send with the retry rules; a timeout raises 504, another failure 500."""
        settings = self.settings
        trigger = str(uuid.uuid4())
        attempts = settings.retries + 1
        for attempt in range(attempts):
            sent = dict(headers)
            if emit_analytics_event:
                sent["Ory-Webhook-Request-ID"] = str(uuid.uuid4())
                sent["Ory-Webhook-Trigger-ID"] = trigger
            last = attempt == attempts - 1
            try:
                response = await send(
                    settings.guard,
                    method,
                    url,
                    headers=sent,
                    content=content,
                    time_limit=settings.timeout,
                    max_body=_MAX_REPLY,
                )
            except OutboundError as exc:
                if exc.blocked or last:
                    log.error("web hook %s failed: %s", name or url, exc)
                    if exc.timeout:
                        raise GatewayTimeoutError(_UNREACHABLE, message=str(exc)) from exc
                    raise InternalServerError(
                        "The web hook could not be called.", message=str(exc)
                    ) from exc
            else:
                retry = response.status >= 500 and response.status != 501
                if not retry or last:
                    return response
            await asyncio.sleep(settings.backoff * (2**attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _background_call(self, config: WebHookConfig, event: HookEvent) -> None:
        """``response.ignore``: the whole call (Jsonnet included) off the user's request."""
        try:
            request = await self._build(config, event)
            if request is None:
                return
            response = await self._send(config, request)
        except Exception as exc:
            log.warning(
                "web hook %s failed but the error was ignored (response.ignore): %s",
                _hook_name(config),
                exc,
            )
            return
        if response.status >= 400:
            log.warning(
                "web hook %s answered %d; ignored (response.ignore)",
                _hook_name(config),
                response.status,
            )

    # -- response ----------------------------------------------------------------------
    def _read(
        self, config: WebHookConfig, response: OutboundResponse, target: Identity | None
    ) -> None:
        parse = config.response is not None and config.response.parse
        status = response.status
        if status >= 400:
            if parse or config.can_interrupt:
                raise HookInterrupt(_messages(response.body))
            raise BadGatewayError(_IMPROPER, message=f"webhook failed with status code {status}")
        if not parse or status != 200:
            return
        reply = _json(response.body)
        changes = reply.get("identity") if isinstance(reply, dict) else None
        if changes is None:
            return
        if not isinstance(changes, dict):
            raise InternalServerError(
                "The web hook's reply could not be used.",
                message='"identity" in the web hook reply is not an object',
            )
        if target is None:
            raise InternalServerError(
                "The web hook's reply could not be used.",
                message=(
                    "the web hook replied with identity changes, but there is no identity "
                    "to change at this point of the flow"
                ),
            )
        apply_identity_changes(target, changes)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise InternalServerError(
            "The web hook's reply could not be used.",
            message="webhook response could not be unmarshalled properly from JSON",
        ) from exc


def _messages(body: bytes) -> list[HookMessage]:
    reply = _json(body)
    entries = reply.get("messages") if isinstance(reply, dict) else None
    out: list[HookMessage] = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        pointer = str(entry.get("instance_ptr") or "")
        for detail in entry.get("messages") or []:
            if not isinstance(detail, dict):
                continue
            context = detail.get("context")
            out.append(
                HookMessage(
                    pointer,
                    str(detail.get("text", "")),
                    id=int(detail.get("id") or 0),
                    type="error" if detail.get("type") == "error" else "info",
                    context=context if isinstance(context, dict) else None,
                )
            )
    if not out:
        raise InternalServerError(
            "The web hook's reply could not be used.",
            message="error while parsing webhook response: got no validation errors",
        )
    return out
