"""Authenticator assurance levels: does a session satisfy what an endpoint requires?

One mechanism for every place Kratos calls ``SessionManager.DoesSessionSatisfy``:
``/sessions/whoami`` and ``GET /sessions`` (``session.whoami.required_aal``), the settings
flow (``selfservice.flows.settings.required_aal``) and the login after-hook ``checkAAL``.

``aal1`` is met by any session at aal1 or above. ``highest_available`` is met by an aal2
session, or by an aal1 session whose identity has no second factor. The identity's stored
``available_aal`` is trusted only when it says aal2; any other value is recomputed from the
credentials (and written back when it was stale), so a wrong column cannot let an aal1
session through (GHSA-wc43-73w7-x2f5 / CVE-2024-45042).
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable
from datetime import datetime
from typing import Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from phalanx.errors import AAL2RequiredError
from phalanx.identity.model import Identity
from phalanx.session.model import AAL, Session

__all__ = [
    "HIGHEST_AVAILABLE",
    "NO_SECOND_FACTOR_TTL",
    "AalGuard",
    "SecondFactorCheck",
    "aal2_login_url",
    "aal_rank",
    "pass_request_params",
]

HIGHEST_AVAILABLE = "highest_available"
#: Seconds a "this identity has no second factor" answer is reused (see :class:`AalGuard`).
NO_SECOND_FACTOR_TTL = 30.0
_NO_SECOND_FACTOR_MAX = 10_000

_RANK: dict[str, int] = {"aal0": 0, "aal1": 1, "aal2": 2, "aal3": 3}


def aal_rank(aal: str) -> int:
    """aal0 < aal1 < aal2 < aal3 (unknown values rank as aal0)."""
    return _RANK.get(aal, 0)


class SecondFactorCheck(Protocol):
    """Whether the identity's credentials include a second factor (available AAL aal2);
    ``upsert`` writes a yes back to ``identities.available_aal``."""

    def __call__(self, identity_id: uuid.UUID, *, upsert: bool) -> Awaitable[bool]: ...


def _with_query(url: str, values: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(values)
    return urlunsplit(parts._replace(query=urlencode(sorted(query.items()))))


def aal2_login_url(public_url: str, request_url: str | None = None) -> str:
    """``PUBLIC/self-service/login/browser?aal=aal2[&return_to=<request_url>]`` (Go's
    ``url.Values.Encode``: keys sorted)."""
    base = public_url.rstrip("/") + "/self-service/login/browser"
    values = {"aal": "aal2"}
    if request_url:
        values["return_to"] = request_url
    return _with_query(base, values)


def pass_request_params(redirect_to: str, request_url: str | None) -> str:
    """Kratos ``ErrAALNotSatisfied.PassReturnToAndLoginChallengeParameters``: copy
    ``return_to`` and ``login_challenge`` from a flow's request URL onto ``redirect_to``."""
    if not request_url:
        return redirect_to
    query = dict(parse_qsl(urlsplit(request_url).query, keep_blank_values=True))
    copied = {k: query[k] for k in ("login_challenge", "return_to") if query.get(k)}
    return _with_query(redirect_to, copied) if copied else redirect_to


class AalGuard:
    """Kratos ``DoesSessionSatisfy``; returns the 403 ``session_aal2_required`` error to
    raise (or to turn into a redirect), or None when the session is good enough.

    The recomputation costs a statement, and most identities have no second factor, so a
    "no second factor" answer is remembered per process for :data:`NO_SECOND_FACTOR_TTL`
    seconds, and only while the identity's ``updated_at`` (read with the session) is
    unchanged and its ``available_aal`` column is below aal2. Every identity write through
    Phalanx, on any worker or host, moves ``updated_at`` and stores the recomputed
    ``available_aal``, so an identity that gains a second factor is never mistaken for
    one without; a column made stale outside Phalanx (SQL by hand, an imported database, a
    changed ``code.mfa_enabled``) without touching ``updated_at`` is caught up to that
    many seconds later.
    """

    def __init__(self, public_url: str, second_factor: SecondFactorCheck) -> None:
        self.public_url = public_url
        self.second_factor = second_factor
        #: identity id -> (its ``updated_at`` when checked, deadline)
        self._without: OrderedDict[uuid.UUID, tuple[datetime, float]] = OrderedDict()

    def _known_without(self, identity: Identity) -> bool:
        found = self._without.get(identity.id)
        if found is None:
            return False
        updated_at, deadline = found
        if updated_at == identity.updated_at and deadline > time.monotonic():
            return True
        del self._without[identity.id]
        return False

    def _remember_without(self, identity: Identity) -> None:
        deadline = time.monotonic() + NO_SECOND_FACTOR_TTL
        self._without[identity.id] = (identity.updated_at, deadline)
        self._without.move_to_end(identity.id)
        while len(self._without) > _NO_SECOND_FACTOR_MAX:
            self._without.popitem(last=False)

    def error(self, request_url: str | None = None) -> AAL2RequiredError:
        return AAL2RequiredError(aal2_login_url(self.public_url, request_url))

    async def check(
        self,
        session: Session,
        required: str,
        *,
        request_url: str | None = None,
        upsert: bool = False,
    ) -> AAL2RequiredError | None:
        if session.aal == AAL.AAL2:
            return None
        if required == AAL.AAL1:
            return None if aal_rank(session.aal) >= 1 else self.error(request_url)
        if required != HIGHEST_AVAILABLE:
            raise ValueError(f"requested unknown aal: {required}")
        identity = session.identity
        if identity is not None and identity.available_aal == AAL.AAL2:
            self._without.pop(identity.id, None)
            return self.error(request_url)
        if identity is not None and self._known_without(identity):
            return None
        if await self.second_factor(session.identity_id, upsert=upsert):
            if identity is not None:
                identity.available_aal = AAL.AAL2
            return self.error(request_url)
        if identity is not None:
            self._remember_without(identity)
        return None
