"""``phalanx hashers argon2 calibrate | hash`` (Kratos ``cmd/hashers/argon2``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from phalanx.cli.hashers import calibrate_iterations, format_go_duration
from phalanx.cli.main import cli
from phalanx.config.model_core import Argon2Config
from phalanx.hash.argon2 import compare_argon2id, decode_argon2

CHEAP = ["--memory", "8MB", "--parallelism", "1"]


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, ["hashers", "argon2", *args], catch_exceptions=False)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.000000512, "512ns"),
        (0.0008125, "812.5µs"),
        (0.5123, "512.3ms"),
        (1.5, "1.5s"),
        (62.5, "1m2.5s"),
        (3723, "1h2m3s"),
    ],
)
def test_go_durations(seconds: float, text: str) -> None:
    assert format_go_duration(seconds) == text


def test_calibrate_finds_the_largest_fast_enough_iterations() -> None:
    probes: list[int] = []

    def measure(iterations: int) -> float:
        probes.append(iterations)
        return 0.03 * iterations

    assert calibrate_iterations(measure, 0.1)[0] == 3
    assert len(probes) <= 5  # the linear estimate jumps close to the answer
    assert calibrate_iterations(lambda i: 0.5 * i, 0.1)[0] == 1  # even 1 is too slow
    assert calibrate_iterations(lambda i: 0.001 * i, 0.5, maximum=10) == (10, 0.01)
    assert calibrate_iterations(lambda i: 0.03 * i, 0.1, start=9)[0] == 3


def test_hash_prints_times_and_verifiable_hashes() -> None:
    result = invoke("hash", *CHEAP, "--iterations", "2", "--print-hash", "s3cret", "other")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("password 0: ") and lines[1].startswith("password 1: ")
    assert lines[-1].startswith("total: ")
    first = lines[0].split()[-1]
    assert compare_argon2id(b"s3cret", first)
    decoded = decode_argon2(first)
    assert (decoded.memory_kib, decoded.iterations, decoded.parallelism) == (8192, 2, 1)
    assert not compare_argon2id(b"s3cret", lines[1].split()[-1])


def test_hash_in_parallel_without_printing_hashes() -> None:
    result = invoke("hash", *CHEAP, "--parallel", "a", "b", "c")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert sorted(line.split(":")[0] for line in lines[:3]) == [
        "password 0",
        "password 1",
        "password 2",
    ]
    assert all("$argon2id$" not in line for line in lines)


def test_hash_reads_parameters_from_the_config(tmp_path: Path) -> None:
    config = tmp_path / "kratos.yml"
    schema = tmp_path / "identity.schema.json"
    schema.write_text('{"type": "object"}', encoding="utf-8")
    config.write_text(
        "dsn: memory\n"
        "identity:\n"
        "  default_schema_id: default\n"
        f"  schemas: [{{id: default, url: {schema.as_uri()}}}]\n"
        "selfservice:\n"
        "  default_browser_return_url: http://127.0.0.1/\n"
        "hashers:\n"
        "  argon2: {memory: 16MB, iterations: 3, parallelism: 1}\n",
        encoding="utf-8",
    )
    result = invoke("hash", "-c", str(config), "--print-hash", "pw")
    assert result.exit_code == 0, result.output
    decoded = decode_argon2(result.stdout.splitlines()[0].split()[-1])
    assert (decoded.memory_kib, decoded.iterations, decoded.parallelism) == (16384, 3, 1)


def test_hash_refuses_unusable_parameters() -> None:
    result = invoke("hash", "--memory", "1KB", "--parallelism", "4", "pw")
    assert result.exit_code == 1
    assert "Could not generate a hash" in result.stderr


def _snippet(result: Result) -> Argon2Config:
    assert result.exit_code == 0, result.output
    document = yaml.safe_load(result.stdout)
    assert document["hashers"]["algorithm"] == "argon2"
    return Argon2Config.model_validate(document["hashers"]["argon2"])


def test_calibrate_prints_a_valid_config_snippet() -> None:
    config = _snippet(invoke("calibrate", "40ms", *CHEAP, "-r", "1"))
    assert config.memory == 8 * 1024**2 and config.parallelism == 1
    assert 1 <= config.iterations <= 10
    assert config.expected_duration.total_seconds() == 0.04
    assert config.salt_length == 16 and config.key_length == 32


def test_calibrate_takes_kratos_requests_per_minute() -> None:
    result = invoke("calibrate", "600", *CHEAP, "--min-duration", "20ms", "-r", "1")
    config = _snippet(result)
    assert config.expected_duration.total_seconds() == 0.02
    assert "you expect 600 logins per minute" in result.stderr


def test_calibrate_rejects_a_bad_target() -> None:
    result = invoke("calibrate", "soon", *CHEAP)
    assert result.exit_code == 2
    assert "invalid duration" in result.stderr
