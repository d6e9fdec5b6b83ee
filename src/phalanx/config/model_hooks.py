"""Self-service hooks and the HTTP request configs they share with the courier.

Mirrors the ``selfService*Hook``, ``selfServiceWebHook``, ``webHookAuth*`` and
``httpRequestConfig`` definitions of the Kratos v25.4 config schema. Which hooks may
appear where is encoded in the ``*Hook`` unions at the bottom: the schema allows, for
example, ``session`` only after registration and ``revoke_active_sessions`` only after
login, recovery and settings methods.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from phalanx.config.base import Strict, Uri

__all__ = [
    "DEFAULT_HTTP_BODY",
    "ApiKeyAuth",
    "ApiKeyAuthConfig",
    "B2BHook",
    "BasicAuth",
    "BasicAuthConfig",
    "GenericHook",
    "Hook",
    "HttpRequestConfig",
    "LoginHook",
    "LoginOIDCHook",
    "RecoveryAfterHook",
    "RegistrationMethodHook",
    "RequireVerifiedAddressHook",
    "RevokeActiveSessionsHook",
    "SessionHook",
    "SettingsMethodHook",
    "SettingsProfileHook",
    "ShowVerificationUIHook",
    "VerificationHook",
    "WebHook",
    "WebHookAuth",
    "WebHookConfig",
    "WebHookResponse",
]

DEFAULT_HTTP_BODY = (
    "base64://ZnVuY3Rpb24oY3R4KSB7CiAgcmVjaXBpZW50OiBjdHgucmVjaXBpZW50LAogIHRlbXBsYXRlX3R5cGU6"
    "IGN0eC50ZW1wbGF0ZV90eXBlLAogIHRvOiBpZiAidGVtcGxhdGVfZGF0YSIgaW4gY3R4ICYmICJ0byIgaW4gY3R4"
    "LnRlbXBsYXRlX2RhdGEgdGhlbiBjdHgudGVtcGxhdGVfZGF0YS50byBlbHNlIG51bGwsCiAgcmVjb3ZlcnlfY29k"
    "ZTogaWYgInRlbXBsYXRlX2RhdGEiIGluIGN0eCAmJiAicmVjb3ZlcnlfY29kZSIgaW4gY3R4LnRlbXBsYXRlX2Rh"
    "dGEgdGhlbiBjdHgudGVtcGxhdGVfZGF0YS5yZWNvdmVyeV9jb2RlIGVsc2UgbnVsbCwKICByZWNvdmVyeV91cmw6"
    "IGlmICJ0ZW1wbGF0ZV9kYXRhIiBpbiBjdHggJiYgInJlY292ZXJ5X3VybCIgaW4gY3R4LnRlbXBsYXRlX2RhdGEg"
    "dGhlbiBjdHgudGVtcGxhdGVfZGF0YS5yZWNvdmVyeV91cmwgZWxzZSBudWxsLAogIHZlcmlmaWNhdGlvbl91cmw6"
    "IGlmICJ0ZW1wbGF0ZV9kYXRhIiBpbiBjdHggJiYgInZlcmlmaWNhdGlvbl91cmwiIGluIGN0eC50ZW1wbGF0ZV9k"
    "YXRhIHRoZW4gY3R4LnRlbXBsYXRlX2RhdGEudmVyaWZpY2F0aW9uX3VybCBlbHNlIG51bGwsCiAgdmVyaWZpY2F0"
    "aW9uX2NvZGU6IGlmICJ0ZW1wbGF0ZV9kYXRhIiBpbiBjdHggJiYgInZlcmlmaWNhdGlvbl9jb2RlIiBpbiBjdHgu"
    "dGVtcGxhdGVfZGF0YSB0aGVuIGN0eC50ZW1wbGF0ZV9kYXRhLnZlcmlmaWNhdGlvbl9jb2RlIGVsc2UgbnVsbCwK"
    "ICBzdWJqZWN0OiBjdHguc3ViamVjdCwKICBib2R5OiBjdHguYm9keQp9Cg=="
)
"""The courier's default jsonnet request body (schema default of ``httpRequestConfig.body``)."""

_HTTP_URL = re.compile(r"^https?://")
_BODY_URL = re.compile(r"^(http|https|file|base64)://")


def _http_url(value: str) -> str:
    if not _HTTP_URL.match(value):
        raise ValueError(f'invalid URL "{value}" (expected http:// or https://)')
    return value


def _body_url(value: str) -> str:
    if not _BODY_URL.match(value):
        raise ValueError(
            f'invalid body "{value}" (expected a http://, https://, file:// or base64:// URL)'
        )
    return value


class ApiKeyAuthConfig(Strict):
    """``auth.config`` for ``type: api_key``."""

    name: str
    value: str
    in_: Literal["header", "cookie"] = Field(alias="in")


class ApiKeyAuth(Strict):
    """Send an API key in a header or cookie."""

    type: Literal["api_key"]
    config: ApiKeyAuthConfig


class BasicAuthConfig(Strict):
    """``auth.config`` for ``type: basic_auth``."""

    user: str
    password: str


class BasicAuth(Strict):
    """HTTP basic authentication."""

    type: Literal["basic_auth"]
    config: BasicAuthConfig


WebHookAuth = Annotated[ApiKeyAuth | BasicAuth, Field(discriminator="type")]


class HttpRequestConfig(Strict):
    """``httpRequestConfig``: courier HTTP delivery and SMS channels."""

    url: Annotated[str, AfterValidator(_http_url)] | None = None
    method: str = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    body: Annotated[str, AfterValidator(_body_url)] = DEFAULT_HTTP_BODY
    auth: WebHookAuth | None = None


class WebHookResponse(Strict):
    """``web_hook`` ``config.response``: run async (``ignore``) or parse the reply."""

    ignore: bool = False
    parse: bool = False

    @model_validator(mode="after")
    def _not_both(self) -> WebHookResponse:
        if self.ignore and self.parse:
            raise ValueError("ignore and parse cannot both be true")
        return self


class WebHookConfig(Strict):
    """``web_hook`` hook ``config``."""

    id: str | None = None
    response: WebHookResponse | None = None
    url: Uri
    method: str
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = None
    can_interrupt: bool = False
    emit_analytics_event: bool = True
    auth: WebHookAuth | None = None

    @model_validator(mode="after")
    def _interrupt_needs_sync(self) -> WebHookConfig:
        if self.response is not None and self.response.ignore and self.can_interrupt:
            raise ValueError("can_interrupt cannot be true when response.ignore is true")
        return self


class WebHook(Strict):
    """``hook: web_hook``: call an HTTP endpoint."""

    hook: Literal["web_hook"]
    config: WebHookConfig


class B2BHook(Strict):
    """``hook: b2b_sso`` / ``organization`` (Ory Network only; config is opaque)."""

    hook: Literal["b2b_sso", "organization"]
    config: dict[str, Any]


class SessionHook(Strict):
    """``hook: session``: sign the new identity in after registration."""

    hook: Literal["session"]


class RevokeActiveSessionsHook(Strict):
    """``hook: revoke_active_sessions``."""

    hook: Literal["revoke_active_sessions"]


class RequireVerifiedAddressHook(Strict):
    """``hook: require_verified_address``."""

    hook: Literal["require_verified_address"]


class VerificationHook(Strict):
    """``hook: verification``."""

    hook: Literal["verification"]


class ShowVerificationUIHook(Strict):
    """``hook: show_verification_ui``."""

    hook: Literal["show_verification_ui"]


Hook = (
    WebHook
    | B2BHook
    | SessionHook
    | RevokeActiveSessionsHook
    | RequireVerifiedAddressHook
    | VerificationHook
    | ShowVerificationUIHook
)
"""Any hook; consumers dispatch on ``hook.hook``."""

_by_hook = Field(discriminator="hook")

GenericHook = Annotated[WebHook | B2BHook, _by_hook]
"""``selfServiceHooks``: before-hooks and flow-level after-hooks."""

SettingsMethodHook = Annotated[WebHook | RevokeActiveSessionsHook, _by_hook]
SettingsProfileHook = Annotated[WebHook | ShowVerificationUIHook | B2BHook, _by_hook]
RegistrationMethodHook = Annotated[
    SessionHook | WebHook | ShowVerificationUIHook | B2BHook, _by_hook
]
LoginHook = Annotated[
    RevokeActiveSessionsHook
    | RequireVerifiedAddressHook
    | WebHook
    | VerificationHook
    | ShowVerificationUIHook
    | B2BHook,
    _by_hook,
]
LoginOIDCHook = Annotated[
    RevokeActiveSessionsHook | WebHook | RequireVerifiedAddressHook | B2BHook, _by_hook
]
RecoveryAfterHook = Annotated[WebHook | RevokeActiveSessionsHook, _by_hook]
