"""ID token verification against a provider's JWKS (go-oidc's ``IDTokenVerifier``), with
joserfc: signature by a key of the set (re-fetched once for an unknown ``kid``), issuer
pinned, ``aud`` one of the accepted audiences, ``exp``/``nbf``/``iat`` checked."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

__all__ = ["ASYMMETRIC_ALGORITHMS", "IDTokenError", "JWKSCache"]

#: Signature algorithms accepted for ID tokens (never ``none`` nor HMAC with a public set).
ASYMMETRIC_ALGORITHMS = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
)  # fmt: skip


class IDTokenError(Exception):
    """The token is malformed, badly signed, or its claims do not hold."""


class JWKSCache:
    """A provider's JSON Web Key Set, fetched on first use and cached for an hour."""

    def __init__(self, fetch: Callable[[], Awaitable[Any]]) -> None:
        self._fetch = fetch
        self._keys: KeySet | None = None
        self._at = 0.0

    async def keys(self, refresh: bool = False) -> KeySet:
        if refresh or self._keys is None or time.monotonic() - self._at > 3600:
            data = await self._fetch()
            try:
                self._keys = KeySet.import_key_set(data)
            except (JoseError, ValueError, TypeError, KeyError) as exc:
                raise IDTokenError(f"the provider's key set is invalid: {exc}") from exc
            self._at = time.monotonic()
        return self._keys

    async def verify(
        self,
        raw: str,
        *,
        issuer: str,
        audiences: Sequence[str],
        algorithms: Sequence[str] = ASYMMETRIC_ALGORITHMS,
    ) -> dict[str, Any]:
        """The verified claims of ``raw``; raises :class:`IDTokenError`."""
        token = None
        for refresh in (False, True):
            keys = await self.keys(refresh)
            try:
                token = jwt.decode(raw, keys, algorithms=list(algorithms))
                break
            except (JoseError, ValueError) as exc:
                if refresh:
                    raise IDTokenError(f"failed to verify signature: {exc}") from exc
        assert token is not None
        claims = dict(token.claims)
        registry = jwt.JWTClaimsRegistry(
            now=int(time.time()),
            leeway=0,
            iss={"essential": True, "value": issuer},
            exp={"essential": True},
            sub={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise IDTokenError(f"oidc: {exc.description or exc.error}") from exc
        aud = claims.get("aud")
        token_audiences = aud if isinstance(aud, list) else [aud]
        if not any(a in token_audiences for a in audiences):
            raise IDTokenError(
                f"oidc: expected audience in {list(audiences)!r} got {token_audiences!r}"
            )
        return claims
