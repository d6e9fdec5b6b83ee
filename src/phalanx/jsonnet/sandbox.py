"""A pool of sandboxed Jsonnet worker processes, and the one function callers use.

Every Jsonnet snippet Phalanx evaluates -- courier request bodies, web hook bodies, OIDC
claims mappers, tokenizer claims mappers -- comes from configuration, often from a URL, and
is evaluated here, never in the server process: a snippet that loops forever or allocates
without bound costs one worker process (killed at the deadline, or by its memory cap), not
the server. Imports are refused and nothing of the environment is passed in (see
:mod:`phalanx.jsonnet.worker`).

The pool talks to its workers through plain pipes from a thread (``anyio.to_thread``), so it
is independent of any event loop; after a ``fork`` (``serve --workers``) each process starts
its own workers on first use. Workers exit by themselves when their stdin closes.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anyio.to_thread

__all__ = [
    "DEFAULT_TIME_LIMIT",
    "JsonnetError",
    "JsonnetSandbox",
    "JsonnetTimeout",
    "default_sandbox",
    "evaluate_jsonnet",
]

#: Seconds a snippet may run before its worker is killed.
DEFAULT_TIME_LIMIT = 2.0
#: Largest result (JSON text) a snippet may produce, in bytes.
DEFAULT_MAX_OUTPUT = 4 * 1024 * 1024
#: Address-space cap of each worker process, in bytes.
DEFAULT_MAX_MEMORY = 1024 * 1024 * 1024
_WORKER = Path(__file__).with_name("worker.py")


class JsonnetError(Exception):
    """The snippet did not evaluate: a syntax or runtime error, a refused import, a cap hit."""


class JsonnetTimeout(JsonnetError):
    """The snippet ran past its deadline and its worker was stopped."""


class _Worker:
    __slots__ = ("process",)

    def __init__(self, max_memory: int) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv: this interpreter, our file
            [sys.executable, "-I", str(_WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=0,
            env={"PHALANX_JSONNET_MAX_MEMORY": str(max_memory)},
            close_fds=True,
        )

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):  # pragma: no cover - already gone
            pass

    def call(self, request: bytes, timeout: float, max_output: int) -> dict[str, Any]:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(request)
        except (BrokenPipeError, OSError) as exc:
            raise _WorkerGone from exc
        deadline = time.monotonic() + timeout
        fd = stdout.fileno()
        buffer = bytearray()
        while not buffer.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise JsonnetTimeout(f"the snippet ran longer than {timeout:g}s and was stopped")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise _WorkerGone
            buffer += chunk
            if len(buffer) > max_output + 64:
                raise JsonnetError(f"the snippet's result is larger than {max_output} bytes")
        answer: dict[str, Any] = json.loads(buffer)
        return answer


class _WorkerGone(Exception):
    """The worker process ended while evaluating (memory cap, crash)."""


class JsonnetSandbox:
    """A bounded pool of worker processes evaluating Jsonnet snippets one at a time each."""

    def __init__(
        self,
        *,
        size: int = 2,
        max_memory: int = DEFAULT_MAX_MEMORY,
        max_output: int = DEFAULT_MAX_OUTPUT,
    ) -> None:
        self._size = size
        self._max_memory = max_memory
        self._max_output = max_output
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._pid = os.getpid()

    async def evaluate(
        self,
        source: str,
        *,
        tla: Mapping[str, Any] | None = None,
        ext: Mapping[str, Any] | None = None,
        time_limit: float = DEFAULT_TIME_LIMIT,
        name: str = "snippet.jsonnet",
    ) -> Any:
        """Evaluate ``source`` with ``tla``/``ext`` values (plain JSON data) and parse the result.

        ``tla`` are top-level arguments (``function(ctx) ...``, as web hooks and the courier
        call them); ``ext`` are ``std.extVar`` values (``std.extVar('claims')``, as the OIDC
        and tokenizer claims mappers read them). Raises :class:`JsonnetError` (or
        :class:`JsonnetTimeout`) with a message fit for logs and error details.
        """
        return await anyio.to_thread.run_sync(
            self.evaluate_sync, source, tla, ext, time_limit, name, abandon_on_cancel=True
        )

    def evaluate_sync(
        self,
        source: str,
        tla: Mapping[str, Any] | None = None,
        ext: Mapping[str, Any] | None = None,
        time_limit: float = DEFAULT_TIME_LIMIT,
        name: str = "snippet.jsonnet",
    ) -> Any:
        """:meth:`evaluate` for code that is not async (blocks the calling thread)."""
        try:
            request = (
                json.dumps(
                    {
                        "name": name,
                        "source": source,
                        "tla": {k: json.dumps(v) for k, v in (tla or {}).items()},
                        "ext": {k: json.dumps(v) for k, v in (ext or {}).items()},
                    }
                ).encode()
                + b"\n"
            )
        except (TypeError, ValueError) as exc:
            raise JsonnetError(f"the snippet's input is not JSON data: {exc}") from exc
        with self._slots:
            worker = self._take()
            try:
                answer = worker.call(request, time_limit, self._max_output)
            except _WorkerGone:
                worker.kill()
                raise JsonnetError(
                    "the snippet was stopped: it exceeded the sandbox memory limit or crashed"
                ) from None
            except BaseException:
                worker.kill()
                raise
            self._give_back(worker)
        if "error" in answer:
            raise JsonnetError(str(answer["error"]))
        try:
            return json.loads(answer["ok"])
        except (KeyError, TypeError, ValueError) as exc:  # pragma: no cover - worker bug
            raise JsonnetError(f"unreadable answer from the sandbox: {exc}") from exc

    def _take(self) -> _Worker:
        with self._lock:
            if os.getpid() != self._pid:  # forked: the parent's workers are not ours
                self._idle, self._pid = [], os.getpid()
            if self._idle:
                return self._idle.pop()
        return _Worker(self._max_memory)

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            if os.getpid() == self._pid and len(self._idle) < self._size:
                self._idle.append(worker)
                return
        worker.kill()

    def close(self) -> None:
        """Stop every idle worker (busy ones stop when their evaluation ends)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()


_default = JsonnetSandbox()


def default_sandbox() -> JsonnetSandbox:
    """The process-wide sandbox :func:`evaluate_jsonnet` uses."""
    return _default


async def evaluate_jsonnet(
    source: str,
    *,
    tla: Mapping[str, Any] | None = None,
    ext: Mapping[str, Any] | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    name: str = "snippet.jsonnet",
) -> Any:
    """Evaluate a snippet in the process-wide sandbox (see :meth:`JsonnetSandbox.evaluate`)."""
    return await _default.evaluate(source, tla=tla, ext=ext, time_limit=time_limit, name=name)
