"""What every upstream provider does (Kratos ``OAuth2Provider``): build the authorization
URL, exchange the code for tokens, turn tokens into :mod:`claims <..claims>`.

OAuth 2.0 goes through Authlib's httpx client (``AsyncOAuth2Client``); presets override the
endpoints, scopes, extra authorization parameters and the claims step. Every HTTP call uses
an httpx client built by :meth:`Provider.http`, so tests can swap the transport.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client

from phalanx.config.model_methods import OIDCProvider
from phalanx.errors import BadGatewayError, BadRequestError, MisconfigurationError
from phalanx.outbound.guard import AddressGuard
from phalanx.outbound.transport import GuardedTransport
from phalanx.selfservice.strategy.oidc.claims import Claims

__all__ = [
    "CALLBACK_PATH",
    "UPSTREAM_PARAMETERS",
    "Provider",
    "ProviderContext",
    "Token",
    "scope_missing",
]

CALLBACK_PATH = "/self-service/methods/oidc/callback"
#: The only ``upstream_parameters`` Kratos forwards (``provider.go``).
UPSTREAM_PARAMETERS = ("login_hint", "hd", "prompt", "auth_type")
#: Largest upstream JSON answer read (Kratos reads at most 1 MiB from userinfo endpoints).
MAX_BODY = 1024 * 1024

Token = dict[str, Any]


def scope_missing() -> BadRequestError:
    """Kratos ``ErrScopeMissing``."""
    return BadRequestError(
        "Unable to finish because one or more permissions were not granted. Please retry and"
        " accept all the requested permissions."
    )


@dataclass(frozen=True, slots=True)
class ProviderContext:
    """What providers need from the server: the redirect base (``base_redirect_uri`` or
    the public URL), the ``clients.http`` SSRF guard (None: no checks), an optional httpx
    transport (tests) and the request timeout."""

    redirect_base: str
    transport: httpx.AsyncBaseTransport | None = None
    timeout: float = 10.0
    guard: AddressGuard | None = None

    def new_transport(self) -> httpx.AsyncBaseTransport | None:
        """A transport for one client (a client closes its transport when it is done)."""
        if self.transport is not None:
            return self.transport
        if self.guard is None:
            return None
        return GuardedTransport(self.guard)


class Provider(ABC):
    """One configured provider (``selfservice.methods.oidc.config.providers[]``)."""

    #: Separator of the granted ``scope`` in the token answer, for presets that check it.
    granted_scope_separator: ClassVar[str] = " "
    #: Whether the native ``id_token`` login/registration is possible (``IDTokenVerifier``).
    verifies_id_tokens: ClassVar[bool] = False
    #: How the client authenticates at the token endpoint.
    token_auth_method: ClassVar[str] = "client_secret_basic"

    def __init__(self, config: OIDCProvider, context: ProviderContext) -> None:
        self.config = config
        self.context = context
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0

    # -- identity ----------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.config.id

    @property
    def label(self) -> str:
        return self.config.label or self.config.id

    @property
    def redirect_uri(self) -> str:
        """Kratos ``Configuration.Redir``."""
        base = self.context.redirect_base.rstrip("/")
        if self.config.pkce == "force":
            return base + CALLBACK_PATH
        if self.config.organization_id:
            org = self.config.organization_id
            return f"{base}/self-service/methods/oidc/organization/{org}/callback/{self.id}"
        return f"{base}{CALLBACK_PATH}/{self.id}"

    # -- HTTP --------------------------------------------------------------------------------
    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=self.context.new_transport(), timeout=self.context.timeout
        )

    def oauth2_client(self, **kwargs: Any) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.config.client_id,
            client_secret=self.client_secret(),
            redirect_uri=self.redirect_uri,
            token_endpoint_auth_method=self.token_auth_method,
            transport=self.context.new_transport(),
            timeout=self.context.timeout,
            **kwargs,
        )

    def client_secret(self) -> str | None:
        return self.config.client_secret

    async def get_json(
        self,
        url: str,
        *,
        token: Token | None = None,
        headers: Mapping[str, str] | None = None,
        what: str = "user information",
    ) -> Any:
        """GET ``url`` (bearer ``token`` when given) and parse JSON; 502 on failure."""
        sent = dict(headers or {})
        sent.setdefault("Accept", "application/json")
        if token is not None and "Authorization" not in sent:
            sent["Authorization"] = f"Bearer {token.get('access_token', '')}"
        try:
            async with self.http() as client:
                response = await client.get(url, headers=sent)
        except httpx.HTTPError as exc:
            raise BadGatewayError(f"Unable to fetch {what} from {url}: {exc}") from exc
        if response.status_code >= 400:
            raise BadGatewayError(
                f"OpenID Connect provider returned a {response.status_code} status code but"
                " 200 is expected.",
                details={"external_status_code": response.status_code},
            )
        try:
            return response.json()
        except ValueError as exc:
            raise BadGatewayError(f"Unable to decode {what} from {url}: {exc}") from exc

    async def discovery(self) -> dict[str, Any]:
        """The issuer's ``/.well-known/openid-configuration`` (cached for an hour)."""
        if self._metadata is not None and time.monotonic() - self._metadata_at < 3600:
            return self._metadata
        issuer = str(self.config.issuer_url or "")
        if not issuer:
            raise MisconfigurationError(
                "Issuer URL must be set to autodiscover the OpenID Connect Provider"
            )
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            data = await self.get_json(url, what="the OpenID Connect discovery document")
        except BadGatewayError as exc:
            raise MisconfigurationError(
                f"Unable to initialize OpenID Connect Provider: {exc.reason}"
            ) from exc
        if not isinstance(data, dict) or data.get("issuer", "").rstrip("/") != issuer.rstrip("/"):
            raise MisconfigurationError(
                "Unable to initialize OpenID Connect Provider: oidc: issuer did not match the"
                f' issuer returned by provider, expected "{issuer}" got "{data.get("issuer")}"'
                if isinstance(data, dict)
                else "Unable to initialize OpenID Connect Provider: invalid discovery document"
            )
        self._metadata, self._metadata_at = data, time.monotonic()
        return data

    async def pkce_supported(self) -> bool:
        """``discoverPKCE``: S256 in the discovery document's
        ``code_challenge_methods_supported``."""
        try:
            data = await self.discovery()
        except MisconfigurationError:
            return False
        return "S256" in (data.get("code_challenge_methods_supported") or [])

    # -- the OAuth 2.0 dance -----------------------------------------------------------------
    def scopes(self) -> list[str]:
        return list(self.config.scope)

    @abstractmethod
    async def endpoints(self) -> tuple[str, str]:
        """(authorization URL, token URL)."""

    def auth_params(self, refresh: bool) -> dict[str, str]:
        """Provider-specific authorization parameters (``AuthCodeURLOptions``)."""
        return {}

    async def authorization_url(
        self,
        state: str,
        *,
        code_verifier: str | None,
        upstream: Mapping[str, str],
        refresh: bool,
    ) -> str:
        auth_url, _ = await self.endpoints()
        params = {k: v for k, v in upstream.items() if k in UPSTREAM_PARAMETERS}
        params.update(self.auth_params(refresh))
        pkce = {"code_challenge_method": "S256"} if code_verifier else {}
        async with self.oauth2_client(scope=" ".join(self.scopes()), **pkce) as client:
            url, _ = client.create_authorization_url(
                auth_url, state=state, code_verifier=code_verifier, **params
            )
        return str(url)

    async def exchange(
        self, code: str, code_verifier: str | None, query: Mapping[str, str]
    ) -> Token:
        """Exchange the authorization code at the token endpoint."""
        _, token_url = await self.endpoints()
        extra: dict[str, Any] = {}
        if code_verifier:
            extra["code_verifier"] = code_verifier
        extra.update(self.token_params())
        async with self.oauth2_client() as client:
            try:
                token = await client.fetch_token(token_url, code=code, **extra)
            except OAuthError as exc:
                raise BadGatewayError(
                    f"Unable to exchange the authorization code: {exc.error}:"
                    f" {exc.description or ''}".rstrip(": ")
                ) from exc
            except (httpx.HTTPError, ValueError) as exc:
                raise BadGatewayError(f"Unable to exchange the authorization code: {exc}") from exc
        return dict(token)

    def token_params(self) -> dict[str, str]:
        return {}

    @abstractmethod
    async def claims(self, token: Token, query: Mapping[str, str]) -> Claims:
        """The user's claims from the token answer (and provider APIs)."""

    def check_granted_scopes(self, token: Token) -> None:
        """GitHub, Discord, Slack, Spotify: every configured scope must have been granted."""
        granted = [
            s.strip()
            for s in str(token.get("scope") or "").split(self.granted_scope_separator)
            if s.strip()
        ]
        if any(scope not in granted for scope in self.config.scope):
            raise scope_missing()

    # -- native id_token ---------------------------------------------------------------------
    async def verify_id_token(self, raw: str) -> Claims:
        raise BadGatewayError(
            f"The provider {self.config.provider} does not support id_token verification"
        )

    def can_skip_nonce(self, claims: Claims) -> bool:
        return False
