"""Report an unavailable dependency once, then only count it.

A missing SMTP server fails every message and every retry; an offline Have I Been Pwned
fails every password check. Logging each failure buries everything else, so
:func:`dependency_failed` logs a warning the first time a dependency fails (per process),
counts every failure in ``phalanx_dependency_failures_total{dependency}``
(:mod:`phalanx.metrics`) and logs later failures at debug level only.
:func:`dependency_recovered` logs once that it works again, so the next outage is
reported again.
"""

from __future__ import annotations

import logging
from typing import Any

from phalanx.metrics import DEPENDENCY_FAILURES

__all__ = ["dependency_failed", "dependency_recovered", "is_down"]

log = logging.getLogger("phalanx.dependencies")
_down: set[str] = set()


def dependency_failed(
    dependency: str, message: str, *args: Any, extra: dict[str, Any] | None = None
) -> None:
    """Count a failure of ``dependency``; log ``message % args`` if it was not down yet."""
    DEPENDENCY_FAILURES.labels(dependency).inc()
    fields = {"dependency": dependency, **(extra or {})}
    if dependency in _down:
        log.debug(message, *args, extra=fields)
        return
    _down.add(dependency)
    log.warning(
        message + " (reported once; further failures are counted in "
        'phalanx_dependency_failures_total{dependency="%s"})',
        *args,
        dependency,
        extra=fields,
    )


def dependency_recovered(dependency: str) -> None:
    """Note a success of ``dependency``; logs once if it had failed before."""
    if dependency in _down:
        _down.discard(dependency)
        log.info("%s works again", dependency, extra={"dependency": dependency})


def is_down(dependency: str) -> bool:
    """True while ``dependency``'s last call failed."""
    return dependency in _down
