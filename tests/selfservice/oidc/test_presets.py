# ruff: noqa: E501  (recorded answers read best on one line each)
"""Kratos v25.4 provider presets: authorization requests and claim mapping, checked against
recorded-shape API answers (the real services cannot be reached from the tests)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from phalanx.config.model_methods import OIDCProvider
from phalanx.errors import BadRequestError, MisconfigurationError
from phalanx.selfservice.strategy.oidc.provider import (
    PROVIDER_TYPES,
    Provider,
    ProviderContext,
    build_provider,
)

pytestmark = pytest.mark.anyio

MAPPER = "base64://e30="


def make(
    kind: str,
    routes: dict[str, Any] | None = None,
    seen: list[httpx.Request] | None = None,
    **extra: Any,
) -> Provider:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        url = str(request.url)
        for prefix, answer in (routes or {}).items():
            if url.startswith(prefix):
                return httpx.Response(200, json=answer)
        return httpx.Response(404, json={"error": "not found", "url": url})

    fields: dict[str, Any] = {
        "id": kind.replace("-", ""),
        "provider": kind,
        "client_id": "cid",
        "client_secret": "secret",
        "mapper_url": MAPPER,
    }
    fields.update(extra)
    config = OIDCProvider.model_validate(fields)
    return build_provider(
        config,
        ProviderContext("https://auth.example.com/", transport=httpx.MockTransport(handler)),
    )


def auth_query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_every_kratos_preset_is_known() -> None:
    assert set(PROVIDER_TYPES) == {
        "generic", "google", "microsoft", "apple", "linkedin_v2", "netid", "line", "jackson",
        "github", "github-app", "gitlab", "auth0", "salesforce", "discord", "slack",
        "spotify", "vk", "yandex", "patreon", "facebook", "amazon", "dingtalk", "lark",
        "linkedin", "x",
    }  # fmt: skip


FIXED = [
    ("github", "https://github.com/login/oauth/authorize", {}),
    ("github-app", "https://github.com/login/oauth/authorize", {}),
    ("discord", "https://discord.com/api/v9/oauth2/authorize", {"prompt": "none"}),
    ("slack", "https://slack.com/oauth/authorize", {}),
    ("spotify", "https://accounts.spotify.com/authorize", {}),
    ("vk", "https://oauth.vk.com/authorize", {}),
    ("yandex", "https://oauth.yandex.com/authorize", {}),
    ("patreon", "https://www.patreon.com/oauth2/authorize", {"prompt": "none"}),
    ("facebook", "https://facebook.com/dialog/oauth", {}),
    ("dingtalk", "https://login.dingtalk.com/oauth2/auth", {"prompt": "consent"}),
    ("lark", "https://passport.feishu.cn/suite/passport/oauth/authorize", {}),
    ("linkedin", "https://www.linkedin.com/oauth/v2/authorization", {}),
]


@pytest.mark.parametrize(("kind", "endpoint", "params"), FIXED)
async def test_authorization_request(kind: str, endpoint: str, params: dict[str, str]) -> None:
    provider = make(kind, scope=["email"])
    url = await provider.authorization_url(
        "st", code_verifier=None, upstream={"login_hint": "a@b.c", "evil": "x"}, refresh=False
    )
    assert url.split("?")[0] == endpoint
    query = auth_query(url)
    assert query["client_id"] == "cid" and query["state"] == "st"
    assert (
        query["redirect_uri"]
        == f"https://auth.example.com/self-service/methods/oidc/callback/{provider.id}"
    )
    assert query["login_hint"] == "a@b.c" and "evil" not in query
    for key, value in params.items():
        assert query[key] == value
    assert "code_challenge" not in query


async def test_refresh_asks_discord_and_patreon_for_consent() -> None:
    for kind in ("discord", "patreon"):
        url = await make(kind).authorization_url("s", code_verifier=None, upstream={}, refresh=True)
        assert auth_query(url)["prompt"] == "consent"


async def test_pkce_challenge_is_s256() -> None:
    url = await make("github").authorization_url(
        "s", code_verifier="v" * 43, upstream={}, refresh=False
    )
    query = auth_query(url)
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43


async def test_force_pkce_uses_the_generic_callback() -> None:
    provider = make("github", pkce="force")
    assert provider.redirect_uri == "https://auth.example.com/self-service/methods/oidc/callback"


GITHUB_USER = {
    "id": 42, "login": "octo", "name": "Octo Cat", "blog": "https://octo.blog",
    "avatar_url": "https://avatars/42", "html_url": "https://github.com/octo",
    "updated_at": "2024-01-02T03:04:05Z",
}  # fmt: skip
GITHUB_EMAILS = [
    {"email": "old@example.com", "primary": False, "verified": True},
    {"email": "octo@example.com", "primary": True, "verified": True},
]


async def test_github_claims_and_scope_check() -> None:
    seen: list[httpx.Request] = []
    routes = {
        "https://api.github.com/user/emails": GITHUB_EMAILS,
        "https://api.github.com/user": GITHUB_USER,
    }
    provider = make("github", routes, seen, scope=["user:email"])
    claims = await provider.claims({"access_token": "gho", "scope": "user:email"}, {})
    assert claims == {
        "iss": "https://github.com/login/oauth/access_token",
        "sub": "42",
        "name": "Octo Cat",
        "nickname": "octo",
        "profile": "https://github.com/octo",
        "picture": "https://avatars/42",
        "website": "https://octo.blog",
        "email": "octo@example.com",
        "email_verified": True,
        "updated_at": 1704164645,
    }
    assert seen[0].headers["authorization"] == "Bearer gho"
    with pytest.raises(BadRequestError, match="permissions were not granted"):
        await provider.claims({"access_token": "gho", "scope": "read:user"}, {})


async def test_github_app_always_reads_emails() -> None:
    routes = {
        "https://api.github.com/user/emails": GITHUB_EMAILS[:1],
        "https://api.github.com/user": GITHUB_USER,
    }
    claims = await make("github-app", routes, scope=["x"]).claims({"access_token": "t"}, {})
    assert claims["email"] == "old@example.com"


CLAIMS: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    (
        "discord",
        {"https://discord.com/api/v9/users/@me": {"id": "80351110224678912", "username": "Nelly", "discriminator": "1337", "avatar": "8342729096ea3675442027381ff50dfe", "verified": True, "email": "nelly@discord.com", "locale": "en-US"}},
        {},
        {"iss": "https://discord.com/api/v9/oauth2/", "sub": "80351110224678912", "name": "Nelly#1337", "nickname": "Nelly", "preferred_username": "Nelly", "email": "nelly@discord.com", "email_verified": True, "locale": "en-US", "picture": "https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png"},
    ),
    (
        "slack",
        {"https://slack.com/api/users.identity": {"ok": True, "user": {"name": "Sonny", "id": "U0G9QF9C6", "email": "sonny@slack.test", "image_512": "https://img/512"}, "team": {"id": "T0G9PQBBK"}}},
        {},
        {"iss": "https://slack.com/oauth/", "sub": "U0G9QF9C6", "name": "Sonny", "preferred_username": "Sonny", "nickname": "Sonny", "email": "sonny@slack.test", "email_verified": True, "picture": "https://img/512", "team": "T0G9PQBBK"},
    ),
    (
        "spotify",
        {"https://api.spotify.com/v1/me": {"id": "wizzler", "display_name": "JM Wizzler", "email": "w@spotify.test", "images": [{"url": "https://i/1"}], "external_urls": {"spotify": "https://open.spotify.com/user/wizzler"}}},
        {},
        {"sub": "wizzler", "iss": "https://accounts.spotify.com/api/token", "name": "JM Wizzler", "nickname": "JM Wizzler", "email": "w@spotify.test", "picture": "https://i/1", "profile": "https://open.spotify.com/user/wizzler"},
    ),
    (
        "vk",
        {"https://api.vk.com/method/users.get": {"response": [{"id": 210700286, "first_name": "Lindsey", "last_name": "Stirling", "nickname": "ls", "photo_200": "https://vk/p", "sex": 1, "bdate": "21.9.1986"}]}},
        {"email": "l@vk.test"},
        {"iss": "https://api.vk.com/method/users.get", "sub": "210700286", "given_name": "Lindsey", "family_name": "Stirling", "nickname": "ls", "picture": "https://vk/p", "email": "l@vk.test", "gender": "female", "birthdate": "21.9.1986"},
    ),
    (
        "yandex",
        {"https://login.yandex.ru/info": {"id": "1000034426", "first_name": "Ivan", "last_name": "Ivanov", "default_email": "ivan@yandex.ru", "default_avatar_id": "131652443", "is_avatar_empty": False, "sex": "male", "birthday": "1987-03-12"}},
        {},
        {"iss": "https://login.yandex.ru/info", "sub": "1000034426", "given_name": "Ivan", "family_name": "Ivanov", "picture": "https://avatars.yandex.net/get-yapic/131652443/islands-200", "email": "ivan@yandex.ru", "gender": "male", "birthdate": "1987-03-12"},
    ),
    (
        "patreon",
        {"https://www.patreon.com/api/oauth2/v2/identity": {"data": {"id": "123", "type": "user", "attributes": {"email": "p@patreon.test", "first_name": "Pat", "last_name": "Reon", "full_name": "Pat Reon", "image_url": "https://p/i"}}}},
        {},
        {"iss": "https://www.patreon.com/", "sub": "123", "name": "Pat Reon", "email": "p@patreon.test", "given_name": "Pat", "family_name": "Reon", "last_name": "Reon", "picture": "https://p/i"},
    ),
    (
        "amazon",
        {"https://api.amazon.com/user/profile": {"user_id": "amzn1.account.K2", "email": "a@amazon.test", "name": "Amy", "postal_code": "98101"}},
        {},
        {"sub": "amzn1.account.K2", "iss": "https://api.amazon.com/auth/o2/token", "name": "Amy", "email": "a@amazon.test", "zoneinfo": "98101"},
    ),
    (
        "lark",
        {"https://passport.feishu.cn/suite/passport/oauth/userinfo": {"open_id": "ou_1", "name": "Lark User", "avatar_url": "https://l/a", "email": "u@lark.test", "mobile": "+8613800000000"}},
        {},
        {"iss": "https://passport.feishu.cn/suite/passport/oauth/userinfo", "sub": "ou_1", "name": "Lark User", "nickname": "Lark User", "picture": "https://l/a", "email": "u@lark.test", "phone_number": "+8613800000000"},
    ),
    (
        "dingtalk",
        {"https://api.dingtalk.com/v1.0/contact/users/me": {"nick": "Ding", "openId": "o1", "avatarUrl": "https://d/a", "email": "d@ding.test"}},
        {},
        {"iss": "https://api.dingtalk.com/v1.0/contact/users/me", "sub": "o1", "nickname": "Ding", "name": "Ding", "picture": "https://d/a", "email": "d@ding.test"},
    ),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "routes", "token_extra", "expected"), CLAIMS)
async def test_claims_from_recorded_answers(
    kind: str, routes: dict[str, Any], token_extra: dict[str, Any], expected: dict[str, Any]
) -> None:
    extra: dict[str, Any] = {}
    if kind == "amazon":
        extra = {"pkce": "never", "scope": ["profile"]}
    provider = make(kind, routes, **extra)
    token = {"access_token": "tok", "scope": "", **token_extra}
    assert await provider.claims(token, {}) == expected


async def test_facebook_signs_with_appsecret_proof() -> None:
    seen: list[httpx.Request] = []
    routes = {"https://graph.facebook.com/me": {"id": "10", "name": "Fay", "first_name": "Fay", "last_name": "Book", "email": "f@fb.test", "picture": {"data": {"url": "https://fb/p"}}}}  # fmt: skip
    claims = await make("facebook", routes, seen).claims({"access_token": "tok"}, {})
    proof = hmac.new(b"secret", b"tok", hashlib.sha256).hexdigest()  # HMAC(client secret)
    assert parse_qs(seen[0].url.query.decode())["appsecret_proof"] == [proof]
    assert claims["email"] == "f@fb.test" and claims["email_verified"] is True
    assert claims["picture"] == "https://fb/p" and claims["sub"] == "10"


async def test_issuer_based_presets() -> None:
    for kind, issuer, auth, userinfo in [
        ("gitlab", "https://gitlab.example.com", "/oauth/authorize", "/oauth/userinfo"),
        ("auth0", "https://tenant.auth0.com", "/authorize", "/userinfo"),
        ("salesforce", "https://login.salesforce.com", "/services/oauth2/authorize", "/services/oauth2/userinfo"),
    ]:  # fmt: skip
        answer = {"sub": "u1", "email": "u@x.test", "updated_at": "2024-01-02T03:04:05Z"}
        provider = make(kind, {issuer + userinfo: answer}, issuer_url=issuer)
        url = await provider.authorization_url("s", code_verifier=None, upstream={}, refresh=False)
        assert url.startswith(issuer + auth + "?")
        claims = await provider.claims({"access_token": "t"}, {})
        assert claims == {"iss": issuer, "sub": "u1", "email": "u@x.test", "updated_at": 1704164645}


async def test_gitlab_defaults_to_gitlab_com() -> None:
    url = await make("gitlab").authorization_url(
        "s", code_verifier=None, upstream={}, refresh=False
    )
    assert url.startswith("https://gitlab.com/oauth/authorize?")


async def test_microsoft_needs_a_tenant_and_uses_its_endpoints() -> None:
    with pytest.raises(ValueError):
        make("microsoft")
    provider = make("microsoft", microsoft_tenant="common")
    url = await provider.authorization_url("s", code_verifier=None, upstream={}, refresh=True)
    assert url.startswith("https://login.microsoftonline.com/common/oauth2/v2.0/authorize?")
    query = auth_query(url)
    assert "openid" in query["scope"].split() and query["prompt"] == "login"


async def test_google_offline_access_and_requested_claims() -> None:
    discovery = {
        "issuer": "https://accounts.google.com",
        "authorization_endpoint": "https://accounts.google.com/o/oauth2/v2/auth",
        "token_endpoint": "https://oauth2.googleapis.com/token",
        "jwks_uri": "https://www.googleapis.com/oauth2/v3/certs",
    }
    provider = make(
        "google",
        {"https://accounts.google.com/.well-known/openid-configuration": discovery},
        scope=["email", "offline_access"],
        requested_claims={"id_token": {"email": {"essential": True}}},
    )
    url = await provider.authorization_url(
        "s", code_verifier=None, upstream={"hd": "x.com"}, refresh=False
    )
    query = auth_query(url)
    assert url.startswith("https://accounts.google.com/o/oauth2/v2/auth?")
    assert query["scope"].split() == ["email", "openid"]
    assert query["access_type"] == "offline" and query["hd"] == "x.com"
    assert json.loads(query["claims"]) == {"id_token": {"email": {"essential": True}}}
    assert provider.verifies_id_tokens and provider.can_skip_nonce({"sub": "1"})


async def test_amazon_refuses_unknown_scopes_and_pkce_auto() -> None:
    with pytest.raises(MisconfigurationError, match="not supported"):
        await make("amazon", scope=["email"], pkce="never").endpoints()
    with pytest.raises(MisconfigurationError, match="pkce:auto"):
        await make("amazon", scope=["profile"]).endpoints()


def test_apple_client_secret_is_an_es256_jwt() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from joserfc import jwt
    from joserfc.jwk import ECKey

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    provider = make(
        "apple",
        client_secret=None,
        apple_team_id="TEAM",
        apple_private_key_id="KID",
        apple_private_key=pem,
        scope=["email", "name"],
    )
    token = jwt.decode(provider.client_secret() or "", ECKey.import_key(pem))
    assert token.header["alg"] == "ES256" and token.header["kid"] == "KID"
    assert token.claims["iss"] == "TEAM" and token.claims["sub"] == "cid"
    assert token.claims["aud"] == ["https://appleid.apple.com"]
    assert provider.auth_params(False) == {"response_mode": "form_post"}
    assert provider.can_skip_nonce({"nonce_supported": True})
    assert not provider.can_skip_nonce({})


def test_apple_user_query_fills_names() -> None:
    from phalanx.selfservice.strategy.oidc.provider.generic import decode_apple_user

    claims: dict[str, Any] = {"sub": "1"}
    decode_apple_user('{"name":{"firstName":"Ann","lastName":"Apple"}}', claims)
    assert claims == {"sub": "1", "given_name": "Ann", "last_name": "Apple", "family_name": "Apple"}


def test_linkedin_profile_picture() -> None:
    from phalanx.selfservice.strategy.oidc.provider.presets import LinkedInProvider

    profile = {"profilePicture": {"displayImage~": {"elements": [
        {"identifiers": [{"identifier": f"https://img/{i}"}]} for i in range(5)
    ]}}}  # fmt: skip
    assert LinkedInProvider.profile_picture(profile) == "https://img/2"
    assert LinkedInProvider.profile_picture({}) == ""


async def test_upstream_errors_are_502() -> None:
    from phalanx.errors import BadGatewayError

    with pytest.raises(BadGatewayError):
        await make("spotify").claims({"access_token": "t", "scope": ""}, {})


def test_generic_id_token_only_when_configured() -> None:
    config = OIDCProvider.model_validate(
        {
            "id": "g",
            "provider": "generic",
            "client_id": "c",
            "client_secret": "s",
            "mapper_url": MAPPER,
            "issuer_url": "https://idp.example",
        }
    )
    ctx = ProviderContext("https://a.example")
    assert not build_provider(config, ctx).verifies_id_tokens
    assert build_provider(config, ctx, generic_id_token=True).verifies_id_tokens


async def test_x_speaks_oauth1() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        url = str(request.url)
        if url.endswith("/oauth/request_token"):
            body = "oauth_token=req&oauth_token_secret=rs&oauth_callback_confirmed=true"
            return httpx.Response(200, text=body)
        if url.endswith("/oauth/access_token"):
            return httpx.Response(200, text="oauth_token=acc&oauth_token_secret=as&user_id=7")
        if "verify_credentials" in url:
            user = {"id_str": "7", "name": "Ex", "screen_name": "ex", "email": "x@x.test"}
            return httpx.Response(200, json=user)
        return httpx.Response(404)

    config = OIDCProvider.model_validate(
        {
            "id": "x",
            "provider": "x",
            "client_id": "ck",
            "client_secret": "cs",
            "mapper_url": MAPPER,
            "scope": ["email"],
        }
    )
    provider = build_provider(
        config, ProviderContext("https://a.example", transport=httpx.MockTransport(handler))
    )
    url = await provider.authorization_url("st", code_verifier=None, upstream={}, refresh=False)
    assert url == "https://api.twitter.com/oauth/authenticate?oauth_token=req"
    signed = seen[0].headers["authorization"]
    assert signed.startswith("OAuth ") and 'oauth_consumer_key="ck"' in signed
    assert "state%3Dst" in signed and "code%3Dunused" in signed  # the callback carries both
    token = await provider.exchange("unused", None, {"oauth_token": "req", "oauth_verifier": "v"})
    assert token["oauth_token"] == "acc"
    claims = await provider.claims(token, {})
    assert claims == {
        "iss": "https://api.twitter.com/1.1/account/verify_credentials.json?include_email=true",
        "sub": "7",
        "name": "Ex",
        "email": "x@x.test",
        "preferred_username": "ex",
    }
    assert 'oauth_token="acc"' in seen[-1].headers["authorization"]


async def test_provider_calls_go_through_the_ssrf_guard() -> None:
    """With ``clients.http.disallow_private_ip_ranges``, discovery and API calls to a
    non-public address are refused (Kratos's HTTP client does the same)."""
    from phalanx.errors import BadGatewayError
    from phalanx.outbound import AddressGuard

    config = OIDCProvider.model_validate(
        {
            "id": "g",
            "provider": "generic",
            "client_id": "c",
            "client_secret": "s",
            "mapper_url": MAPPER,
            "issuer_url": "http://127.0.0.1:9/",
        }
    )
    guarded = build_provider(config, ProviderContext("https://a.example", guard=AddressGuard()))
    with pytest.raises(MisconfigurationError, match="non-public address"):
        await guarded.discovery()
    with pytest.raises(BadGatewayError, match="non-public address"):
        await guarded.get_json("http://10.0.0.1/userinfo", token={"access_token": "t"})
