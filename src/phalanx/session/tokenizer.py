"""The session tokenizer: ``GET /sessions/whoami?tokenize_as=<template>`` (Kratos
``session/tokenizer.go``).

A template (``session.whoami.tokenizer.templates.<name>``) names a JWKS holding a private
key (``jwks_url``: ``file://``, ``base64://`` or ``http(s)://``, fetched through the SSRF
guard and cached for an hour), a ``ttl`` and optionally a Jsonnet ``claims_mapper_url``.
The JWT is signed with the **first** key of the set, using the key's ``alg``; its header is
``{"typ": "JWT", "alg": <alg>, "kid": <kid>}``. Base claims::

    {"jti": <uuid4>, "iss": <public base URL>, "exp": now + ttl, "sid": <session id>,
     "nbf": now, "iat": now, "sub": <identity id | external_id>}

The mapper sees ``std.extVar('session')`` (the whoami JSON) and ``std.extVar('claims')``
and must return ``{claims: {...}}``; those claims are merged over the base claims, then
``sub`` is set again. Every failure answers as Kratos does (400 with Kratos's reasons,
500 for a template that cannot be decoded). All JOSE work is ``joserfc``'s.
"""

from __future__ import annotations

import json
import time
import uuid
import warnings
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from phalanx.config.model_core import TokenizerTemplateConfig
from phalanx.errors import BadRequestError, InternalServerError
from phalanx.jsonnet import JsonnetError, evaluate_jsonnet
from phalanx.outbound.guard import AddressGuard
from phalanx.outbound.sources import SourceError, load_url

__all__ = ["JWKS_CACHE_SECONDS", "SIGNING_ALGORITHMS", "JsonnetEvaluator", "SessionTokenizer"]

JWKS_CACHE_SECONDS = 3600.0
MAPPER_CACHE_SECONDS = 3600.0

#: What golang-jwt's ``GetSigningMethod`` knows (``none`` cannot sign with a key).
SIGNING_ALGORITHMS = frozenset(
    {
        "HS256", "HS384", "HS512",
        "RS256", "RS384", "RS512",
        "PS256", "PS384", "PS512",
        "ES256", "ES384", "ES512",
        "EdDSA",
    }
)  # fmt: skip

JsonnetEvaluator = Callable[..., Awaitable[Any]]
"""``await evaluate(source, ext={...}, name=...)`` -> the parsed result (the Jsonnet sandbox)."""


class _NoSuitableKey(BadRequestError):
    default_reason = "Could not find key a suitable key for tokenization in the JWKS url."


@dataclass(slots=True)
class _Cached:
    value: Any
    until: float


@dataclass(slots=True)
class SessionTokenizer:
    """Tokenizes whoami answers for the configured templates."""

    templates: Mapping[str, Any]
    issuer: str
    guard: AddressGuard = field(default_factory=AddressGuard)
    evaluate: JsonnetEvaluator = evaluate_jsonnet
    clock: Callable[[], float] = time.time
    _jwks: dict[str, _Cached] = field(default_factory=dict)
    _mappers: dict[str, _Cached] = field(default_factory=dict)

    def template(self, name: str) -> TokenizerTemplateConfig:
        if name not in self.templates:
            raise BadRequestError(f'Unable to find tokenizer template "{name}".')
        raw = self.templates[name]
        if isinstance(raw, TokenizerTemplateConfig):
            return raw
        try:
            return TokenizerTemplateConfig.model_validate(raw)
        except ValueError as exc:
            raise InternalServerError(
                f'Unable to decode tokenizer template "{name}": {exc}'
            ) from exc

    async def _load(self, cache: dict[str, _Cached], url: str) -> bytes:
        now = time.monotonic()
        hit = cache.get(url)
        if hit is not None and hit.until > now:
            data: bytes = hit.value
            return data
        try:
            data = await load_url(url, self.guard)
        except SourceError as exc:
            raise InternalServerError(f"Unable to fetch {url}: {exc}") from exc
        cache[url] = _Cached(data, now + JWKS_CACHE_SECONDS)
        return data

    async def _first_key(self, url: str) -> Any:
        raw = await self._load(self._jwks, url)
        try:
            document = json.loads(raw)
        except ValueError as exc:
            raise InternalServerError(f"The JSON Web Key Set at {url} is not JSON.") from exc
        keys = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(keys, list) or not keys or not isinstance(keys[0], dict):
            raise _NoSuitableKey()
        first = keys[0]
        alg = first.get("alg")
        if not isinstance(alg, str) or alg not in SIGNING_ALGORITHMS:
            shown = alg if isinstance(alg, str) else ""
            raise BadRequestError(
                f'The JSON Web Key must include a valid "alg" parameter but "{shown}" was given.'
            )
        try:
            return KeySet.import_key_set({"keys": [first]}).keys[0]
        except (JoseError, ValueError, TypeError) as exc:
            raise BadRequestError("Unable to decode the given private key.") from exc

    @staticmethod
    def _subject(session: Mapping[str, Any], source: str) -> str:
        identity = session.get("identity") or {}
        if source == "external_id":
            external = identity.get("external_id")
            if not external:
                raise BadRequestError(
                    "The session's identity does not have an external ID set, but it is "
                    "required for the subject claim."
                )
            return str(external)
        return str(identity.get("id", ""))

    async def _mapped(
        self, url: str, session: Mapping[str, Any], claims: dict[str, Any]
    ) -> dict[str, Any]:
        source = (await self._load(self._mappers, url)).decode("utf-8", "replace")
        try:
            result = await self.evaluate(
                source, ext={"session": dict(session), "claims": claims}, name=url[:80]
            )
        except JsonnetError as exc:
            raise BadRequestError(
                "Unable to execute tokenizer JsonNet.", details={"debug": str(exc)}
            ) from exc
        mapped = result.get("claims") if isinstance(result, dict) else None
        if not isinstance(mapped, dict):
            raise BadRequestError(
                "Expected tokenizer JsonNet to return a claims object but it did not."
            )
        return mapped

    async def tokenize(self, name: str, session: Mapping[str, Any]) -> str:
        """The JWT for ``session`` (the whoami JSON) under template ``name``."""
        template = self.template(name)
        key = await self._first_key(str(template.jwks_url))
        now = int(self.clock())
        claims: dict[str, Any] = {
            "jti": str(uuid.uuid4()),
            "iss": self.issuer,
            "exp": now + int(template.ttl.total_seconds()),
            "sid": str(session.get("id", "")),
            "nbf": now,
            "iat": now,
        }
        subject = self._subject(session, template.subject_source)
        claims["sub"] = subject
        if template.claims_mapper_url:
            claims.update(await self._mapped(str(template.claims_mapper_url), session, claims))
            claims["sub"] = subject
        alg = str(key.alg)
        header = {"typ": "JWT", "alg": alg, "kid": key.kid or ""}
        try:
            with warnings.catch_warnings():
                # joserfc flags "EdDSA" (RFC 9864 prefers "Ed25519"); Kratos signs with it.
                warnings.simplefilter("ignore")
                return jwt.encode(header, claims, key, algorithms=[alg])
        except (JoseError, ValueError, TypeError, AttributeError) as exc:
            raise BadRequestError("Unable to sign JSON Web Token.") from exc
