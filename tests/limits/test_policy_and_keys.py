"""Pure parts of :mod:`phalanx.limits`: the client address behind trusted proxies, lock
periods, identifier normalisation and key digests, the config defaults."""

from __future__ import annotations

import pytest

from phalanx.config.model_limits import RateLimitsConfig
from phalanx.limits.address import ClientAddress
from phalanx.limits.keys import Action, Dimension, KeyMaker, normalize_subject
from phalanx.limits.policy import Policy


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded", "client"),
    [
        ([], "192.0.2.1", "198.51.100.7", "192.0.2.1"),  # no proxies: the header is ignored
        (["10.0.0.0/8"], "192.0.2.1", "198.51.100.7", "192.0.2.1"),  # peer not trusted
        (["10.0.0.0/8"], "10.1.2.3", "198.51.100.7", "198.51.100.7"),
        (["10.0.0.0/8"], "10.1.2.3", "203.0.113.9, 198.51.100.7", "198.51.100.7"),
        (["10.0.0.0/8"], "10.1.2.3", "198.51.100.7, 10.9.9.9", "198.51.100.7"),
        (["10.0.0.0/8"], "10.1.2.3", "10.2.2.2, 10.9.9.9", "10.2.2.2"),
        (["10.0.0.0/8"], "10.1.2.3", "", "10.1.2.3"),
        (["::1"], "::1", "2001:db8::5", "2001:db8::5"),
        (["127.0.0.1"], None, "198.51.100.7", "unknown"),
    ],
)
def test_client_address(trusted: list[str], peer: str | None, forwarded: str, client: str) -> None:
    headers = {"x-forwarded-for": forwarded} if forwarded else {}
    assert ClientAddress(trusted).resolve(peer, headers) == client


def test_lock_periods_double_up_to_the_cap() -> None:
    config = RateLimitsConfig.model_validate(
        {"lockout": {"enabled": True, "base_period": "1m", "max_period": "5m"}}
    )
    lockout = Policy.from_config(config).lockout
    assert [lockout.period(level) for level in (1, 2, 3, 4, 100)] == [60, 120, 240, 300, 300]


def test_identifiers_normalise_as_the_identity_schema_does() -> None:
    assert normalize_subject(" Foo@Example.COM ") == normalize_subject("foo@example.com")
    assert normalize_subject("+49 176 1234 5678") == normalize_subject("+4917612345678")
    keys = KeyMaker("secret")
    key = keys.key(Action.SIGN_IN, Dimension.IDENTIFIER, normalize_subject("A@x.org"))
    assert key == keys.key(Action.SIGN_IN, Dimension.IDENTIFIER, normalize_subject("a@x.org"))
    assert len(key) == 64 and "x.org" not in key
    assert key != KeyMaker("other").key(Action.SIGN_IN, Dimension.IDENTIFIER, "a@x.org")
    assert key != keys.key(Action.SENDING, Dimension.IDENTIFIER, "a@x.org")


def test_defaults() -> None:
    policy = Policy.from_config(RateLimitsConfig())
    assert policy.enabled and not policy.lockout.enabled
    sign_in = policy.rules[Action.SIGN_IN]
    assert [(r.dimension, r.limit, r.window) for r in sign_in] == [
        (Dimension.IDENTIFIER, 10, 300.0)
    ]
    assert [r.limit for r in policy.rules[Action.SENDING]] == [5]
    assert [r.limit for r in policy.rules[Action.CODE_SUBMISSION]] == [10]
