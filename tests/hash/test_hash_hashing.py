"""PasswordHashing: work runs in the pool, the event loop keeps running."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time

import pytest

from phalanx.hash import (
    BcryptHasher,
    Hasher,
    PasswordHashing,
    PasswordTooLongError,
    verify,
)


class RecordingHasher(BcryptHasher):
    def __init__(self) -> None:
        super().__init__(cost=4)
        self.threads: list[str] = []

    def hash(self, password: str | bytes) -> str:
        self.threads.append(threading.current_thread().name)
        return super().hash(password)


@pytest.mark.anyio
async def test_hash_and_verify_round_trip() -> None:
    with PasswordHashing(BcryptHasher(cost=4), max_workers=2) as hashing:
        hashed = await hashing.hash("pw")
        assert await hashing.verify("pw", hashed)
        assert not await hashing.verify("pW", hashed)
        assert not await hashing.verify("pw", "garbage")  # never raises
        assert not hashing.needs_rehash(hashed)
        assert hashing.needs_rehash("$md5$CY9rzUYh03PK3k6DJie09g==")


@pytest.mark.anyio
async def test_work_runs_on_pool_threads() -> None:
    hasher = RecordingHasher()
    with PasswordHashing(hasher, max_workers=2) as hashing:
        await hashing.hash("pw")
    assert hasher.threads and hasher.threads[0].startswith("phalanx-hash")


@pytest.mark.anyio
async def test_too_long_password_error_reaches_the_caller() -> None:
    with (
        PasswordHashing(BcryptHasher(cost=4), max_workers=1) as hashing,
        pytest.raises(PasswordTooLongError),
    ):
        await hashing.hash("a" * 73)


@pytest.mark.anyio
async def test_event_loop_keeps_ticking_while_four_cost_12_hashes_run() -> None:
    interval = 0.01
    ticks: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            ticks.append(time.perf_counter())
            await asyncio.sleep(interval)

    with PasswordHashing(BcryptHasher(cost=12)) as hashing:
        task = asyncio.create_task(ticker())
        started = time.perf_counter()
        hashes = await asyncio.gather(*(hashing.hash(f"password {i}") for i in range(4)))
        elapsed = time.perf_counter() - started
        done.set()
        await task

    assert len(set(hashes)) == 4
    assert all(h.startswith("$2a$12$") for h in hashes)
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert elapsed > 0.2  # four cost-12 hashes are real work
    assert len(ticks) > elapsed / interval / 3, (len(ticks), elapsed)
    # One cost-12 hash takes ~0.25 s: a gap that long would mean a hash held the GIL.
    assert max(gaps) < 0.2, max(gaps)


@pytest.mark.anyio
async def test_verify_dummy_costs_about_one_verification() -> None:
    hasher = BcryptHasher(cost=10)
    real = hasher.hash("pw")
    real_times, dummy_times = [], []
    with PasswordHashing(hasher, max_workers=1) as hashing:
        await hashing.verify_dummy("first call makes the dummy hash")
        for _ in range(3):
            started = time.perf_counter()
            await hashing.verify("wrong", real)
            real_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            await hashing.verify_dummy("wrong")
            dummy_times.append(time.perf_counter() - started)
    assert min(dummy_times) > 0.5 * min(real_times), (dummy_times, real_times)


@pytest.mark.anyio
async def test_warm_up_precomputes_the_dummy_hash_once() -> None:
    hasher = RecordingHasher()
    with PasswordHashing(hasher, max_workers=2) as hashing:
        await hashing.warm_up()
        await hashing.warm_up()
        await asyncio.gather(*(hashing.verify_dummy("x") for _ in range(4)))
    assert len(hasher.threads) == 1


@pytest.mark.anyio
async def test_concurrent_first_dummy_calls_make_one_hash() -> None:
    hasher = RecordingHasher()
    with PasswordHashing(hasher, max_workers=4) as hashing:
        await asyncio.gather(*(hashing.verify_dummy("x") for _ in range(4)))
    assert len(hasher.threads) == 1


def test_shutdown_stops_the_pool() -> None:
    hashing = PasswordHashing(BcryptHasher(cost=4), max_workers=1)
    hashing.shutdown()

    async def after_shutdown() -> None:
        await hashing.hash("pw")

    with pytest.raises(RuntimeError):
        asyncio.run(after_shutdown())


def test_rejects_zero_workers() -> None:
    with pytest.raises(ValueError, match="max_workers"):
        PasswordHashing(BcryptHasher(cost=4), max_workers=0)


def test_hasher_property_and_abc() -> None:
    hasher = BcryptHasher(cost=4)
    with PasswordHashing(hasher, max_workers=1) as hashing:
        assert hashing.hasher is hasher
    assert isinstance(hasher, Hasher)
    assert verify("pw", hasher.hash("pw"))
