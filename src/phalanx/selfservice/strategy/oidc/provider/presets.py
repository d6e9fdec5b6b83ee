"""The OAuth 2.0 presets whose claims come from provider REST APIs (Kratos
``provider_<name>.go``): fixed endpoints, one or two API calls, Kratos's claim mapping."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from phalanx.errors import BadGatewayError, MisconfigurationError
from phalanx.selfservice.strategy.oidc.claims import Claims, make_claims
from phalanx.selfservice.strategy.oidc.provider.base import Provider, Token

__all__ = [
    "AmazonProvider",
    "Auth0Provider",
    "DingTalkProvider",
    "DiscordProvider",
    "FacebookProvider",
    "GitHubAppProvider",
    "GitHubProvider",
    "GitLabProvider",
    "LarkProvider",
    "LinkedInProvider",
    "PatreonProvider",
    "SalesforceProvider",
    "SlackProvider",
    "SpotifyProvider",
    "VKProvider",
    "YandexProvider",
]


def _obj(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise BadGatewayError("the provider did not return a JSON object")
    return data


class FixedEndpoints(Provider):
    """A preset with fixed authorization and token URLs."""

    auth_endpoint: ClassVar[str]
    token_endpoint: ClassVar[str]

    async def endpoints(self) -> tuple[str, str]:
        return self.auth_endpoint, self.token_endpoint


class GitHubProvider(FixedEndpoints):
    """``github``: granted scopes checked; ``sub`` is the numeric user id, ``iss`` the token
    URL; the primary e-mail from ``/user/emails`` when ``user:email`` was granted."""

    auth_endpoint = "https://github.com/login/oauth/authorize"
    token_endpoint = "https://github.com/login/oauth/access_token"
    granted_scope_separator = ","
    api = "https://api.github.com"
    always_emails: ClassVar[bool] = False

    async def claims(self, token: Token, query: Mapping[str, str]) -> Claims:
        if not self.always_emails:
            self.check_granted_scopes(token)
        user = _obj(await self.get_json(f"{self.api}/user", token=token))
        updated = user.get("updated_at")
        values: dict[str, Any] = {
            "sub": str(user.get("id", "")),
            "iss": self.token_endpoint,
            "name": user.get("name"),
            "nickname": user.get("login"),
            "website": user.get("blog"),
            "picture": user.get("avatar_url"),
            "profile": user.get("html_url"),
            "updated_at": _unix(updated) if isinstance(updated, str) else None,
        }
        granted = str(token.get("scope") or "").split(",")
        if self.always_emails or "user:email" in granted:
            emails = await self.get_json(f"{self.api}/user/emails", token=token)
            if isinstance(emails, list):
                chosen = next((e for e in emails if isinstance(e, dict) and e.get("primary")), None)
                if chosen is None and self.always_emails and emails:
                    chosen = emails[-1] if isinstance(emails[-1], dict) else None
                if chosen is not None:
                    values["email"] = chosen.get("email")
                    values["email_verified"] = bool(chosen.get("verified"))
        return make_claims(values, raw={})


class GitHubAppProvider(GitHubProvider):
    """``github-app``: like ``github`` without the scope check; e-mails always fetched."""

    always_emails = True


def _unix(value: str) -> int:
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return 0


class IssuerBased(Provider):
    """GitLab, Auth0 and Salesforce: endpoints under ``issuer_url``, claims from userinfo."""

    default_issuer: ClassVar[str] = ""
    auth_path: ClassVar[str]
    token_path: ClassVar[str]
    userinfo_path: ClassVar[str]

    @property
    def base(self) -> str:
        return (str(self.config.issuer_url or "") or self.default_issuer).rstrip("/")

    async def endpoints(self) -> tuple[str, str]:
        if not self.base:
            raise MisconfigurationError(f"issuer_url is required for provider {self.id}")
        return self.base + self.auth_path, self.base + self.token_path

    async def claims(self, token: Token, query: Mapping[str, str]) -> Claims:
        info = dict(_obj(await self.get_json(self.base + self.userinfo_path, token=token)))
        updated = info.get("updated_at")
        if isinstance(updated, str):  # Auth0/Salesforce send RFC 3339 strings
            info["updated_at"] = _unix(updated)
        claims = make_claims(info, raw={})  # Go decodes userinfo into Claims: no raw_claims
        claims.setdefault("iss", str(self.config.issuer_url or "") or self.default_issuer)
        return claims


class GitLabProvider(IssuerBased):
    default_issuer = "https://gitlab.com"
    auth_path, token_path, userinfo_path = "/oauth/authorize", "/oauth/token", "/oauth/userinfo"


class Auth0Provider(IssuerBased):
    auth_path, token_path, userinfo_path = "/authorize", "/oauth/token", "/userinfo"


class SalesforceProvider(IssuerBased):
    auth_path = "/services/oauth2/authorize"
    token_path = "/services/oauth2/token"
    userinfo_path = "/services/oauth2/userinfo"


class DiscordProvider(FixedEndpoints):
    """``discord``: ``prompt=none`` (``consent`` on refresh), ``/users/@me``."""

    auth_endpoint = "https://discord.com/api/v9/oauth2/authorize"
    token_endpoint = "https://discord.com/api/v9/oauth2/token"

    def auth_params(self, refresh: bool) -> dict[str, str]:
        return {"prompt": "consent" if refresh else "none"}

    async def claims(self, token: Token, query: Mapping[str, str]) -> Claims:
        self.check_granted_scopes(token)
        user = _obj(await self.get_json("https://discord.com/api/v9/users/@me", token=token))
        uid, avatar = str(user.get("id", "")), user.get("avatar")
        if avatar:
            ext = "gif" if str(avatar).startswith("a_") else "png"
            picture = f"https://cdn.discordapp.com/avatars/{uid}/{avatar}.{ext}"
        else:
            discriminator = int(str(user.get("discriminator") or "0") or 0)
            picture = f"https://cdn.discordapp.com/embed/avatars/{discriminator % 5}.png"
        return make_claims(
            {
                "iss": "https://discord.com/api/v9/oauth2/",
                "sub": uid,
                "name": f"{user.get('username', '')}#{user.get('discriminator', '')}",
                "nickname": user.get("username"),
                "preferred_username": user.get("username"),
                "picture": picture,
                "email": user.get("email"),
                "email_verified": bool(user.get("verified")),
                "locale": user.get("locale"),
            },
            raw={},
        )


class SlackProvider(FixedEndpoints):
    """``slack``: granted scopes (comma separated) checked, ``users.identity``."""

    auth_endpoint = "https://slack.com/oauth/authorize"
    token_endpoint = "https://slack.com/api/oauth.access"
    granted_scope_separator = ","

    async def claims(self, token: Token, query: Mapping[str, str]) -> Claims:
        self.check_granted_scopes(token)
        data = _obj(await self.get_json("https://slack.com/api/users.identity", token=token))
        if data.get("ok") is False:
            raise BadGatewayError(f"slack: {data.get('error', 'request failed')}")
        user, team = data.get("user") or {}, data.get("team") or {}
        return make_claims(
            {
                "iss": "https://slack.com/oauth/",
                "sub": user.get("id"),
                "name": user.get("name"),
                "preferred_username": user.get("name"),
                "nickname": user.get("name"),
                "email": user.get("email"),
                "email_verified": True,
                "picture": user.get("image_512"),
                "team": team.get("id"),
            },
            raw={},
        )


class SpotifyProvider(FixedEndpoints):
    """``spotify``: granted scopes checked, ``/v1/me``."""

    auth_endpoint = "https://accounts.spotify.com/authorize"
    token_endpoint = "https://accounts.spotify.com/api/token"

    async def claims(self, token: Token, query: Mapping[str, str]) -> Claims:
        self.check_granted_scopes(token)
        user = _obj(await self.get_json("https://api.spotify.com/v1/me", token=token))
        images = user.get("images") or []
        return make_claims(
            {
                "sub": user.get("id"),
                "iss": self.token_endpoint,
                "name": user.get("display_name"),
                "nickname": user.get("display_name"),
                "email": user.get("email"),
                "picture": images[0].get("url") if images and isinstance(images[0], dict) else None,
                "profile": (user.get("external_urls") or {}).get("spotify"),
                "birthdate": user.get("birthdate"),
            },
            raw={},
        )


class VKProvider(FixedEndpoints):
    """``vk``: ``users.get`` (API 5.103); the e-mail comes with the token answer."""

    auth_endpoint = "https://oauth.vk.com/authorize"
    token_endpoint = "https://oauth.vk.com/access_token"

    async def claims(self, token: Token, query: Mapping[str, str]) -> Claims:
        access = quote(str(token.get("access_token", "")), safe="")
        url = (
            "https://api.vk.com/method/users.get?fields=photo_200,nickname,bdate,sex"
            f"&access_token={access}&v=5.103"
        )
        data = _obj(await self.get_json(url, token=token))
        users = data.get("response") or []
        if not users or not isinstance(users[0], dict):
            raise BadGatewayError("Empty response from VK.")
        user = users[0]
        gender = {1: "female", 2: "male"}.get(int(user.get("sex") or 0), "")
        return make_claims(
            {
                "iss": "https://api.vk.com/method/users.get",
                "sub": str(user.get("id", 0)),
                "given_name": user.get("first_name"),
                "family_name": user.get("last_name"),
                "nickname": user.get("nickname"),
                "picture": user.get("photo_200"),
                "email": token.get("email") if isinstance(token.get("email"), str) else None,
                "gender": gender,
                "birthdate": user.get("bdate"),
            },
            raw={},
        )


class YandexProvider(FixedEndpoints):
    """``yandex``: ``login.yandex.ru/info``."""

    auth_endpoint = "https://oauth.yandex.com/authorize"
    token_endpoint = "https://oauth.yandex.com/token"

    async def claims(self, token: Token, query: Mapping[str, str]) -> Claims:
        access = quote(str(token.get("access_token", "")), safe="")
        user = _obj(
            await self.get_json(
                f"https://login.yandex.ru/info?format=json&oauth_token={access}", token=token
            )
        )
        picture = ""
        if not user.get("is_avatar_empty"):
            avatar = user.get("default_avatar_id", "")
            picture = f"https://avatars.yandex.net/get-yapic/{avatar}/islands-200"
        return make_claims(
            {
                "iss": "https://login.yandex.ru/info",
                "sub": user.get("id"),
                "given_name": user.get("first_name"),
                "family_name": user.get("last_name"),
                "picture": picture,
                "email": user.get("default_email"),
                "gender": user.get("sex"),
                "birthdate": user.get("birthday"),
            },
            raw={},
        )


class PatreonProvider(FixedEndpoints):
    """``patreon``: ``prompt=none`` (``consent`` on refresh), the v2 identity endpoint."""

    auth_endpoint = "https://www.patreon.com/oauth2/authorize"
    token_endpoint = "https://www.patreon.com/api/oauth2/token"

    def auth_params(self, refresh: bool) -> dict[str, str]:
        return {"prompt": "consent" if refresh else "none"}

    async def claims(self, token: Token, query: Mapping[str, str]) -> Claims:
        url = (
            "https://www.patreon.com/api/oauth2/v2/identity"
            "?fields%5Buser%5D=first_name,last_name,url,full_name,email,image_url"
        )
        data = _obj(await self.get_json(url, token=token)).get("data") or {}
        attributes = data.get("attributes") or {}
        return make_claims(
            {
                "iss": "https://www.patreon.com/",
                "sub": data.get("id"),
                "name": attributes.get("full_name"),
                "email": attributes.get("email"),
                "given_name": attributes.get("first_name"),
                "family_name": attributes.get("last_name"),
                "last_name": attributes.get("last_name"),
                "picture": attributes.get("image_url"),
            },
            raw={},
        )


class FacebookProvider(FixedEndpoints):
    """``facebook``: Graph ``/me`` with ``appsecret_proof``; an e-mail counts as verified."""

    auth_endpoint = "https://facebook.com/dialog/oauth"
    token_endpoint = "https://graph.facebook.com/oauth/access_token"

    def scopes(self) -> list[str]:
        scopes = list(self.config.scope)
        return scopes if "openid" in scopes else [*scopes, "openid"]

    def app_secret_proof(self, token: Token) -> str:
        key = (self.config.client_secret or "").encode()
        return hmac.new(
            key, str(token.get("access_token", "")).encode(), hashlib.sha256
        ).hexdigest()

    async def claims(self, token: Token, query: Mapping[str, str]) -> Claims:
        url = (
            "https://graph.facebook.com/me?fields=id,name,first_name,last_name,middle_name,"
            f"email,picture,birthday,gender&appsecret_proof={self.app_secret_proof(token)}"
        )
        user = _obj(await self.get_json(url, token=token))
        picture = ((user.get("picture") or {}).get("data") or {}).get("url")
        return make_claims(
            {
                "iss": url,
                "sub": user.get("id"),
                "name": user.get("name"),
                "given_name": user.get("first_name"),
                "family_name": user.get("last_name"),
                "middle_name": user.get("middle_name"),
                "nickname": user.get("name"),
                "preferred_username": user.get("name"),
                "picture": picture,
                "email": user.get("email"),
                "email_verified": bool(user.get("email")),
                "gender": user.get("gender"),
                "birthdate": user.get("birthday"),
            },
            raw={},
        )


class AmazonProvider(FixedEndpoints):
    """``amazon``: Login with Amazon; only its scopes, no PKCE discovery (``pkce: auto``
    is refused), the profile API with ``x-amz-access-token``."""

    auth_endpoint = "https://www.amazon.com/ap/oa"
    token_endpoint = "https://api.amazon.com/auth/o2/token"
    supported_scopes = ("profile", "profile:user_id", "postal_code")
    profile_url = "https://api.amazon.com/user/profile"

    async def endpoints(self) -> tuple[str, str]:
        for scope in self.config.scope:
            if scope not in self.supported_scopes:
                raise MisconfigurationError(
                    f"scope {scope} not supported. Supported: {list(self.supported_scopes)}"
                )
        if self.config.pkce == "auto":
            raise MisconfigurationError(
                "pkce:auto is not supported because Amazon does not support PKCE discovery"
            )
        return await super().endpoints()

    async def claims(self, token: Token, query: Mapping[str, str]) -> Claims:
        profile = _obj(
            await self.get_json(
                self.profile_url,
                token=token,
                headers={"x-amz-access-token": str(token.get("access_token", ""))},
            )
        )
        return make_claims(
            {
                "sub": profile.get("user_id"),
                "iss": self.token_endpoint,
                "name": profile.get("name"),
                "email": profile.get("email"),
                "zoneinfo": profile.get("postal_code"),
            },
            raw={},
        )


class DingTalkProvider(FixedEndpoints):
    """``dingtalk``: ``prompt=consent``; a JSON token request; ``contact/users/me``."""

    auth_endpoint = "https://login.dingtalk.com/oauth2/auth"
    token_endpoint = "https://api.dingtalk.com/v1.0/oauth2/userAccessToken"

    def auth_params(self, refresh: bool) -> dict[str, str]:
        return {"prompt": "consent"}

    async def exchange(
        self, code: str, code_verifier: str | None, query: Mapping[str, str]
    ) -> Token:
        body = {
            "clientId": self.config.client_id,
            "clientSecret": self.config.client_secret or "",
            "code": code,
            "grantType": "authorization_code",
        }
        try:
            async with self.http() as client:
                response = await client.post(
                    self.token_endpoint,
                    json=body,
                    headers={"Content-Type": "application/json;charset=UTF-8"},
                )
            data = _obj(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            raise BadGatewayError(f"dingtalk: unable to exchange the code: {exc}") from exc
        if data.get("code") not in (None, 0, "0") or not data.get("accessToken"):
            raise BadGatewayError(
                f"dingtalk: userAccessToken failed: {data.get('code')} {data.get('message')}"
            )
        return {"access_token": data["accessToken"], "expires_in": data.get("expireIn")}

    async def claims(self, token: Token, query: Mapping[str, str]) -> Claims:
        url = "https://api.dingtalk.com/v1.0/contact/users/me"
        user = _obj(
            await self.get_json(
                url, headers={"x-acs-dingtalk-access-token": str(token.get("access_token", ""))}
            )
        )
        if user.get("message"):
            raise BadGatewayError(f"dingtalk: {user.get('code')} {user.get('message')}")
        return make_claims(
            {
                "iss": url,
                "sub": user.get("openId"),
                "nickname": user.get("nick"),
                "name": user.get("nick"),
                "picture": user.get("avatarUrl"),
                "email": user.get("email"),
            },
            raw={},
        )


class LarkProvider(FixedEndpoints):
    """``lark`` (Feishu): client credentials in the token request body, ``userinfo``."""

    auth_endpoint = "https://passport.feishu.cn/suite/passport/oauth/authorize"
    token_endpoint = "https://passport.feishu.cn/suite/passport/oauth/token"
    token_auth_method = "client_secret_post"
    userinfo = "https://passport.feishu.cn/suite/passport/oauth/userinfo"

    async def claims(self, token: Token, query: Mapping[str, str]) -> Claims:
        user = _obj(await self.get_json(self.userinfo, token=token))
        return make_claims(
            {
                "iss": self.userinfo,
                "sub": user.get("open_id"),
                "name": user.get("name"),
                "nickname": user.get("name"),
                "picture": user.get("avatar_url"),
                "email": user.get("email"),
                "phone_number": user.get("mobile"),
            },
            raw={},
        )


class LinkedInProvider(FixedEndpoints):
    """``linkedin`` (the v2 REST API): profile and primary e-mail address."""

    auth_endpoint = "https://www.linkedin.com/oauth/v2/authorization"
    token_endpoint = "https://www.linkedin.com/oauth/v2/accessToken"
    token_auth_method = "client_secret_post"
    profile_url = (
        "https://api.linkedin.com/v2/me?projection=(id,localizedFirstName,localizedLastName,"
        "profilePicture(displayImage~digitalmediaAsset:playableStreams))"
    )
    email_url = "https://api.linkedin.com/v2/emailAddress?q=members&projection=(elements*(handle~))"

    @staticmethod
    def profile_picture(profile: Mapping[str, Any]) -> str:
        elements = (((profile.get("profilePicture") or {}).get("displayImage~")) or {}).get(
            "elements"
        ) or []
        if not elements:
            return ""
        identifiers = elements[min(len(elements), 3) - 1].get("identifiers") or []
        return str(identifiers[0].get("identifier", "")) if identifiers else ""

    async def claims(self, token: Token, query: Mapping[str, str]) -> Claims:
        profile = _obj(await self.get_json(self.profile_url, token=token))
        email = _obj(await self.get_json(self.email_url, token=token))
        elements = email.get("elements") or [{}]
        return make_claims(
            {
                "sub": profile.get("id"),
                "iss": "https://login.linkedin.com/",
                "email": ((elements[0] or {}).get("handle~") or {}).get("emailAddress"),
                "given_name": profile.get("localizedFirstName"),
                "last_name": profile.get("localizedLastName"),
                "picture": self.profile_picture(profile),
            },
            raw={},
        )
