"""Concurrent whoami lookups coalesced into one statement (PostgreSQL, MySQL/MariaDB).

Without the session cache every ``/sessions/whoami`` reads the database. On a server
database the cost of that read is mostly the round trip (a send, a wake-up, a receive),
not the index lookup, and under load many lookups are waiting at the same moment. A
:class:`TokenBatcher` sends the tokens that arrived while the previous statements were
in flight as **one** statement (``WHERE s.token = ANY(...)``), at most ``concurrency``
statements at a time (the pool size), and hands each caller its own row. With a single
request in flight nothing waits: its statement starts on the next turn of the event
loop. Every answer is read by a statement that started after the request arrived, so
batching never serves an older state than a lookup of its own would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

__all__ = ["FetchMany", "TokenBatcher"]

FetchMany = Callable[[list[str]], Awaitable[dict[str, Sequence[Any]]]]
"""Runs one statement for some token digests: the row of each digest found."""


class TokenBatcher:
    """``row_by_token`` for many concurrent callers, through ``fetch`` (see the module)."""

    def __init__(self, fetch: FetchMany, *, concurrency: int, max_batch: int = 100) -> None:
        self.fetch = fetch
        self.concurrency = max(1, concurrency)
        self.max_batch = max(1, max_batch)
        self._waiting: dict[str, list[asyncio.Future[Sequence[Any] | None]]] = {}
        self._running = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def row_by_token(self, token_digest: str) -> Sequence[Any] | None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (an embedding app's tests): start over
            self._loop, self._waiting, self._running, self._tasks = loop, {}, 0, set()
        future: asyncio.Future[Sequence[Any] | None] = loop.create_future()
        self._waiting.setdefault(token_digest, []).append(future)
        if self._running < self.concurrency:
            self._running += 1
            task = loop.create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    def _take(self) -> dict[str, list[asyncio.Future[Sequence[Any] | None]]]:
        if len(self._waiting) <= self.max_batch:
            batch, self._waiting = self._waiting, {}
            return batch
        digests = list(self._waiting)[: self.max_batch]
        return {digest: self._waiting.pop(digest) for digest in digests}

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = self._take()
                try:
                    rows = await self.fetch(list(batch))
                except Exception as error:
                    for futures in batch.values():
                        for future in futures:
                            if not future.done():
                                future.set_exception(error)
                    continue
                except BaseException:  # cancelled (shutdown): nobody gets an answer
                    for futures in batch.values():
                        for future in futures:
                            future.cancel()
                    raise
                for digest, futures in batch.items():
                    row = rows.get(digest)
                    for future in futures:
                        if not future.done():  # its request may have gone away
                            future.set_result(row)
        finally:
            self._running -= 1

    def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
