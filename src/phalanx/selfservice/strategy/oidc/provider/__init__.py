"""Upstream providers by ``providers[].provider`` name (Kratos ``supportedProviders``)."""

from __future__ import annotations

from phalanx.config.model_methods import OIDCProvider
from phalanx.errors import MisconfigurationError
from phalanx.selfservice.strategy.oidc.provider import generic, presets, x
from phalanx.selfservice.strategy.oidc.provider.base import Provider, ProviderContext

__all__ = ["PROVIDER_TYPES", "Provider", "ProviderContext", "build_provider"]

PROVIDER_TYPES: dict[str, type[Provider]] = {
    "generic": generic.GenericProvider,
    "google": generic.GoogleProvider,
    "microsoft": generic.MicrosoftProvider,
    "apple": generic.AppleProvider,
    "linkedin_v2": generic.LinkedInV2Provider,
    "netid": generic.NetIDProvider,
    "line": generic.LineProvider,
    "jackson": generic.JacksonProvider,
    "github": presets.GitHubProvider,
    "github-app": presets.GitHubAppProvider,
    "gitlab": presets.GitLabProvider,
    "auth0": presets.Auth0Provider,
    "salesforce": presets.SalesforceProvider,
    "discord": presets.DiscordProvider,
    "slack": presets.SlackProvider,
    "spotify": presets.SpotifyProvider,
    "vk": presets.VKProvider,
    "yandex": presets.YandexProvider,
    "patreon": presets.PatreonProvider,
    "facebook": presets.FacebookProvider,
    "amazon": presets.AmazonProvider,
    "dingtalk": presets.DingTalkProvider,
    "lark": presets.LarkProvider,
    "linkedin": presets.LinkedInProvider,
    "x": x.XProvider,
}


def build_provider(
    config: OIDCProvider, context: ProviderContext, *, generic_id_token: bool = False
) -> Provider:
    """The provider object for one ``providers[]`` entry. ``generic_id_token``
    (``phalanx.oidc.generic_id_token``) lets ``generic`` providers verify native id_tokens."""
    kind = PROVIDER_TYPES.get(config.provider)
    if kind is None:
        raise MisconfigurationError(
            f"provider type {config.provider} is not supported, supported are: "
            f"{sorted(PROVIDER_TYPES)}"
        )
    provider = kind(config, context)
    if generic_id_token and kind is generic.GenericProvider:
        provider.verifies_id_tokens = True  # type: ignore[misc]
    return provider
