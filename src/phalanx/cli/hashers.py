"""``phalanx hashers argon2 calibrate | hash``: tune and try the argon2 parameters.

Kratos's ``cmd/hashers/argon2``. ``calibrate`` measures :class:`~phalanx.hash.Argon2Hasher`
on this machine and prints the ``hashers`` config that makes one hash take just under
the target duration; ``hash`` hashes passwords and reports how long each took.

Differences from Kratos, kept deliberately small: ``calibrate`` keeps the memory you give
(``--memory``/``-m``, default the config's 128MB) and tunes the iterations only (Kratos
first walks memory up and down in 512MB steps), and instead of Kratos's 20-second load
tests it estimates the throughput. Its argument is the target duration (``750ms``) or,
as in Kratos, the expected logins per minute (then the target is ``--min-duration``).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import click

from phalanx.cli.bootstrap import fail
from phalanx.cli.params import BYTE_SIZE, DURATION
from phalanx.hash.limits import MAX_ARGON2_ITERATIONS

if TYPE_CHECKING:
    from phalanx.config.model_core import Argon2Config
    from phalanx.hash import Argon2Hasher

__all__ = ["calibrate_iterations", "format_go_duration", "hashers"]

_PROBE_PASSWORD = "password"


def format_go_duration(seconds: float) -> str:
    """Render like Go's ``time.Duration.String``: ``812.5µs``, ``512.3ms``, ``1m2.5s``."""
    nanos = round(seconds * 1e9)
    if nanos == 0:
        return "0s"
    if nanos < 1_000:
        return f"{nanos}ns"
    if nanos < 1_000_000:
        return _trim(f"{nanos / 1e3:.3f}") + "µs"
    if nanos < 1_000_000_000:
        return _trim(f"{nanos / 1e6:.6f}") + "ms"
    minutes, rest = divmod(nanos, 60_000_000_000)
    hours, minutes = divmod(minutes, 60)
    text = _trim(f"{rest / 1e9:.9f}") + "s"
    if hours:
        return f"{hours}h{minutes}m{text}"
    if minutes:
        return f"{minutes}m{text}"
    return text


def _trim(number: str) -> str:
    return number.rstrip("0").rstrip(".") if "." in number else number


def calibrate_iterations(
    measure: Callable[[int], float],
    target: float,
    start: int = 1,
    report: Callable[[int, float], None] | None = None,
    maximum: int = MAX_ARGON2_ITERATIONS,
) -> tuple[int, float]:
    """The largest iteration count (at most ``maximum``) whose hash takes less than
    ``target`` seconds.

    ``measure(iterations)`` returns the seconds one hash takes. The first measurement
    gives a linear estimate to jump to; from there iterations walk up until a hash is
    too slow, then down until it is fast enough (never below 1), like Kratos's probe.
    """

    def probe(iterations: int) -> float:
        seconds = measure(iterations)
        if report is not None:
            report(iterations, seconds)
        return seconds

    iterations = min(max(1, start), maximum)
    seconds = probe(iterations)
    if seconds > 0:
        estimate = min(maximum, max(1, int(iterations * target / seconds)))
        if estimate != iterations:
            iterations, seconds = estimate, probe(estimate)
    while seconds < target:
        if iterations >= maximum:
            return iterations, seconds
        iterations += 1
        seconds = probe(iterations)
    while iterations > 1:
        iterations -= 1
        seconds = probe(iterations)
        if seconds < target:
            break
    return iterations, seconds


def _base_config(configs: tuple[str, ...]) -> Argon2Config:
    if configs:
        from phalanx.cli.bootstrap import load_or_exit

        return load_or_exit(configs, dev=False).hashers.argon2
    from phalanx.config.model_core import Argon2Config

    return Argon2Config()


def _hasher(memory: int, iterations: int, parallelism: int, salt: int, key: int) -> Argon2Hasher:
    from phalanx.hash import Argon2Hasher

    try:
        return Argon2Hasher(
            memory_kib=memory // 1024,
            iterations=iterations,
            parallelism=parallelism,
            salt_length=salt,
            key_length=key,
        )
    except ValueError as exc:
        fail(f"Could not generate a hash: {exc}")


def _pick(value: Any, default: Any) -> Any:
    return default if value is None else value


def _argon2_options(*, calibrate: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    memory_flags = ("-m", "--memory", "--start-memory") if calibrate else ("--memory",)
    iteration_flags = (
        ("-i", "--start-iterations", "--iterations") if calibrate else ("--iterations",)
    )
    options = [
        click.option("-c", "--config", "configs", multiple=True, help="Read hashers.argon2."),
        click.option(*memory_flags, "memory", type=BYTE_SIZE, help="Memory, e.g. 128MB."),
        click.option(*iteration_flags, "iterations", type=click.IntRange(min=1)),
        click.option("--parallelism", type=click.IntRange(min=1), help="Number of lanes."),
        click.option("--salt-length", type=click.IntRange(min=16), help="Salt bytes."),
        click.option("--key-length", type=click.IntRange(min=16), help="Key bytes."),
        click.option("--min-duration", type=DURATION, help="Target time of one hash."),
        click.option("--expected-deviation", type=DURATION),
        click.option("--dedicated-memory", type=BYTE_SIZE),
    ]

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


@click.group()
def hashers() -> None:
    """This command contains helpers around hashing."""


@hashers.group()
def argon2() -> None:
    """Argon2 parameter helpers."""


_ARGUMENT = re.compile(r"^[0-9]+$")


@argon2.command()
@click.argument("target")
@_argon2_options(calibrate=True)
@click.option("-r", "--probe-runs", "runs", type=click.IntRange(min=1), default=2,
              show_default=True, help="Runs per probe; the mean is taken.")  # fmt: skip
def calibrate(
    target: str,
    configs: tuple[str, ...],
    memory: int | None,
    iterations: int | None,
    parallelism: int | None,
    salt_length: int | None,
    key_length: int | None,
    min_duration: timedelta | None,
    expected_deviation: timedelta | None,
    dedicated_memory: int | None,
    runs: int,
) -> None:
    """Compute the argon2 iterations for TARGET (a duration such as 500ms, or Kratos's
    requests-per-minute) and print the ``hashers`` config."""
    base = _base_config(configs)
    per_minute: int | None = None
    if _ARGUMENT.match(target):
        per_minute = int(target)
        goal = _pick(min_duration, base.expected_duration)
    else:
        goal = DURATION.convert(target, None, None)
    if goal <= timedelta(0):
        fail("calibrate: the target duration must be positive")
    memory = _pick(memory, base.memory)
    lanes = _pick(parallelism, base.parallelism)
    salt = _pick(salt_length, base.salt_length)
    key = _pick(key_length, base.key_length)

    def measure(count: int) -> float:
        hasher = _hasher(memory, count, lanes, salt, key)
        start = time.perf_counter()
        for _ in range(runs):
            hasher.hash(_PROBE_PASSWORD)
        return (time.perf_counter() - start) / runs

    def report(count: int, seconds: float) -> None:
        click.echo(f"  took {format_go_duration(seconds)} with {count} iterations", err=True)

    from phalanx.config import format_byte_size, format_duration

    click.echo(
        f"Finding iterations to get under {format_duration(goal)} with "
        f"{format_byte_size(memory)} of memory:",
        err=True,
    )
    found, seconds = calibrate_iterations(
        measure, goal.total_seconds(), start=_pick(iterations, 1), report=report
    )
    click.echo(f"Settled on {found} iterations.", err=True)
    if seconds >= goal.total_seconds():
        click.echo(
            f"Even 1 iteration takes {format_go_duration(seconds)}: lower --memory.", err=True
        )
    elif found == MAX_ARGON2_ITERATIONS:
        click.echo(
            f"{found} iterations is the most Kratos verifies and still takes only "
            f"{format_go_duration(seconds)}: raise --memory to spend more time.",
            err=True,
        )
    cpus = os.cpu_count() or 1
    capacity = int(60 / seconds * max(1, cpus // min(lanes, cpus))) if seconds > 0 else 0
    click.echo(
        f"Estimate: about {capacity} hashes per minute on {cpus} CPUs"
        + (f" (you expect {per_minute} logins per minute)." if per_minute is not None else "."),
        err=True,
    )
    deviation = _pick(expected_deviation, base.expected_deviation)
    dedicated = _pick(dedicated_memory, base.dedicated_memory)
    click.echo(
        "hashers:\n"
        "  algorithm: argon2\n"
        "  argon2:\n"
        f"    memory: {format_byte_size(memory)}\n"
        f"    iterations: {found}\n"
        f"    parallelism: {lanes}\n"
        f"    salt_length: {salt}\n"
        f"    key_length: {key}\n"
        f"    expected_duration: {format_duration(goal)}\n"
        f"    expected_deviation: {format_duration(deviation)}\n"
        f"    dedicated_memory: {format_byte_size(dedicated)}"
    )


@argon2.command("hash")
@click.argument("passwords", nargs=-1, required=True)
@_argon2_options(calibrate=False)
@click.option("--parallel", is_flag=True, help="Run all hashing operations in parallel.")
@click.option("--print-hash", is_flag=True, help="Also print each hash after its time.")
def hash_(
    passwords: tuple[str, ...],
    configs: tuple[str, ...],
    memory: int | None,
    iterations: int | None,
    parallelism: int | None,
    salt_length: int | None,
    key_length: int | None,
    min_duration: timedelta | None,
    expected_deviation: timedelta | None,
    dedicated_memory: int | None,
    parallel: bool,
    print_hash: bool,
) -> None:
    """Hash PASSWORDS and report how long each took (for benchmarking the parameters)."""
    base = _base_config(configs)
    hasher = _hasher(
        _pick(memory, base.memory),
        _pick(iterations, base.iterations),
        _pick(parallelism, base.parallelism),
        _pick(salt_length, base.salt_length),
        _pick(key_length, base.key_length),
    )

    def one(index: int, password: str) -> None:
        start = time.perf_counter()
        hashed = hasher.hash(password)
        line = f"password {index}: {format_go_duration(time.perf_counter() - start)}"
        click.echo(f"{line} {hashed}" if print_hash else line)

    start = time.perf_counter()
    try:
        if parallel:
            with ThreadPoolExecutor(max_workers=len(passwords)) as pool:
                for future in [pool.submit(one, i, pw) for i, pw in enumerate(passwords)]:
                    future.result()
        else:
            for index, password in enumerate(passwords):
                one(index, password)
    except Exception as exc:  # libargon2 refusing the parameters, memory errors
        fail(f"Could not generate hash: {exc}")
    click.echo(f"total: {format_go_duration(time.perf_counter() - start)}")
