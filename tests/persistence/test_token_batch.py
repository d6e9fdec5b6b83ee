"""The coalescing of concurrent whoami lookups (:mod:`phalanx.persistence.sql.dialects.batch`):
its rules, with a fetch over a dict (the real statement is tested on PostgreSQL in
``test_sql_session_lookup.py``)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Sequence
from typing import Any

import pytest

from phalanx.persistence.sql.dialects.batch import TokenBatcher

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Rows:
    """A table of token -> row; records each statement and can hold or fail them."""

    def __init__(self, rows: dict[str, Sequence[Any]]) -> None:
        self.rows = rows
        self.statements: list[list[str]] = []
        self.release = asyncio.Event()
        self.release.set()
        self.fail: Exception | None = None

    async def fetch(self, digests: list[str]) -> dict[str, Sequence[Any]]:
        self.statements.append(digests)
        await self.release.wait()
        if self.fail is not None:
            raise self.fail
        return {d: self.rows[d] for d in digests if d in self.rows}


async def test_one_caller_gets_its_row_from_one_statement() -> None:
    rows = Rows({"a": ("A",)})
    batcher = TokenBatcher(rows.fetch, concurrency=2)
    assert await batcher.row_by_token("a") == ("A",)
    assert await batcher.row_by_token("zz") is None
    assert rows.statements == [["a"], ["zz"]]


async def test_callers_arriving_during_a_statement_share_the_next_one() -> None:
    rows = Rows({k: (k.upper(),) for k in "abcdef"})
    batcher = TokenBatcher(rows.fetch, concurrency=1)
    rows.release.clear()
    first = asyncio.ensure_future(batcher.row_by_token("a"))
    await asyncio.sleep(0.01)  # the first statement is in flight
    later = [asyncio.ensure_future(batcher.row_by_token(k)) for k in "bcdeb"]
    await asyncio.sleep(0.01)
    rows.release.set()
    answers = await asyncio.gather(first, *later)
    assert [a[0] for a in answers if a] == ["A", "B", "C", "D", "E", "B"]
    assert rows.statements == [["a"], ["b", "c", "d", "e"]]  # "b" asked for once


async def test_batches_are_capped_and_statements_bounded_by_concurrency() -> None:
    rows = Rows({str(i): (i,) for i in range(25)})
    batcher = TokenBatcher(rows.fetch, concurrency=2, max_batch=10)
    answers = await asyncio.gather(*(batcher.row_by_token(str(i)) for i in range(25)))
    assert [a[0] for a in answers if a] == list(range(25))
    assert all(len(s) <= 10 for s in rows.statements)
    assert sorted(d for s in rows.statements for d in s) == sorted(str(i) for i in range(25))


async def test_a_failed_statement_fails_its_callers_and_the_next_batch_runs() -> None:
    rows = Rows({"a": ("A",), "b": ("B",)})
    batcher = TokenBatcher(rows.fetch, concurrency=1)
    rows.fail = RuntimeError("connection lost")
    with pytest.raises(RuntimeError, match="connection lost"):
        await batcher.row_by_token("a")
    rows.fail = None
    assert await batcher.row_by_token("b") == ("B",)


async def test_a_caller_that_goes_away_does_not_disturb_the_others() -> None:
    rows = Rows({"a": ("A",), "b": ("B",)})
    batcher = TokenBatcher(rows.fetch, concurrency=1)
    rows.release.clear()
    gone = asyncio.ensure_future(batcher.row_by_token("a"))
    stays = asyncio.ensure_future(batcher.row_by_token("a"))
    other = asyncio.ensure_future(batcher.row_by_token("b"))
    await asyncio.sleep(0.01)
    gone.cancel()
    rows.release.set()
    assert await stays == ("A",)
    assert await other == ("B",)
    assert gone.cancelled()


# The first loop is closed with the statement's task pending, as the test means to: its
# coroutine is reported when collected.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_new_event_loop_starts_with_a_clean_slate() -> None:
    """A loop that ended with a statement in flight (its task never finished) does not
    leave the batcher thinking all its statements are busy."""
    rows = Rows({"a": ("A",)})
    batcher = TokenBatcher(rows.fetch, concurrency=1)

    pending: list[asyncio.Future[Sequence[Any] | None]] = []

    async def abandoned() -> None:
        rows.release = asyncio.Event()  # held: the statement never returns
        pending.append(asyncio.ensure_future(batcher.row_by_token("a")))
        await asyncio.sleep(0.01)

    first = asyncio.new_event_loop()
    first.run_until_complete(abandoned())
    first.close()

    async def fresh() -> Sequence[Any] | None:
        rows.release = asyncio.Event()
        rows.release.set()
        return await asyncio.wait_for(batcher.row_by_token("a"), 2)

    assert asyncio.run(fresh()) == ("A",)
    pending.clear()
    gc.collect()  # the abandoned statement's coroutine is reported here, under this test
