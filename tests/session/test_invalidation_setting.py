"""Which cross-host invalidation channel a configuration gets, and the message format."""

from __future__ import annotations

import uuid

import pytest

from phalanx.config import Config, ConfigError, load_config, parse_dsn
from phalanx.invalidation import channel_setting
from phalanx.invalidation.message import MAX_IDS, decode, encode

DSNS = {
    "postgres": "postgres://u@h:5432/db",
    "mysql": "mysql://root@tcp(h:3306)/db",
    "sqlite": "sqlite:///tmp/x.db?_fk=true",
    "cockroach": "cockroach://u@h:26257/db",
}


def _config(dsn: str, invalidation: str | None = None) -> Config:
    cache: dict[str, object] = {"enabled": True}
    if invalidation is not None:
        cache["invalidation"] = invalidation
    return load_config(env={}, overrides={"dsn": dsn, "phalanx": {"session_cache": cache}})


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [("postgres", "postgres"), ("mysql", "none"), ("sqlite", "none"), ("cockroach", "none")],
)
def test_default_channel_per_database(dialect: str, expected: str) -> None:
    dsn = DSNS[dialect]
    assert channel_setting(_config(dsn), parse_dsn(dsn)) == expected


def test_redis_is_an_option_everywhere() -> None:
    for dsn in DSNS.values():
        config = _config(dsn, "redis://127.0.0.1:6379/0")
        assert channel_setting(config, parse_dsn(dsn)) == "redis://127.0.0.1:6379/0"


def test_postgres_channel_needs_postgres() -> None:
    dsn = DSNS["mysql"]
    with pytest.raises(ConfigError, match=r"phalanx\.session_cache\.invalidation"):
        channel_setting(_config(dsn, "postgres"), parse_dsn(dsn))


def test_unknown_channel_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"phalanx\.session_cache\.invalidation"):
        _config(DSNS["postgres"], "kafka://broker")


def test_messages_round_trip_and_long_lists_mean_everyone() -> None:
    ids = [uuid.uuid4() for _ in range(3)]
    assert decode(encode("host1", ids)) == ("host1", ids)
    assert decode(encode("host1", None)) == ("host1", None)
    many = [uuid.uuid4() for _ in range(MAX_IDS + 1)]
    assert decode(encode("host1", many)) == ("host1", None)
    with pytest.raises(ValueError):
        decode("garbage")
