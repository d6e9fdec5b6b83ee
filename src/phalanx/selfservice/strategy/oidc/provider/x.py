"""``x`` (Twitter): OAuth 1.0a through Authlib's httpx client, as Kratos's ``ProviderX``.

The request token is fetched with a callback URL carrying ``state`` (and ``code=unused`` so
the common callback checks pass); the callback's ``oauth_token``/``oauth_verifier`` are
exchanged for an access token; claims come from ``account/verify_credentials``.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

import httpx
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth1Client

from phalanx.errors import BadGatewayError, MisconfigurationError
from phalanx.selfservice.strategy.oidc.claims import Claims, make_claims
from phalanx.selfservice.strategy.oidc.provider.base import Provider, Token

__all__ = ["XProvider"]

_BASE = "https://api.twitter.com"
_USERINFO = f"{_BASE}/1.1/account/verify_credentials.json"


class XProvider(Provider):
    request_token_url = f"{_BASE}/oauth/request_token"
    authenticate_url = f"{_BASE}/oauth/authenticate"
    access_token_url = f"{_BASE}/oauth/access_token"

    def oauth1_client(self, **kwargs: object) -> AsyncOAuth1Client:
        return AsyncOAuth1Client(
            self.config.client_id,
            self.config.client_secret,
            transport=self.context.new_transport(),
            timeout=self.context.timeout,
            **kwargs,
        )

    async def endpoints(self) -> tuple[str, str]:
        return self.authenticate_url, self.access_token_url

    async def authorization_url(
        self,
        state: str,
        *,
        code_verifier: str | None,
        upstream: Mapping[str, str],
        refresh: bool,
    ) -> str:
        callback = self.redirect_uri + "?" + urlencode({"state": state, "code": "unused"})
        async with self.oauth1_client(redirect_uri=callback) as client:
            try:
                request_token = await client.fetch_request_token(self.request_token_url)
            except (OAuthError, httpx.HTTPError, ValueError) as exc:
                raise BadGatewayError(
                    "Unable to sign in with X because the OAuth1 request token could not be"
                    f" initialized: {exc}"
                ) from exc
        oauth_token = request_token.get("oauth_token")
        if not isinstance(oauth_token, str) or not oauth_token:
            raise MisconfigurationError(
                "Unable to sign in with X because the OAuth1 authorization URL could not be"
                " parsed: no oauth_token"
            )
        # dghubble/oauth1's AuthorizationURL: only the request token, no callback.
        return self.authenticate_url + "?" + urlencode({"oauth_token": oauth_token})

    async def exchange(
        self, code: str, code_verifier: str | None, query: Mapping[str, str]
    ) -> Token:
        async with self.oauth1_client(
            token=query.get("oauth_token", ""), verifier=query.get("oauth_verifier", "")
        ) as client:
            try:
                token = await client.fetch_access_token(self.access_token_url)
            except (OAuthError, httpx.HTTPError, ValueError) as exc:
                raise BadGatewayError(f"Unable to sign in with X: {exc}") from exc
        return dict(token)

    def userinfo_url(self) -> str:
        return _USERINFO + ("?include_email=true" if "email" in self.config.scope else "")

    async def claims(self, token: Token, query: Mapping[str, str]) -> Claims:
        url = self.userinfo_url()
        async with self.oauth1_client(
            token=token.get("oauth_token"), token_secret=token.get("oauth_token_secret")
        ) as client:
            try:
                response = await client.get(url)
                user = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise BadGatewayError(f"Unable to fetch user information from X: {exc}") from exc
        if response.status_code >= 400 or not isinstance(user, dict):
            raise BadGatewayError(
                f"OpenID Connect provider returned a {response.status_code} status code but 200"
                " is expected."
            )
        return make_claims(
            {
                "iss": url,
                "sub": user.get("id_str"),
                "name": user.get("name"),
                "picture": user.get("profile_image_url_https"),
                "email": user.get("email"),
                "preferred_username": user.get("screen_name"),
                "website": user.get("url"),
            },
            raw={},
        )
