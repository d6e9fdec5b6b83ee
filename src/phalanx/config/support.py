"""Which config keys Phalanx implements, and which keys a user set that it does not.

``serve`` logs each path ``unsupported_keys`` returns once as "not yet supported", so a
team switching from Kratos sees what would be ignored. Grow ``SUPPORTED_KEYS`` as
features land.

A pattern covers its key and everything below it; ``*`` matches one key. A set key is
not reported when it is covered, ``null``, equal to its default, or inside an object
with ``enabled: false`` (a feature switched off needs no support). An object with
``enabled: true`` is reported once as a whole (``selfservice.methods.totp``); otherwise
each set leaf is reported (``feature_flags.use_continue_with_transitions``). Keys the
model does not know (extras kept by ``Open`` objects) are always reported.
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

__all__ = ["SUPPORTED_KEYS", "is_supported", "unsupported_keys"]

SUPPORTED_KEYS: tuple[str, ...] = (
    "dsn",
    "dev",
    "watch-courier",
    "sqa-opt-out",
    "config",
    "help",
    "version",
    "phalanx",
    "serve.public.host",
    "serve.public.port",
    "serve.public.base_url",
    "serve.admin.host",
    "serve.admin.port",
    "serve.admin.base_url",
    "serve.public.cors",
    "serve.admin.cors",
    "identity",
    "secrets",
    "hashers",
    "session",
    "cookies",
    "log",
    "tracing",
    "selfservice.default_browser_return_url",
    "selfservice.allowed_return_urls",
    "selfservice.flows.*.ui_url",
    "selfservice.flows.*.lifespan",
    "selfservice.flows.*.after.default_browser_return_url",
    "selfservice.flows.*.after.hooks",
    "selfservice.flows.*.after.*.default_browser_return_url",
    "selfservice.flows.*.after.*.hooks",
    "selfservice.flows.*.before.hooks",
    "clients.http",
    "clients.web_hook",
    "selfservice.flows.settings.privileged_session_max_age",
    "selfservice.flows.settings.required_aal",
    "selfservice.flows.registration.enabled",
    "selfservice.flows.registration.style",
    "selfservice.flows.registration.enable_legacy_one_step",
    "selfservice.flows.login.style",
    "security.account_enumeration",
    "selfservice.flows.recovery",
    "selfservice.flows.verification",
    "selfservice.methods.password",
    "selfservice.methods.profile",
    "selfservice.methods.code",
    "selfservice.methods.link",
    "selfservice.methods.oidc",
    "selfservice.methods.totp",
    "selfservice.methods.lookup_secret",
    "selfservice.methods.webauthn",
    "selfservice.methods.passkey",
    "ciphers",
    "courier.smtp",
    "courier.templates",
    "courier.template_override_path",
    "courier.message_retries",
    "courier.worker",
    "courier.channels",
)
"""Dotted key patterns Phalanx implements (``*`` = any one key)."""

_PATTERNS = tuple(tuple(p.split(".")) for p in SUPPORTED_KEYS)


def _seg_match(pattern: str, key: str) -> bool:
    return pattern in ("*", key)


def is_supported(path: str | Sequence[str]) -> bool:
    """True when a supported pattern covers ``path`` (the key or one of its parents)."""
    parts = tuple(path.split(".")) if isinstance(path, str) else tuple(path)
    return any(
        len(p) <= len(parts) and all(_seg_match(a, b) for a, b in zip(p, parts, strict=False))
        for p in _PATTERNS
    )


def _unwrap(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) in (Union, types.UnionType):
        members = [a for a in get_args(tp) if a is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
        return tuple(_unwrap(m) for m in members)
    return tp


def _field(model: Any, key: str) -> FieldInfo | None:
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    for name, info in model.model_fields.items():
        if (info.alias or name) == key:
            return info
    return None


def _field_name(model: type[BaseModel], key: str) -> str:
    for name, info in model.model_fields.items():
        if (info.alias or name) == key:
            return name
    return key


@cache
def _adapter(model: type[BaseModel], key: str) -> TypeAdapter[Any] | None:
    info = _field(model, key)
    if info is None:
        return None
    tp: Any = info.annotation
    if info.metadata:
        tp = Annotated[tp, *info.metadata]
    return TypeAdapter(tp)


def _is_default(model: Any, key: str, parent_default: Any, value: Any) -> bool:
    info = _field(model, key)
    if info is None:
        return False
    if isinstance(parent_default, BaseModel):
        default = getattr(parent_default, _field_name(model, key))
    else:
        default = info.get_default(call_default_factory=True)
        if default is PydanticUndefined:
            return False
    adapter = _adapter(model, key)
    if adapter is None:
        return False
    try:
        return bool(adapter.validate_python(value) == default)
    except ValidationError:
        return False


def _child(model: Any, key: str, parent_default: Any) -> tuple[Any, Any]:
    """Model class and default instance for the value under ``key``."""
    info = _field(model, key)
    if info is None:
        return None, None
    tp = _unwrap(info.annotation)
    default: Any = None
    if isinstance(parent_default, BaseModel):
        default = getattr(parent_default, _field_name(model, key), None)
    elif info.default_factory is None and info.default is not PydanticUndefined:
        default = info.default
    return tp, default


def _item_type(tp: Any) -> Any:
    """The model (or union of models) a list or dict holds, else ``None``."""
    if get_origin(tp) in (list, dict):
        args = get_args(tp)
        return _unwrap(args[-1]) if args else None
    return None


def _as_model(tp: Any, value: Any) -> Any:
    """Pick the model class for ``value`` when ``tp`` is a union of models (by ``hook``)."""
    if isinstance(tp, tuple):
        for member in tp:
            info = _field(member, "hook") or _field(member, "type")
            tag = value.get("hook", value.get("type")) if isinstance(value, Mapping) else None
            if info is not None and tag in get_args(_unwrap_literal(info.annotation)):
                return member
        return None
    return tp


def _unwrap_literal(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return tp


def _extras(value: Any, tp: Any, path: tuple[str, ...], out: list[str]) -> None:
    """Report keys unknown to the model anywhere below ``path``."""
    model = _as_model(tp, value)
    if isinstance(value, Mapping) and isinstance(model, type) and issubclass(model, BaseModel):
        for key, sub in value.items():
            info = _field(model, str(key))
            if info is None:
                if model.model_config.get("extra") == "allow":
                    out.append(".".join((*path, str(key))))
                continue
            _extras(sub, _unwrap(info.annotation), (*path, str(key)), out)
    elif isinstance(value, list) and _item_type(tp) is not None:
        for i, sub in enumerate(value):
            _extras(sub, _item_type(tp), (*path, str(i)), out)
    elif isinstance(value, Mapping) and get_origin(tp) is dict and _item_type(tp) is not None:
        for key, sub in value.items():
            _extras(sub, _item_type(tp), (*path, str(key)), out)


def _walk(
    value: Any, model: Any, default: Any, key: str, path: tuple[str, ...], out: list[str]
) -> None:
    if value is None:
        return
    tp, child_default = _child(model, key, default)
    if is_supported(path):
        _extras(value, tp, path, out)
        return
    if isinstance(value, Mapping) and value.get("enabled") is False:
        return
    if model is not None and _field(model, key) is None:
        out.append(".".join(path))  # unknown key kept by an Open object
        return
    is_object = isinstance(tp, type) and issubclass(tp, BaseModel)
    if isinstance(value, Mapping) and is_object and value.get("enabled") is not True:
        for sub_key, sub in value.items():
            _walk(sub, tp, child_default, str(sub_key), (*path, str(sub_key)), out)
        return
    if model is not None and _is_default(model, key, default, value):
        return
    out.append(".".join(path))


def unsupported_keys(raw: Mapping[str, Any]) -> list[str]:
    """Dotted paths set in ``raw`` (``Config.raw``) that Phalanx does not implement.

    Paths come in the order the keys appear; see the module doc for what is skipped.
    """
    from phalanx.config.model import Config

    out: list[str] = []
    for key, value in raw.items():
        _walk(value, Config, None, str(key), (str(key),), out)
    return out
