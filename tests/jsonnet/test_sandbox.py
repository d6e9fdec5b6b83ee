"""The Jsonnet sandbox: results, refused imports, no environment, deadlines, memory caps."""

from __future__ import annotations

import os
import time

import pytest

from phalanx.jsonnet import JsonnetError, JsonnetSandbox, JsonnetTimeout, evaluate_jsonnet

pytestmark = pytest.mark.anyio


@pytest.fixture
def sandbox() -> JsonnetSandbox:
    box = JsonnetSandbox(size=1)
    yield box
    box.close()


async def test_top_level_arguments_and_ext_vars_are_plain_data() -> None:
    result = await evaluate_jsonnet(
        "function(ctx) { who: ctx.identity.traits.email, claim: std.extVar('claims').sub }",
        tla={"ctx": {"identity": {"traits": {"email": "josé@example.org"}}}},
        ext={"claims": {"sub": "abc"}},
    )
    assert result == {"who": "josé@example.org", "claim": "abc"}


@pytest.mark.parametrize(
    "snippet",
    [
        'import "/etc/passwd"',
        'importstr "/etc/passwd"',
        'importbin "/etc/passwd"',
        'importstr "http://127.0.0.1:1/x"',
    ],
)
async def test_imports_are_refused(sandbox: JsonnetSandbox, snippet: str) -> None:
    with pytest.raises(JsonnetError, match="not allowed"):
        await sandbox.evaluate(snippet)


async def test_the_environment_is_not_readable(sandbox: JsonnetSandbox) -> None:
    os.environ["PHALANX_SANDBOX_PROBE"] = "secret"
    try:
        with pytest.raises(JsonnetError, match=r"[Uu]ndefined external variable"):
            await sandbox.evaluate("std.extVar('PHALANX_SANDBOX_PROBE')")
        with pytest.raises(JsonnetError):
            await sandbox.evaluate("std.native('getenv')('PHALANX_SANDBOX_PROBE')")
    finally:
        del os.environ["PHALANX_SANDBOX_PROBE"]


async def test_an_endless_snippet_is_stopped_at_its_deadline(sandbox: JsonnetSandbox) -> None:
    endless = "local spin(n) = if n < 0 then 0 else spin(n + 1) tailstrict; spin(0)"
    started = time.monotonic()
    with pytest.raises(JsonnetError):  # the deadline, or the memory cap if it comes first
        await sandbox.evaluate(endless, time_limit=0.5)
    assert time.monotonic() - started < 5
    assert await sandbox.evaluate("{ ok: true }") == {"ok": True}  # a fresh worker serves on


async def test_a_cpu_bound_snippet_times_out(sandbox: JsonnetSandbox) -> None:
    busy = "std.foldl(function(a, x) a + std.length(std.range(1, 1000)), std.range(1, 100000), 0)"
    with pytest.raises(JsonnetTimeout, match=r"longer than 0\.3s"):
        await sandbox.evaluate(busy, time_limit=0.3)


async def test_a_memory_hog_is_stopped() -> None:
    box = JsonnetSandbox(size=1, max_memory=1024 * 1024 * 1024)
    try:
        with pytest.raises(JsonnetError):
            await box.evaluate(
                "std.length(std.makeArray(100000000, function(i) { a: i }))", time_limit=20
            )
        assert await box.evaluate("1 + 1") == 2
    finally:
        box.close()


async def test_errors_carry_the_jsonnet_message(sandbox: JsonnetSandbox) -> None:
    with pytest.raises(JsonnetError, match="cancel this"):
        await sandbox.evaluate("error 'cancel this'")
    with pytest.raises(JsonnetError, match="end of file"):
        await sandbox.evaluate("{")


async def test_results_larger_than_the_cap_are_refused() -> None:
    box = JsonnetSandbox(size=1, max_output=1000)
    try:
        with pytest.raises(JsonnetError, match="larger than 1000 bytes"):
            await box.evaluate("std.repeat('x', 5000)")
    finally:
        box.close()


async def test_workers_are_reused(sandbox: JsonnetSandbox) -> None:
    await sandbox.evaluate("1")
    first = sandbox._idle[0].process.pid
    await sandbox.evaluate("2")
    assert sandbox._idle[0].process.pid == first
