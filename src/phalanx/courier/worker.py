"""The courier worker (Kratos ``courier/courier.go`` + ``courier_dispatcher.go``).

Every ``courier.worker.pull_wait`` the worker claims up to ``courier.worker.pull_count``
due ``queued`` messages (atomically: several workers never claim the same message), then
for each one:

* ``send_count > courier.message_retries`` -> ``abandoned`` (skipped);
* else ``send_count += 1`` and the message goes to its channel (``email``/``sms``):
  success -> ``sent`` + a ``success`` dispatch; failure -> a ``failed`` dispatch with the
  error JSON and back to ``queued``, or ``abandoned`` once ``send_count`` exceeds
  ``message_retries`` or when the server refused for good (SMTP 5xx).

Differences from Kratos, all about robustness: a failed message waits an exponential
:class:`~phalanx.courier.message.Backoff` before its next attempt (Kratos retries on the
next poll); after a failure the remaining claimed messages *of the same channel* go back
to the queue untouched (Kratos resets every remaining message); a full batch is followed
by an immediate poll (backlog drains without ``pull_wait`` pauses); messages a crashed
worker left in ``processing`` for ``stale_after`` (5 min) are re-queued.

``run_worker(registry)`` accepts any object with ``.config`` (a Phalanx ``Config``) and
``.courier_store`` (a :class:`~phalanx.courier.store.CourierStore`); if it also has a
``.courier`` (:class:`~phalanx.courier.queue.Courier`) its template renderer is reused.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Protocol

import anyio

from phalanx.config.model_courier import CourierConfig
from phalanx.config.model_hooks import HttpRequestConfig
from phalanx.courier.channel import Channel, DeliveryError, PermanentDeliveryError, error_json
from phalanx.courier.dev_mailbox import DevMailboxChannel
from phalanx.courier.http_channel import HTTPChannel
from phalanx.courier.message import Backoff, Message
from phalanx.courier.queue import Courier
from phalanx.courier.smtp import SMTPChannel
from phalanx.courier.store import CourierStore
from phalanx.courier.template import TemplateRenderer
from phalanx.logs.once import dependency_failed, dependency_recovered, is_down

__all__ = [
    "CourierWorker",
    "SupportsCourier",
    "build_channels",
    "run_worker",
    "run_worker_from_registry",
]

log = logging.getLogger("phalanx.courier")

SEND_TIMEOUT = 60.0  # seconds, one message end to end
STALE_AFTER = timedelta(minutes=5)
_ERROR_PAUSE_MAX = 30.0


class SupportsCourier(Protocol):
    """What :func:`run_worker` needs from a registry."""

    @property
    def config(self) -> Any: ...

    @property
    def courier_store(self) -> CourierStore: ...


def build_channels(
    config: CourierConfig,
    renderer: TemplateRenderer | None = None,
    *,
    dev_mailbox: str | None = None,
) -> dict[str, Channel]:
    """Channels by id from ``courier.*`` (Kratos ``CourierChannels``).

    ``courier.channels[]`` come first; the built-in ``email`` channel is SMTP or, with
    ``delivery_strategy: http``, HTTP with ``courier.http.request_config``. With
    ``dev_mailbox`` (the public base URL, given in ``--dev`` only) and no SMTP server
    configured, it is the :class:`DevMailboxChannel`.
    """
    channels: dict[str, Channel] = {}
    for entry in config.channels:
        if entry.id not in channels:
            channels[entry.id] = HTTPChannel(entry.id, entry.request_config, renderer=renderer)
    if "email" not in channels:
        if config.delivery_strategy == "http":
            # Without request_config every attempt fails with "url is not set", visibly.
            request = config.http.request_config or HttpRequestConfig()
            channels["email"] = HTTPChannel("email", request, renderer=renderer)
        elif dev_mailbox is not None and not config.smtp.connection_uri:
            channels["email"] = DevMailboxChannel(dev_mailbox)
        else:
            channels["email"] = SMTPChannel(config.smtp, renderer=renderer)
    return channels


def _dependency(channel: Channel | None, channel_id: str | None) -> str:
    """The ``dependency`` label of a channel's failures (``smtp``, ``courier_http``, ...)."""
    if isinstance(channel, SMTPChannel):
        return "smtp"
    if isinstance(channel, HTTPChannel):
        return "courier_http"
    return f"courier_{channel_id or 'channel'}"


class CourierWorker:
    """Delivers queued messages; :meth:`dispatch_batch` is one poll, :meth:`run` the loop."""

    def __init__(
        self,
        store: CourierStore,
        config: CourierConfig,
        *,
        channels: Mapping[str, Channel] | None = None,
        renderer: TemplateRenderer | None = None,
        backoff: Backoff | None = None,
        stale_after: timedelta = STALE_AFTER,
        dev_mailbox: str | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.renderer = renderer or TemplateRenderer(config)
        self.channels = (
            dict(channels)
            if channels is not None
            else build_channels(config, self.renderer, dev_mailbox=dev_mailbox)
        )
        self.backoff = backoff or Backoff()
        self.stale_after = stale_after
        self.last_batch_failed = False

    @property
    def max_retries(self) -> int:
        return self.config.message_retries

    async def dispatch_batch(self) -> int:
        """Claim and handle one batch; the number of messages claimed.

        ``last_batch_failed`` tells whether a delivery failed in this batch.
        """
        batch = await self.store.claim_batch(
            max(1, self.config.worker.pull_count),
            backoff=self.backoff,
            max_attempts=self.max_retries + 1,
        )
        self.last_batch_failed = False
        started = time.monotonic()
        failed_channels: set[str] = set()
        index = 0
        try:
            while index < len(batch):
                message = batch[index]
                if time.monotonic() - started > self.stale_after.total_seconds() / 2:
                    # Never hold claims long enough for another worker to re-queue them.
                    break
                index += 1
                if (message.channel or "") in failed_channels:
                    await self.store.release([message.id])
                elif not await self._handle(message):
                    failed_channels.add(message.channel or "")
                    self.last_batch_failed = True
        finally:
            if index < len(batch):  # stopped early or cancelled: hand the rest back
                with anyio.CancelScope(shield=True):
                    await self.store.release([m.id for m in batch[index:]])
        return len(batch)

    async def _handle(self, message: Message) -> bool:
        """Deliver one claimed message; False if its channel failed."""
        channel = self.channels.get(message.channel or "")
        dependency = _dependency(channel, message.channel)
        if message.send_count > self.max_retries:
            await self.store.mark_abandoned(message.id)
            # While the channel is known to be down this is expected: counted, not repeated.
            log.log(
                logging.DEBUG if is_down(dependency) else logging.WARNING,
                "Message was abandoned because it did not deliver after %d attempts",
                message.send_count,
                extra={"message_id": str(message.id)},
            )
            return True
        await self.store.increment_send_count(message.id)
        message.send_count += 1
        try:
            if channel is None:
                raise DeliveryError("no courier channels configured")
            with anyio.fail_after(SEND_TIMEOUT):
                await channel.send(message)
        except Exception as exc:  # any channel failure is recorded, never fatal
            error = error_json(exc)
            dependency_failed(
                dependency,
                "Unable to dispatch message: %s",
                error.get("message"),
                extra={"message_id": str(message.id), "channel": message.channel},
            )
            if isinstance(exc, PermanentDeliveryError) or message.send_count > self.max_retries:
                await self.store.mark_abandoned(message.id, error)
            else:
                await self.store.mark_failed(message.id, error)
            return False
        await self.store.mark_sent(message.id)
        dependency_recovered(dependency)
        log.debug("Courier sent out message.", extra={"message_id": str(message.id)})
        return True

    async def run(self, stop_event: anyio.Event | None = None) -> None:
        """Poll until ``stop_event`` is set (forever without one)."""
        stop = stop_event or anyio.Event()
        wait = max(self.config.worker.pull_wait.total_seconds(), 0.01)
        pull_count = max(1, self.config.worker.pull_count)
        last_sweep = -1e9
        pause = 0.0
        try:
            while not stop.is_set():
                claimed = 0
                try:
                    if time.monotonic() - last_sweep >= 60:
                        if requeued := await self.store.requeue_stale(self.stale_after):
                            log.warning("Re-queued %d messages stuck in processing", requeued)
                        last_sweep = time.monotonic()
                    claimed = await self.dispatch_batch()
                    pause = 0.0
                except Exception:  # database down: back off like Kratos's worker does
                    pause = min(max(pause * 2, wait), _ERROR_PAUSE_MAX)
                    log.exception("Courier failed to process the queue; retrying in %.1fs", pause)
                if claimed >= pull_count and not pause and not self.last_batch_failed:
                    continue
                with anyio.move_on_after(pause or wait):
                    await stop.wait()
        finally:
            for channel in self.channels.values():
                with anyio.CancelScope(shield=True):
                    await channel.aclose()


async def run_worker_from_registry(
    registry: SupportsCourier, *, stop_event: anyio.Event | None = None
) -> None:
    """Run the worker with ``registry.courier_store`` and ``registry.config.courier``."""
    config: CourierConfig = registry.config.courier
    courier = getattr(registry, "courier", None)
    renderer = courier.renderer if isinstance(courier, Courier) else None
    full = registry.config
    dev = bool(getattr(registry, "dev", False) or getattr(full, "dev", False))
    dev_mailbox = full.public_base_url if dev else None
    worker = CourierWorker(
        registry.courier_store, config, renderer=renderer, dev_mailbox=dev_mailbox
    )
    await worker.run(stop_event)


async def run_worker(
    target: SupportsCourier | CourierWorker, *, stop_event: anyio.Event | None = None
) -> None:
    """Entry point of ``serve --watch-courier`` and ``courier watch``.

    ``target`` is a registry (see :class:`SupportsCourier`) or a ready :class:`CourierWorker`.
    """
    if isinstance(target, CourierWorker):
        await target.run(stop_event)
    else:
        await run_worker_from_registry(target, stop_event=stop_event)
