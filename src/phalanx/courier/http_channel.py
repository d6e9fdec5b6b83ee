"""The HTTP channel: e-mail via an HTTP API or SMS gateways (Kratos ``courier/http_channel.go``).

Used for ``courier.channels[{id: "sms", type: "http", request_config}]`` and, with
``courier.delivery_strategy: http``, for e-mail with ``courier.http.request_config``.
The request body is a Jsonnet function of ``ctx``::

    {recipient, subject, body, html_body?, template_type, template_data, message_type}

where ``template_data`` is the template model (``to``, ``recovery_code``, ...).

* The default body (the schema's base64 default) is computed natively: ``recipient``,
  ``template_type``, ``to``, ``recovery_code``, ``recovery_url``, ``verification_url``,
  ``verification_code``, ``subject``, ``body`` (a ``template_data`` field that is absent
  is ``null``).
* A custom body URI is evaluated in the Jsonnet sandbox (:mod:`phalanx.jsonnet`: a worker
  process with a deadline, imports refused, like Kratos's ``jsonnetsecure``).
* ``Content-Type: application/x-www-form-urlencoded`` sends the result as a form (string
  values), anything else JSON. ``TRACE`` sends no body.
* ``auth``: ``api_key`` in a header (default) or a cookie, or ``basic_auth``.
* A non-2xx reply is a failed attempt ("unable to dispatch mail delivery because upstream
  server replied with status code N").
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from phalanx.config.model_hooks import DEFAULT_HTTP_BODY, HttpRequestConfig
from phalanx.courier.channel import Channel, DeliveryError
from phalanx.courier.message import Message, MessageType, TemplateType
from phalanx.courier.template import TemplateRenderer
from phalanx.jsonnet import JsonnetError, evaluate_jsonnet
from phalanx.outbound.request import BodyEncodingError, encode_body, request_headers
from phalanx.outbound.sources import SourceError, load_url

__all__ = ["HTTPChannel", "default_body"]

log = logging.getLogger("phalanx.courier.http")

HTTP_TIMEOUT = 10.0  # seconds
_DEFAULT_FIELDS = ("to", "recovery_code", "recovery_url", "verification_url", "verification_code")


def default_body(ctx: dict[str, Any]) -> dict[str, Any]:
    """What Kratos's default courier Jsonnet body evaluates to for ``ctx``."""
    data = ctx.get("template_data") or {}
    out: dict[str, Any] = {
        "recipient": ctx.get("recipient"),
        "template_type": ctx.get("template_type"),
        "subject": ctx.get("subject"),
        "body": ctx.get("body"),
    }
    for name in _DEFAULT_FIELDS:
        out[name] = data.get(name) if isinstance(data, dict) else None
    return dict(sorted(out.items()))  # jsonnet renders object keys sorted


class HTTPChannel(Channel):
    """POSTs (or whatever ``method`` says) each message to ``request_config.url``."""

    def __init__(
        self,
        id: str,
        request_config: HttpRequestConfig,
        *,
        renderer: TemplateRenderer | None = None,
        client: httpx.AsyncClient | None = None,
        timeout: float = HTTP_TIMEOUT,
    ) -> None:
        self.id = id
        self.config = request_config
        self.renderer = renderer
        self._client = client or httpx.AsyncClient(timeout=timeout)
        self._owns_client = client is None
        self._snippet: str | None = None

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def context(self, message: Message) -> dict[str, Any]:
        """The Jsonnet ``ctx`` (Kratos's ``httpDataModel``)."""
        ctx: dict[str, Any] = {
            "recipient": message.recipient,
            "subject": message.subject,
            "body": message.body,
        }
        if message.type is MessageType.EMAIL and self.renderer is not None:
            try:
                kind = TemplateType(message.template_type)
                ctx["html_body"] = await self.renderer.render_email_html(
                    kind, message.template_data
                )
            except Exception as exc:  # Kratos logs and leaves html_body out
                log.error("Unable to get email HTML body from template: %s", exc)
        ctx["template_type"] = message.template_type
        ctx["template_data"] = message.template_data
        ctx["message_type"] = str(message.type)
        return ctx

    async def _payload(self, ctx: dict[str, Any]) -> Any:
        body_uri = self.config.body
        if body_uri == DEFAULT_HTTP_BODY:
            return default_body(ctx)
        if self._snippet is None:
            try:
                self._snippet = (await load_url(body_uri, client=self._client)).decode("utf-8")
            except (SourceError, UnicodeDecodeError) as exc:
                raise DeliveryError(f"unable to load the request body template: {exc}") from exc
        try:
            return await evaluate_jsonnet(self._snippet, tla={"ctx": ctx}, name=body_uri[:80])
        except JsonnetError as exc:
            raise DeliveryError(f"jsonnet: {exc}") from exc

    async def send(self, message: Message) -> None:
        url = self.config.url
        if not url:
            raise DeliveryError(f"courier channel {self.id}: request_config.url is not set")
        method = self.config.method.upper()
        headers = request_headers(self.config.headers, self.config.auth)
        content: bytes | None = None
        if method != "TRACE":
            payload = await self._payload(await self.context(message))
            try:
                content = encode_body(payload, headers)
            except BodyEncodingError as exc:
                raise DeliveryError(str(exc)) from exc
        try:
            response = await self._client.request(method, url, content=content, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(str(exc) or type(exc).__name__) from exc
        if 200 <= response.status_code < 300:
            return
        # The worker reports the failure (once while it lasts, then counted); details here.
        log.debug(
            "sending mail via HTTP failed: status %d, body %r",
            response.status_code,
            response.content[:1024],
        )
        raise DeliveryError(
            "unable to dispatch mail delivery because upstream server replied with status "
            f"code {response.status_code}"
        )
