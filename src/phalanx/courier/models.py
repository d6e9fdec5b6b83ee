"""Template models: which data each Kratos template receives, under which names.

Kratos passes a Go struct per template (``courier/template/email/*.go``,
``courier/template/sms/*.go``). Go templates see the *field* names (``.RecoveryCode``);
the JSON stored in ``template_data`` and shown to the HTTP channel uses the *json tags*
(``recovery_code``). :func:`normalize` builds the stored JSON with every field present
(Go zero values: ``""``, ``null``, ``0``) and :func:`render_context` exposes each field to
Jinja under its Go name, its JSON name and the snake_case of its Go name.

One Kratos quirk is kept on purpose: the SMS ``recovery_code_valid`` model stores the
code under the JSON key ``verification_code`` (its Go name is still ``RecoveryCode``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from phalanx.courier.message import MessageType, TemplateType

__all__ = ["ModelField", "model_fields", "normalize", "render_context", "snake_case"]


@dataclass(frozen=True, slots=True)
class ModelField:
    """One field of a template model: JSON key, Go field name and Go zero value."""

    json: str
    go: str
    zero: Any = ""


_TO = ModelField("to", "To")
_REQUEST_URL = ModelField("request_url", "RequestURL")
_TRANSIENT = ModelField("transient_payload", "TransientPayload", None)
_IDENTITY = ModelField("identity", "Identity", None)
_EXPIRES = ModelField("expires_in_minutes", "ExpiresInMinutes", 0)
_INVALID = (_TO, _REQUEST_URL, _TRANSIENT)


def _valid(*fields: ModelField, identity: bool = True) -> tuple[ModelField, ...]:
    head = (_TO, *fields, _IDENTITY) if identity else (_TO, *fields)
    return (*head, _REQUEST_URL, _TRANSIENT, _EXPIRES)


_EMAIL: dict[TemplateType, tuple[ModelField, ...]] = {
    TemplateType.RECOVERY_INVALID: _INVALID,
    TemplateType.RECOVERY_CODE_INVALID: _INVALID,
    TemplateType.VERIFICATION_INVALID: _INVALID,
    TemplateType.VERIFICATION_CODE_INVALID: _INVALID,
    TemplateType.REGISTRATION_CODE_INVALID: _INVALID,
    TemplateType.RECOVERY_VALID: _valid(ModelField("recovery_url", "RecoveryURL")),
    TemplateType.RECOVERY_CODE_VALID: _valid(ModelField("recovery_code", "RecoveryCode")),
    TemplateType.VERIFICATION_VALID: _valid(ModelField("verification_url", "VerificationURL")),
    TemplateType.VERIFICATION_CODE_VALID: _valid(
        ModelField("verification_url", "VerificationURL"),
        ModelField("verification_code", "VerificationCode"),
    ),
    TemplateType.LOGIN_CODE_VALID: _valid(ModelField("login_code", "LoginCode")),
    TemplateType.REGISTRATION_CODE_VALID: _valid(
        ModelField("traits", "Traits", None),
        ModelField("registration_code", "RegistrationCode"),
        identity=False,
    ),
    TemplateType.LOCKOUT_VALID: (_TO, ModelField("locked_for_minutes", "LockedForMinutes", 0)),
    TemplateType.STUB: (
        _TO,
        ModelField("subject", "Subject"),
        ModelField("body", "Body"),
        ModelField("html_body", "HTMLBody"),
    ),
}

_SMS: dict[TemplateType, tuple[ModelField, ...]] = {
    TemplateType.VERIFICATION_CODE_VALID: _valid(
        ModelField("verification_code", "VerificationCode")
    ),
    TemplateType.RECOVERY_CODE_VALID: (
        _TO,
        ModelField("verification_code", "RecoveryCode"),
        _IDENTITY,
        _REQUEST_URL,
        ModelField("request_url_domain", "RequestURLDomain"),
        _TRANSIENT,
        _EXPIRES,
    ),
    TemplateType.LOGIN_CODE_VALID: _valid(ModelField("login_code", "LoginCode")),
    TemplateType.REGISTRATION_CODE_VALID: _valid(
        ModelField("registration_code", "RegistrationCode")
    ),
    TemplateType.STUB: (_TO, ModelField("body", "Body"), _IDENTITY),
}

_ACRONYMS = re.compile(r"(URL|HTML|ID)")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake_case(go_name: str) -> str:
    """``RequestURLDomain`` -> ``request_url_domain``, ``HTMLBody`` -> ``html_body``."""
    spaced = _ACRONYMS.sub(lambda m: m.group(1).capitalize(), go_name)
    return _CAMEL.sub("_", spaced).lower()


def model_fields(kind: MessageType, template_type: TemplateType) -> tuple[ModelField, ...]:
    """The model of ``template_type`` for e-mail or SMS; ``ValueError`` if Kratos has none."""
    table = _EMAIL if kind is MessageType.EMAIL else _SMS
    try:
        return table[template_type]
    except KeyError:
        raise ValueError(
            f"received unexpected message template type: {template_type} ({kind})"
        ) from None


def normalize(
    kind: MessageType, template_type: TemplateType, data: Mapping[str, Any]
) -> dict[str, Any]:
    """The ``template_data`` JSON for ``data`` (keys by JSON, Go or snake_case name).

    Missing fields get their Go zero value; an unknown key raises ``ValueError`` so a
    typo in a flow fails loudly instead of rendering an empty code. The SMS recovery
    model derives ``request_url_domain`` from ``request_url`` like Kratos's code sender.
    """
    fields = model_fields(kind, template_type)
    aliases: dict[str, ModelField] = {}
    for f in fields:
        for name in (f.json, f.go, snake_case(f.go)):
            aliases.setdefault(name, f)
    out: dict[str, Any] = {f.json: f.zero for f in fields}
    for key, value in data.items():
        target = aliases.get(key)
        if target is None:
            raise ValueError(f"template {template_type} ({kind}) has no field {key!r}")
        out[target.json] = value
    if "request_url_domain" in out and not out["request_url_domain"] and out["request_url"]:
        out["request_url_domain"] = urlsplit(str(out["request_url"])).hostname or ""
    return out


def render_context(
    kind: MessageType, template_type: TemplateType, template_data: Mapping[str, Any]
) -> dict[str, Any]:
    """Template variables: every field under its Go, JSON and snake_case names."""
    context: dict[str, Any] = {}
    for f in model_fields(kind, template_type):
        value = template_data.get(f.json, f.zero)
        for name in (f.go, f.json, snake_case(f.go)):
            context.setdefault(name, value)
    return context
