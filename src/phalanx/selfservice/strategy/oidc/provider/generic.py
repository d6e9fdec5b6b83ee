"""``generic`` (OpenID Connect discovery from ``issuer_url``) and the presets built on it:
google, microsoft, apple, linkedin_v2, netid, line, jackson (Kratos ``ProviderGenericOIDC``
and the types embedding it)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any, ClassVar

import orjson
from joserfc import jwt
from joserfc.jwk import ECKey

from phalanx.errors import BadGatewayError, BadRequestError, MisconfigurationError
from phalanx.selfservice.strategy.oidc.claims import Claims, make_claims
from phalanx.selfservice.strategy.oidc.provider.base import Provider, Token
from phalanx.selfservice.strategy.oidc.provider.idtoken import IDTokenError, JWKSCache

__all__ = [
    "AppleProvider",
    "GenericProvider",
    "GoogleProvider",
    "JacksonProvider",
    "LineProvider",
    "LinkedInV2Provider",
    "MicrosoftProvider",
    "NetIDProvider",
    "id_token_missing",
]


def id_token_missing() -> BadRequestError:
    """Kratos ``ErrIDTokenMissing``."""
    return BadRequestError(
        'Authentication failed because no id_token was returned. Please accept the "openid"'
        " permission and try again."
    )


class GenericProvider(Provider):
    """OpenID Connect discovery from ``issuer_url``; claims from the verified ID token or,
    with ``claims_source: userinfo``, from the userinfo endpoint (same ``sub`` required)."""

    #: Issuer forced by a preset (None: ``issuer_url`` from the config).
    fixed_issuer: ClassVar[str | None] = None
    #: JWKS of a preset's native ``id_token`` path (None: the discovered ``jwks_uri``).
    native_jwks_url: ClassVar[str | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._jwks = JWKSCache(self._fetch_jwks)
        self._native_jwks = JWKSCache(self._fetch_native_jwks)

    @property
    def issuer(self) -> str:
        return self.fixed_issuer or str(self.config.issuer_url or "")

    async def discovery(self) -> dict[str, Any]:
        if self.fixed_issuer and str(self.config.issuer_url or "") != self.fixed_issuer:
            self.config = self.config.model_copy(update={"issuer_url": self.fixed_issuer})
        return await super().discovery()

    def scopes(self) -> list[str]:
        scopes = list(self.config.scope)
        if "openid" not in scopes:
            scopes.append("openid")
        return scopes

    async def endpoints(self) -> tuple[str, str]:
        data = await self.discovery()
        return str(data.get("authorization_endpoint", "")), str(data.get("token_endpoint", ""))

    def auth_params(self, refresh: bool) -> dict[str, str]:
        params: dict[str, str] = {}
        if refresh:
            params["prompt"] = "login"
        if self.config.requested_claims:
            params["claims"] = orjson.dumps(self.config.requested_claims).decode()
        return params

    async def _fetch_jwks(self) -> Any:
        data = await self.discovery()
        return await self.get_json(str(data.get("jwks_uri", "")), what="the JSON Web Key Set")

    async def _fetch_native_jwks(self) -> Any:
        if self.native_jwks_url is None:
            return await self._fetch_jwks()
        return await self.get_json(self.native_jwks_url, what="the JSON Web Key Set")

    async def verified_id_token(self, raw: str, issuer: str | None = None) -> dict[str, Any]:
        """The claims of an ID token from the token endpoint (400 when it does not verify)."""
        try:
            return await self._jwks.verify(
                raw, issuer=issuer or self.issuer, audiences=[self.config.client_id]
            )
        except IDTokenError as exc:
            raise BadRequestError(str(exc)) from exc

    def raw_id_token(self, token: Token) -> str:
        raw = token.get("id_token")
        if not isinstance(raw, str) or not raw:
            raise id_token_missing()
        return raw

    async def claims(self, token: Token, query: Mapping[str, str]) -> Claims:
        source = self.config.claims_source
        if source == "userinfo":
            return await self._userinfo_claims(token)
        verified = await self.verified_id_token(self.raw_id_token(token))
        return make_claims(verified)

    async def _userinfo_claims(self, token: Token) -> Claims:
        data = await self.discovery()
        info = await self.get_json(str(data.get("userinfo_endpoint", "")), token=token)
        if not isinstance(info, dict):
            raise BadGatewayError("the userinfo endpoint did not return an object")
        id_token = await self.verified_id_token(self.raw_id_token(token))
        if id_token.get("sub") != info.get("sub"):
            raise BadRequestError(
                "sub (Subject) claim mismatch between ID token and UserInfo endpoint"
            )
        claims = make_claims(info)
        claims.setdefault("iss", id_token.get("iss"))
        return claims

    # Native id_token (google, apple, netid; generic only with phalanx.oidc.generic_id_token).
    async def verify_id_token(self, raw: str) -> Claims:
        if not self.verifies_id_tokens:
            return await super().verify_id_token(raw)
        audiences = [self.config.client_id, *self.config.additional_id_token_audiences]
        try:
            verified = await self._native_jwks.verify(raw, issuer=self.issuer, audiences=audiences)
        except IDTokenError as exc:
            raise IDTokenError(
                f"token audience didn't match allowed audiences: {audiences} {exc}"
                if "audience" in str(exc)
                else str(exc)
            ) from exc
        return make_claims(verified)


class GoogleProvider(GenericProvider):
    """``google``: issuer pinned, ``offline_access`` becomes ``access_type=offline``."""

    fixed_issuer = "https://accounts.google.com"
    native_jwks_url = "https://www.googleapis.com/oauth2/v3/certs"
    verifies_id_tokens = True

    def scopes(self) -> list[str]:
        return [s for s in super().scopes() if s != "offline_access"]

    def auth_params(self, refresh: bool) -> dict[str, str]:
        params = super().auth_params(refresh)
        if "offline_access" in self.config.scope:
            params["access_type"] = "offline"
        return params

    def can_skip_nonce(self, claims: Claims) -> bool:
        return not claims.get("nonce")


class MicrosoftProvider(GenericProvider):
    """``microsoft``: tenant endpoints; the ID token is verified against the issuer of its
    (unverified) ``tid``; ``subject_source`` ``me`` (Graph) or ``oid``."""

    async def endpoints(self) -> tuple[str, str]:
        tenant = (self.config.microsoft_tenant or "").strip()
        if not tenant:
            raise MisconfigurationError(
                f"No Tenant specified for the `microsoft` oidc provider {self.id}"
            )
        prefix = f"https://login.microsoftonline.com/{tenant}"
        return f"{prefix}/oauth2/v2.0/authorize", f"{prefix}/oauth2/v2.0/token"

    async def claims(self, token: Token, query: Mapping[str, str]) -> Claims:
        raw = self.raw_id_token(token)
        unverified = _payload(raw)  # only to find the tenant's issuer; verified below
        tenant = str(unverified.get("tid") or "")
        try:
            uuid.UUID(tenant)
        except ValueError as exc:
            raise BadRequestError(f"TenantID claim is not a valid UUID: {exc}") from exc
        issuer = f"https://login.microsoftonline.com/{tenant}/v2.0"
        tenant_provider = GenericProvider(
            self.config.model_copy(update={"issuer_url": issuer}), self.context
        )
        claims = make_claims(await tenant_provider.verified_id_token(raw, issuer))
        if self.config.subject_source == "me":
            me = await self.get_json("https://graph.microsoft.com/v1.0/me", token=token)
            claims["sub"] = str(me.get("id") or "") if isinstance(me, dict) else ""
        elif self.config.subject_source == "oid":
            claims["sub"] = claims.get("oid", "")
        return claims


def _payload(raw: str) -> dict[str, Any]:
    """The JSON payload of a compact JWS, unverified (only for routing, never trusted)."""
    import base64

    try:
        segment = raw.split(".")[1]
        data = orjson.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (IndexError, ValueError) as exc:
        raise BadRequestError(f"the id_token is malformed: {exc}") from exc
    return data if isinstance(data, dict) else {}


class AppleProvider(GenericProvider):
    """``apple``: the client secret is an ES256 JWT signed with the team's key; ``form_post``
    when names or e-mail are requested; the ``user`` form field adds the name."""

    fixed_issuer = "https://appleid.apple.com"
    native_jwks_url = "https://appleid.apple.com/auth/keys"
    verifies_id_tokens = True
    token_auth_method = "client_secret_post"

    async def endpoints(self) -> tuple[str, str]:
        return "https://appleid.apple.com/auth/authorize", "https://appleid.apple.com/auth/token"

    async def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.fixed_issuer,
            "jwks_uri": self.native_jwks_url,
            "authorization_endpoint": "https://appleid.apple.com/auth/authorize",
            "token_endpoint": "https://appleid.apple.com/auth/token",
        }

    def client_secret(self) -> str:
        key_pem = self.config.apple_private_key or ""
        try:
            key = ECKey.import_key(key_pem)
        except Exception as exc:
            raise MisconfigurationError(f"Private key decoding failed: {exc}") from exc
        now = int(time.time())
        return jwt.encode(
            {"alg": "ES256", "kid": self.config.apple_private_key_id or ""},
            {
                "aud": ["https://appleid.apple.com"],
                "exp": now + 300,
                "iat": now,
                "iss": self.config.apple_team_id or "",
                "sub": self.config.client_id,
            },
            key,
        )

    def auth_params(self, refresh: bool) -> dict[str, str]:
        params = super().auth_params(refresh)
        if any(s in ("email", "name") for s in self.config.scope):
            params["response_mode"] = "form_post"
        return params

    async def claims(self, token: Token, query: Mapping[str, str]) -> Claims:
        claims = await super().claims(token, query)
        decode_apple_user(query.get("user"), claims)
        return claims

    def can_skip_nonce(self, claims: Claims) -> bool:
        return bool(claims.get("nonce_supported"))


def decode_apple_user(user: str | None, claims: Claims) -> None:
    """Apple's ``user`` JSON (first sign-in only): names fill empty name claims."""
    try:
        data = orjson.loads(user or "")
    except orjson.JSONDecodeError:
        return
    name = data.get("name") if isinstance(data, dict) else None
    if not isinstance(name, dict):
        return
    first, last = name.get("firstName"), name.get("lastName")
    if isinstance(first, str) and not claims.get("given_name"):
        claims["given_name"] = first
    if isinstance(last, str):
        for key in ("last_name", "family_name"):
            if not claims.get(key):
                claims[key] = last


class LinkedInV2Provider(GenericProvider):
    """``linkedin_v2``: OpenID Connect at linkedin.com with claims from userinfo."""

    fixed_issuer = "https://www.linkedin.com/oauth"

    async def claims(self, token: Token, query: Mapping[str, str]) -> Claims:
        return await self._userinfo_claims(token)


class NetIDProvider(GenericProvider):
    """``netid``: the netID broker; claims from userinfo with ``iss``/``sub`` of the token."""

    fixed_issuer = "https://broker.netid.de/"
    verifies_id_tokens = True

    async def endpoints(self) -> tuple[str, str]:
        return "https://broker.netid.de/authorize", "https://broker.netid.de/token"

    async def claims(self, token: Token, query: Mapping[str, str]) -> Claims:
        info = await self.get_json("https://broker.netid.de/userinfo", token=token)
        verified = await self.verified_id_token(self.raw_id_token(token))
        claims = make_claims(info if isinstance(info, dict) else {}, raw={})
        claims["iss"], claims["sub"] = verified.get("iss"), verified.get("sub")
        return claims


class LineProvider(GenericProvider):
    """``line`` (LINE Login v2.1): OpenID Connect at access.line.me, ID token key as JWK."""

    fixed_issuer = "https://access.line.me"

    def token_params(self) -> dict[str, str]:
        return {"id_token_key_type": "JWK"}


class JacksonProvider(GenericProvider):
    """``jackson`` (BoxyHQ SAML Jackson): endpoints from ``auth_url``/``token_url``,
    userinfo and JWKS beside the token URL; the redirect goes to the SAML callback."""

    @property
    def redirect_uri(self) -> str:
        return (
            self.context.redirect_base.rstrip("/")
            + f"/self-service/methods/saml/callback/{self.id}"
        )

    async def discovery(self) -> dict[str, Any]:
        token_url = str(self.config.token_url or "")
        internal = token_url.removesuffix("/api/oauth/token")
        return {
            "issuer": self.issuer,
            "authorization_endpoint": str(self.config.auth_url or ""),
            "token_endpoint": token_url,
            "userinfo_endpoint": internal + "/api/oauth/userinfo",
            "jwks_uri": internal + "/oauth/jwks",
        }
