"""A lockout whose last failed attempt never recorded its end (the request died) still
ends after ``max_period`` instead of holding the identifier for the whole failure window;
checked with the real Redis counters and the limiter itself."""

from __future__ import annotations

import secrets

import anyio
import pytest

from phalanx.config.model_limits import RateLimitsConfig
from phalanx.errors import TooManyRequestsError
from phalanx.limits.address import ClientAddress
from phalanx.limits.keys import KeyMaker
from phalanx.limits.limiter import Limiter
from phalanx.limits.policy import Policy
from phalanx.limits.redis_counters import RedisCounters
from phalanx.selfservice.request import FlowRequest

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_a_lock_nobody_set_ends_after_max_period() -> None:
    config = RateLimitsConfig.model_validate(
        {
            "sign_in": {"per_identifier": {"limit": 0}},
            "lockout": {"enabled": True, "max_failures": 2, "window": "1h", "max_period": "1s"},
        }
    )
    counters = RedisCounters("redis://127.0.0.1:6379/0")
    limiter = Limiter(
        Policy.from_config(config), counters, KeyMaker(secrets.token_hex()), ClientAddress(())
    )
    req = FlowRequest(method="POST", url="/", query={}, headers={}, cookies={}, peer_ip="::1")
    identifier = f"{secrets.token_hex(4)}@example.org"
    try:
        await limiter.begin_sign_in(req, identifier)
        await limiter.begin_sign_in(req, identifier)  # the last try; its end never comes
        with pytest.raises(TooManyRequestsError) as refused:
            await limiter.begin_sign_in(req, identifier)
        assert refused.value.retry_after == 1
        await anyio.sleep(1.1)
        attempt = await limiter.begin_sign_in(req, identifier)
        assert attempt.tries == 1
    finally:
        await limiter.close()
