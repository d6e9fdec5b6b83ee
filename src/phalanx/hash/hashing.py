"""The configured hasher, and running hashes off the event loop.

:func:`hasher_from_config` mirrors the choice Kratos's registry makes from ``hashers.*``.
:class:`PasswordHashing` runs hashing and verification in a bounded thread pool: bcrypt,
argon2-cffi, ``hashlib.pbkdf2_hmac`` and ``hashlib.scrypt`` release the GIL, so several
hashes use several cores while the event loop keeps serving requests.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import TypeVar

from phalanx.hash.argon2 import Argon2Hasher
from phalanx.hash.base import Hasher
from phalanx.hash.bcrypt import BcryptHasher
from phalanx.hash.comparator import needs_rehash, verify

__all__ = ["PasswordHashing", "hasher_from_config"]

_T = TypeVar("_T")
_DUMMY_PASSWORD = "phalanx-timing-equaliser"


def hasher_from_config(
    algorithm: str,
    *,
    bcrypt_cost: int,
    argon2_memory_kib: int,
    argon2_iterations: int,
    argon2_parallelism: int,
    argon2_salt_length: int,
    argon2_key_length: int,
) -> Hasher:
    """The hasher for ``hashers.algorithm`` (``bcrypt`` or ``argon2``) and its parameters.

    Kratos's config defaults are bcrypt at cost 12, and argon2 with 128 MB
    (``argon2_memory_kib=131072``), 1 iteration, 2 lanes per CPU
    (:func:`~phalanx.hash.argon2.default_argon2_parallelism`), a 16-byte salt and a 32-byte
    key. Kratos's own raising of a bcrypt cost below 12 outside ``--dev`` belongs to config.
    Raises ValueError for another algorithm or for parameters that would write unverifiable
    hashes.
    """
    if algorithm == "bcrypt":
        return BcryptHasher(cost=bcrypt_cost)
    if algorithm == "argon2":
        return Argon2Hasher(
            memory_kib=argon2_memory_kib,
            iterations=argon2_iterations,
            parallelism=argon2_parallelism,
            salt_length=argon2_salt_length,
            key_length=argon2_key_length,
        )
    raise ValueError(f"unknown password hashing algorithm {algorithm!r} (bcrypt or argon2)")


class PasswordHashing:
    """Hash and verify passwords in a bounded thread pool, for async callers.

    ``max_workers`` (default: the CPU count) caps how many hashes run at once; more requests
    queue instead of oversubscribing the CPU. :meth:`verify_dummy` spends the time of one
    verification against a hash of the configured hasher, for logins naming an unknown
    identifier, so response time does not tell whether an account exists. The coroutines
    need an asyncio event loop (uvloop included).
    """

    def __init__(self, hasher: Hasher, *, max_workers: int | None = None) -> None:
        workers = max_workers if max_workers is not None else (os.cpu_count() or 1)
        if workers < 1:
            raise ValueError("max_workers must be at least 1")
        self._hasher = hasher
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="phalanx-hash")
        self._dummy: str | None = None
        self._dummy_lock = threading.Lock()

    @property
    def hasher(self) -> Hasher:
        """The configured hasher new hashes come from."""
        return self._hasher

    async def _run(self, fn: Callable[..., _T], *args: object) -> _T:
        return await asyncio.wrap_future(self._executor.submit(fn, *args))

    async def hash(self, password: str | bytes) -> str:
        """Hash ``password`` with the configured hasher (may raise ``PasswordTooLongError``)."""
        return await self._run(self._hasher.hash, password)

    async def verify(self, password: str | bytes, hashed: str) -> bool:
        """Whether ``password`` matches ``hashed``, any supported format; never raises."""
        return await self._run(verify, password, hashed)

    async def verify_dummy(self, password: str | bytes) -> None:
        """Spend the time a verification against a configured-hasher hash takes.

        The dummy hash is made on first use (that call spends about one hash, the same) or by
        :meth:`warm_up`.
        """
        await self._run(self._burn, password)

    async def warm_up(self) -> None:
        """Compute the dummy hash now rather than on the first :meth:`verify_dummy`."""
        await self._run(self._dummy_hash)

    def needs_rehash(self, hashed: str, *, check_params: bool = True) -> bool:
        """Whether a login with ``hashed`` should store a fresh hash (see ``needs_rehash``)."""
        return needs_rehash(hashed, self._hasher, check_params=check_params)

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop the worker threads; queued work is cancelled when ``wait`` is false."""
        self._executor.shutdown(wait=wait, cancel_futures=not wait)

    def __enter__(self) -> PasswordHashing:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.shutdown()

    def _dummy_hash(self) -> tuple[str, bool]:
        with self._dummy_lock:
            if self._dummy is None:
                self._dummy = self._hasher.hash(_DUMMY_PASSWORD)
                return self._dummy, True
            return self._dummy, False

    def _burn(self, password: str | bytes) -> None:
        dummy = self._dummy
        if dummy is None:
            dummy, fresh = self._dummy_hash()
            if fresh:
                return
        verify(password, dummy)
