"""``phalanx.rate_limits``: throttling of guessable secrets and message senders, lockout.

Phalanx-only (Kratos leaves this to a gateway, ory/kratos#3037). Each ``limit`` counts
requests in a fixed ``window``; ``limit: 0`` switches that budget off. See README,
"Brute-force protection", for which defaults are on and why.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from phalanx.config.base import Duration, Strict

__all__ = ["Budget", "LockoutConfig", "RateLimitsConfig", "ThrottleConfig"]


class Budget(Strict):
    """At most ``limit`` requests per ``window`` (``0``: no limit)."""

    limit: int = Field(default=0, ge=0)
    window: Duration = timedelta(minutes=5)


class ThrottleConfig(Strict):
    """The two budgets of one kind of request: per identifier (normalised as the identity
    schema normalises identifiers) and per client address."""

    per_identifier: Budget = Budget()
    per_address: Budget = Budget()


def _throttle(limit: int, window: timedelta) -> ThrottleConfig:
    return ThrottleConfig(per_identifier=Budget(limit=limit, window=window))


class LockoutConfig(Strict):
    """After ``max_failures`` failed sign-ins within ``window`` an identifier is locked for
    ``base_period``, doubled on each further lockout within ``reset_after`` and never longer
    than ``max_period``. ``notify`` mails the owner (template ``lockout``)."""

    enabled: bool = False
    max_failures: int = Field(default=10, ge=1)
    window: Duration = timedelta(hours=1)
    base_period: Duration = timedelta(minutes=1)
    max_period: Duration = timedelta(hours=1)
    reset_after: Duration = timedelta(hours=24)
    notify: bool = False


class RateLimitsConfig(Strict):
    """``phalanx.rate_limits``.

    ``sign_in``: password, code and second-factor (TOTP, backup code, MFA code) attempts;
    ``code_submission``: recovery, verification and registration codes (per flow);
    ``sending``: every request that sends a recovery, verification, login or registration
    message (per recipient). Counters live in the database, or in Redis with ``redis_url``
    (``redis://`` / ``rediss://``). ``trusted_proxies`` (addresses or CIDR blocks) are the
    only peers whose ``X-Forwarded-For`` names the client address."""

    enabled: bool = True
    redis_url: str | None = None
    trusted_proxies: list[str] = []
    sign_in: ThrottleConfig = _throttle(10, timedelta(minutes=5))
    code_submission: ThrottleConfig = _throttle(10, timedelta(minutes=5))
    sending: ThrottleConfig = _throttle(5, timedelta(minutes=10))
    lockout: LockoutConfig = LockoutConfig()
