"""``unsupported_keys``: what a user set that Phalanx does not implement (yet)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from phalanx.config import is_supported, load_config, unsupported_keys

KRATOS_QUICKSTART = """
version: v0.13.0
dsn: memory
serve:
  public:
    base_url: http://127.0.0.1:4433/
    cors:
      enabled: true
  admin:
    base_url: http://kratos:4434/
selfservice:
  default_browser_return_url: http://127.0.0.1:4455/
  allowed_return_urls: [http://127.0.0.1:4455]
  methods:
    password: {enabled: true}
    totp: {enabled: true, config: {issuer: Kratos}}
    lookup_secret: {enabled: false}
    webauthn: {enabled: false}
    oidc:
      enabled: false
      config: {providers: []}
    code: {enabled: true, passwordless_enabled: false}
  flows:
    error: {ui_url: http://127.0.0.1:4455/error}
    settings:
      ui_url: http://127.0.0.1:4455/settings
      privileged_session_max_age: 15m
      required_aal: highest_available
    recovery: {enabled: true, ui_url: http://127.0.0.1:4455/recovery, use: code}
    verification:
      enabled: true
      ui_url: http://127.0.0.1:4455/verification
      use: code
      after: {default_browser_return_url: http://127.0.0.1:4455/}
    logout:
      after: {default_browser_return_url: http://127.0.0.1:4455/login}
    login: {ui_url: http://127.0.0.1:4455/login, lifespan: 10m, style: identifier_first}
    registration:
      lifespan: 10m
      ui_url: http://127.0.0.1:4455/registration
      after:
        password:
          hooks: [{hook: session}, {hook: show_verification_ui}]
log: {level: debug, format: text, leak_sensitive_values: true}
secrets:
  cookie: [PLEASE-CHANGE-ME-I-AM-VERY-INSECURE]
  cipher: [32-LONG-SECRET-NOT-SECURE-AT-ALL]
ciphers: {algorithm: xchacha20-poly1305}
hashers: {algorithm: bcrypt, bcrypt: {cost: 8}}
identity:
  default_schema_id: default
  schemas: [{id: default, url: "file:///etc/config/kratos/identity.schema.json"}]
courier:
  delivery_strategy: smtp
  smtp: {connection_uri: "smtps://test:test@mailslurper:1025/?skip_ssl_verify=true"}
feature_flags:
  use_continue_with_transitions: true
  cacheable_sessions: false
security:
  account_enumeration: {mitigate: false}
  mitgate_typo: true
tracing:
  provider: jaeger
"""


def _load(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> Any:
    path = tmp_path / "kratos.yml"
    path.write_text(text)
    return load_config([path], env=env or {})


def test_quickstart_config(tmp_path: Path) -> None:
    cfg = _load(tmp_path, KRATOS_QUICKSTART)
    assert unsupported_keys(cfg.raw) == [
        "selfservice.flows.login.style",
        "feature_flags.use_continue_with_transitions",
        "security.mitgate_typo",
    ]


def test_env_set_keys_are_reported(tmp_path: Path) -> None:
    doc = yaml.safe_load(KRATOS_QUICKSTART)
    for key in ("tracing", "security", "feature_flags", "ciphers", "serve", "log"):
        doc.pop(key)
    doc["selfservice"]["methods"].pop("totp")
    doc["selfservice"]["flows"]["login"].pop("style")
    doc["secrets"].pop("cipher")
    cfg = _load(
        tmp_path,
        yaml.safe_dump(doc),
        env={
            "OAUTH2_PROVIDER_URL": "https://hydra.example.com/",
            "SERVE_PUBLIC_PORT": "4455",
        },
    )
    assert unsupported_keys(cfg.raw) == ["oauth2_provider.url"]


def test_defaults_disabled_and_nulls_are_not_reported() -> None:
    raw = {
        "courier": {"delivery_strategy": "smtp", "http": None},
        "serve": {"public": {"cors": {"enabled": False, "allowed_origins": ["https://x"]}}},
        "feature_flags": {"cacheable_sessions": False},
        "selfservice": {"flows": {"settings": {"required_aal": "highest_available"}}},
        "database": {"cleanup": {"batch_size": 100, "sleep": {"tables": "1m"}}},
        "hashers": {"bcrypt": {"cost": 10}},
        "preview": {"default_read_consistency_level": "strong"},
    }
    assert unsupported_keys(raw) == []


def test_non_default_values_are_reported() -> None:
    raw = {
        "courier": {"delivery_strategy": "http"},
        "database": {"cleanup": {"batch_size": 50}},
        "expose-metrics-port": 9090,
    }
    assert unsupported_keys(raw) == [
        "courier.delivery_strategy",
        "database.cleanup.batch_size",
        "expose-metrics-port",
    ]


def test_unknown_keys_in_open_objects_are_reported_even_when_supported() -> None:
    raw = {
        "identity": {"schemas": [{"id": "a", "url": "file:///a", "extra": 1}]},
        "selfservice": {"methods": {"code": {"enabled": True, "surprise": 1}}},
    }
    assert unsupported_keys(raw) == [
        "identity.schemas.0.extra",
        "selfservice.methods.code.surprise",
    ]


def test_is_supported() -> None:
    assert is_supported("dsn")
    assert is_supported("selfservice.flows.login.ui_url")
    assert is_supported("selfservice.flows.registration.after.password.hooks")
    assert is_supported("selfservice.flows.settings.privileged_session_max_age")
    assert is_supported(["courier", "smtp", "connection_uri"])
    assert is_supported("phalanx.ui.product_name")
    assert not is_supported("selfservice.flows.login.style")
    assert is_supported("selfservice.methods.oidc")
    assert is_supported("selfservice.methods.webauthn")
    assert not is_supported("oauth2_provider.url")
    assert is_supported("serve.public.cors.enabled")
    assert is_supported("serve.admin.cors.allowed_origins")
    assert not is_supported("courier.http")


def test_builtin_default_has_nothing_unsupported(tmp_path: Path) -> None:
    cfg = load_config([], env={}, data_dir=tmp_path)
    assert unsupported_keys(cfg.raw) == []
