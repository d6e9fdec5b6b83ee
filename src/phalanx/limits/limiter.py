"""The limiter: budgets, lockout and what a refusal looks like.

One instance per server (the registry builds it; strategies and senders receive it).
Three kinds of request have budgets (:class:`~phalanx.limits.keys.Action`):

* sign-in attempts (password, login code, TOTP, backup code, MFA code):
  :meth:`Limiter.sign_in` wraps the check of the secret;
* code submissions (recovery, verification, registration codes): :meth:`Limiter.hit`;
* messages sent (recovery, verification, login and registration codes and links):
  :meth:`Limiter.hit`.

Every budget is counted *before* the secret is looked at and whatever the answer will
be, so a refused request costs no hashing and an unknown identifier is counted, refused
and answered exactly like a known one (the limiter never looks identities up).

Lockout (``lockout.enabled``): each sign-in attempt reserves one of the identifier's
``max_failures`` tries in the failure counter first; the attempt that uses the last try
and fails turns the counter into the lock by setting its expiry to the lock's period.
Every attempt beyond the budget -- including one with the right password -- is refused
until the counter expires; a successful sign-in within the budget resets it. Reserving
first keeps concurrent guesses from any number of processes within the budget.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from phalanx.errors import LimiterUnavailableError, TooManyRequestsError
from phalanx.limits.address import ClientAddress
from phalanx.limits.counters import Count, Counters, CountersUnavailable
from phalanx.limits.keys import Action, Dimension, KeyMaker, normalize_subject
from phalanx.limits.policy import Policy, Rule
from phalanx.logs.once import dependency_failed, dependency_recovered
from phalanx.metrics import RATE_LIMITED
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.request import FlowRequest

__all__ = ["Limiter", "LockoutNotifier", "SignInAttempt"]

log = logging.getLogger("phalanx.limits")

#: Called (in the background) when a lockout starts: the normalised identifier, the
#: lock's length in seconds and its level (1 = the first lockout in ``reset_after``).
LockoutNotifier = Callable[[str, float, int], Awaitable[None]]

#: Retry-After of a sign-in refused because the counter store is down.
UNAVAILABLE_RETRY_AFTER = 30


@dataclass(frozen=True, slots=True)
class SignInAttempt:
    """A sign-in attempt let through: its identifier and its try (0: lockout off)."""

    subject: str
    tries: int


def _seconds(ttl: float) -> int:
    return max(math.ceil(ttl), 1)


class Limiter:
    """Applies ``phalanx.rate_limits``. ``counters`` is the SQL or Redis store;
    ``store_name`` names it in logs and metrics (``database`` / ``redis``)."""

    def __init__(
        self,
        policy: Policy,
        counters: Counters,
        keys: KeyMaker,
        addresses: ClientAddress,
        *,
        store_name: str = "database",
        on_lockout: LockoutNotifier | None = None,
    ) -> None:
        self.policy = policy
        self.counters = counters
        self.keys = keys
        self.addresses = addresses
        self.store_name = store_name
        self.on_lockout = on_lockout
        self._background: set[asyncio.Task[None]] = set()

    @classmethod
    def off(cls) -> Limiter:
        """A limiter that limits nothing (strategies built without one, e.g. in tests)."""
        from phalanx.limits.counters import NoCounters

        return cls(Policy.off(), NoCounters(), KeyMaker(""), ClientAddress(()))

    @property
    def enabled(self) -> bool:
        return self.policy.enabled

    def client_address(self, req: FlowRequest) -> str:
        """The address ``req`` is counted under (trusted proxies honoured)."""
        return self.addresses.resolve(req.peer_ip, req.headers)

    # -- budgets ------------------------------------------------------------------------
    async def _count(self, key: str, window: float) -> Count:
        count = await self.counters.hit(key, window)
        dependency_recovered(self.store_name)
        return count

    async def _check_rules(self, action: Action, req: FlowRequest, subject: str) -> None:
        for rule in self.policy.rules[action]:
            await self._check(rule, req, subject)

    async def _check(self, rule: Rule, req: FlowRequest, subject: str) -> None:
        value = subject if rule.dimension is Dimension.IDENTIFIER else self.client_address(req)
        count = await self._count(self.keys.key(rule.action, rule.dimension, value), rule.window)
        if count.hits > rule.limit:
            RATE_LIMITED.labels(str(rule.action), str(rule.dimension)).inc()
            raise TooManyRequestsError(_seconds(count.ttl))

    async def hit(self, action: Action, req: FlowRequest, identifier: str) -> None:
        """Count one ``action`` request for ``identifier`` and the client's address;
        raise :class:`~phalanx.errors.TooManyRequestsError` beyond a budget. A counter
        store that is down lets the request through (logged once, counted)."""
        if not self.enabled:
            return
        try:
            await self._check_rules(action, req, normalize_subject(identifier))
        except CountersUnavailable as exc:
            self._store_down(exc)

    # -- sign-in and lockout ------------------------------------------------------------
    @asynccontextmanager
    async def sign_in(self, req: FlowRequest, identifier: str) -> AsyncIterator[None]:
        """Guard one sign-in attempt: refused beyond a budget or while locked (429),
        counted as a failure when the body raises FlowValidationError, resetting the
        failures when it completes. The counter store down refuses it (503)."""
        if not self.enabled:
            yield
            return
        attempt = await self.begin_sign_in(req, identifier)
        try:
            yield
        except FlowValidationError:
            await self._settle(self.sign_in_failed(attempt))
            raise
        await self._settle(self.sign_in_succeeded(attempt))

    async def begin_sign_in(self, req: FlowRequest, identifier: str) -> SignInAttempt:
        subject = normalize_subject(identifier)
        try:
            await self._check_rules(Action.SIGN_IN, req, subject)
            lockout = self.policy.lockout
            if not lockout.enabled:
                return SignInAttempt(subject, 0)
            key = self._failures_key(subject)
            count = await self._count(key, lockout.window)
            if count.hits > lockout.max_failures and count.ttl > lockout.max_period:
                # The attempt that used the last try has not set the lock yet -- or it
                # never will (its request died): no lock may outlast max_period.
                await self.counters.expire(key, lockout.max_period)
        except CountersUnavailable as exc:
            self._store_down(exc)
            raise LimiterUnavailableError(UNAVAILABLE_RETRY_AFTER) from exc
        if count.hits > lockout.max_failures:
            RATE_LIMITED.labels(str(Action.SIGN_IN), "lockout").inc()
            raise TooManyRequestsError(_seconds(min(count.ttl, lockout.max_period)))
        return SignInAttempt(subject, count.hits)

    async def sign_in_failed(self, attempt: SignInAttempt) -> None:
        lockout = self.policy.lockout
        if not lockout.enabled or attempt.tries != lockout.max_failures:
            return
        level = await self._count(
            self.keys.key(Action.SIGN_IN, Dimension.LOCK_LEVEL, attempt.subject),
            lockout.reset_after,
        )
        period = lockout.period(level.hits)
        await self.counters.expire(self._failures_key(attempt.subject), period)
        log.warning(
            "sign-in locked for %.0f seconds after %d failed attempts",
            period,
            attempt.tries,
            extra={"lockout_level": level.hits},
        )
        if self.on_lockout is not None:
            self._in_background(self.on_lockout(attempt.subject, period, level.hits))

    async def sign_in_succeeded(self, attempt: SignInAttempt) -> None:
        if attempt.tries:
            await self.counters.delete([self._failures_key(attempt.subject)])

    async def unlock(self, identifiers: Iterable[str]) -> None:
        """Lift lockouts and sign-in budgets of ``identifiers`` (the admin API)."""
        keys: list[str] = []
        for identifier in identifiers:
            subject = normalize_subject(identifier)
            for dimension in (Dimension.FAILURES, Dimension.LOCK_LEVEL, Dimension.IDENTIFIER):
                keys.append(self.keys.key(Action.SIGN_IN, dimension, subject))
        await self.counters.delete(keys)

    def _failures_key(self, subject: str) -> str:
        return self.keys.key(Action.SIGN_IN, Dimension.FAILURES, subject)

    async def _settle(self, step: Awaitable[None]) -> None:
        """Record an attempt's end. Its answer is already decided, so a store that fails
        now is only reported: a lock that could not be set is set by the next attempt
        (see :meth:`begin_sign_in`), a reset that was lost only costs a try."""
        try:
            await step
        except CountersUnavailable as exc:
            self._store_down(exc)
        except Exception:  # a database error must not turn a wrong password into a 500
            log.exception("could not record the end of a sign-in attempt")

    def _store_down(self, exc: Exception) -> None:
        dependency_failed(
            self.store_name, "the rate-limit store %s is unavailable: %s", self.store_name, exc
        )

    def _in_background(self, work: Awaitable[None]) -> None:
        async def run() -> None:
            try:
                await work
            except Exception:
                log.exception("recording or announcing a lockout failed")

        task = asyncio.get_running_loop().create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def close(self) -> None:
        await self.counters.close()
