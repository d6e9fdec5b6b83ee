"""System errors of ``ory/kratos:text/message_system.go`` (``5000xxx``)."""

from __future__ import annotations

from phalanx.text.ids import MessageId
from phalanx.text.message import UiText, make_text

__all__ = [
    "no_authentication_methods",
    "organization_no_sso_providers",
    "system_generic",
]


def system_generic(reason: str) -> UiText:
    """5000001: ``NewErrorSystemGeneric`` -- the text is the reason."""
    return make_text(MessageId.ERROR_SYSTEM_GENERIC, reason, {"reason": reason})


def no_authentication_methods() -> UiText:
    """5000002: ``NewErrorSystemNoAuthenticationMethodsAvailable``."""
    return make_text(
        MessageId.ERROR_SYSTEM_NO_AUTHENTICATION_METHODS_AVAILABLE,
        "No authentication methods are available. Please contact the system administrator.",
    )


def organization_no_sso_providers() -> UiText:
    """5000003: ``NewErrorSystemOrganizationNoSSOProvidersAvailable``."""
    return make_text(
        MessageId.ERROR_SYSTEM_ORGANIZATION_NO_SSO_PROVIDERS_AVAILABLE,
        "Your organization requires SSO authentication, but no SSO provider is "
        "configured. Please contact the system administrator.",
    )
