"""Messages of Phalanx's own features, with ids of Phalanx's own range ``49xxxxx``.

Kratos's catalogue (:class:`~phalanx.text.ids.MessageId`) uses ``1xxxxxx`` for
information, ``40[0-7]xxxx`` for validation errors and ``5xxxxxx`` for system errors;
``4900000``-``4999999`` is kept free of it, so a UI can tell a Phalanx message by its
id. README lists these ids next to Kratos's.
"""

from __future__ import annotations

from enum import IntEnum

from phalanx.text.message import UiText

__all__ = ["PhalanxMessageId", "rate_limit_store_unavailable", "rate_limited"]


class PhalanxMessageId(IntEnum):
    """UI message ids that only Phalanx sends (all of type ``error``)."""

    ERROR_RATE_LIMITED = 4900001
    ERROR_RATE_LIMIT_STORE_UNAVAILABLE = 4900002


def rate_limited(retry_after: int) -> UiText:
    """4900001: a rate limit or a lockout refused the submission; ``retry_after`` seconds
    until it may be tried again (also sent as the ``Retry-After`` header)."""
    return UiText(
        id=int(PhalanxMessageId.ERROR_RATE_LIMITED),
        text=f"Too many attempts. Please try again in {retry_after} seconds.",
        type="error",
        context={"retry_after": retry_after},
    )


def rate_limit_store_unavailable(retry_after: int) -> UiText:
    """4900002: the rate-limit store (Redis) is down, so sign-in is refused (fails closed)."""
    return UiText(
        id=int(PhalanxMessageId.ERROR_RATE_LIMIT_STORE_UNAVAILABLE),
        text="Signing in is not possible right now. Please try again later.",
        type="error",
        context={"retry_after": retry_after},
    )
