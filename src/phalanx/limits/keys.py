"""What a budget is counted under: the action, the dimension and the subject, digested.

Identifiers are normalised with the identity schema's own normalisers
(:func:`~phalanx.schema.normalize.graceful_normalization`, then
:func:`~phalanx.schema.normalize.normalize_identifier`), so ``A@x.org``, ``a@x.org`` and
`` a@x.org `` share one budget, and phone numbers count in E.164 form. Stored keys are
keyed HMAC-SHA256 digests: the counters table (or Redis) never holds an address in the
clear, and the digests cannot be reversed by guessing addresses without the secret.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum

from phalanx.schema.normalize import graceful_normalization, normalize_identifier

__all__ = ["Action", "Dimension", "KeyMaker", "identity_subject", "normalize_subject"]


class Action(StrEnum):
    """The kinds of request that have budgets (``phalanx.rate_limits.<action>``)."""

    SIGN_IN = "sign_in"
    CODE_SUBMISSION = "code_submission"
    SENDING = "sending"


class Dimension(StrEnum):
    """What a counter is per: an identifier, a client address, or lockout state."""

    IDENTIFIER = "id"
    ADDRESS = "ip"
    FAILURES = "fail"
    LOCK_LEVEL = "level"


def normalize_subject(identifier: str) -> str:
    """An identifier as the identity schema normalises it."""
    return normalize_identifier(graceful_normalization(identifier))


def identity_subject(identity_id: object) -> str:
    """The subject of second factors (TOTP, backup codes, MFA codes): the signed-in
    identity, whatever identifier it used."""
    return f"identity:{identity_id}"


class KeyMaker:
    """Turns (action, dimension, subject) into the 64-hex-digit key a counter is stored
    under."""

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def key(self, action: Action | str, dimension: Dimension, subject: str) -> str:
        material = f"{action}\x00{dimension}\x00{subject}".encode()
        return hmac.new(self._secret, material, hashlib.sha256).hexdigest()
