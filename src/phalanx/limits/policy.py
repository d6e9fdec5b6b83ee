"""The budgets of ``phalanx.rate_limits`` in the form the limiter uses (seconds, ints)."""

from __future__ import annotations

from dataclasses import dataclass

from phalanx.config.model_limits import Budget, RateLimitsConfig
from phalanx.limits.keys import Action, Dimension

__all__ = ["LockoutPolicy", "Policy", "Rule"]


@dataclass(frozen=True, slots=True)
class Rule:
    """At most ``limit`` hits per ``window`` seconds of one (action, dimension)."""

    action: Action
    dimension: Dimension
    limit: int
    window: float


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    enabled: bool
    max_failures: int
    window: float
    base_period: float
    max_period: float
    reset_after: float
    notify: bool

    def period(self, level: int) -> float:
        """The lock's length at ``level`` (1 = the first lockout): doubling, capped."""
        exponent = min(max(level, 1) - 1, 62)
        period: float = self.base_period * float(2**exponent)
        return min(period, self.max_period)


@dataclass(frozen=True, slots=True)
class Policy:
    enabled: bool
    rules: dict[Action, tuple[Rule, ...]]
    lockout: LockoutPolicy

    @classmethod
    def off(cls) -> Policy:
        """No budgets, no lockout."""
        return cls(
            enabled=False,
            rules={action: () for action in Action},
            lockout=LockoutPolicy(False, 1, 1.0, 1.0, 1.0, 1.0, False),
        )

    @classmethod
    def from_config(cls, config: RateLimitsConfig) -> Policy:
        def rules(action: Action, per_id: Budget, per_ip: Budget) -> tuple[Rule, ...]:
            found = []
            for dimension, budget in ((Dimension.IDENTIFIER, per_id), (Dimension.ADDRESS, per_ip)):
                if budget.limit > 0:
                    window = budget.window.total_seconds()
                    found.append(Rule(action, dimension, budget.limit, window))
            return tuple(found)

        lock = config.lockout
        return cls(
            enabled=config.enabled,
            rules={
                action: rules(action, throttle.per_identifier, throttle.per_address)
                for action, throttle in (
                    (Action.SIGN_IN, config.sign_in),
                    (Action.CODE_SUBMISSION, config.code_submission),
                    (Action.SENDING, config.sending),
                )
            },
            lockout=LockoutPolicy(
                enabled=config.enabled and lock.enabled,
                max_failures=lock.max_failures,
                window=lock.window.total_seconds(),
                base_period=lock.base_period.total_seconds(),
                max_period=lock.max_period.total_seconds(),
                reset_after=lock.reset_after.total_seconds(),
                notify=lock.notify,
            ),
        )
