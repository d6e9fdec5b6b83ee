"""Every invalid config gives one ``ConfigError`` line naming the key path and the problem."""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path
from typing import Any

import pytest
import yaml

from phalanx.config import ConfigError, load_config


def _load(tmp_path: Path, doc: dict[str, Any], **kwargs: Any) -> Any:
    path = tmp_path / "kratos.yml"
    path.write_text(yaml.safe_dump(doc))
    kwargs.setdefault("env", {})
    return load_config([path], **kwargs)


def _error(tmp_path: Path, doc: dict[str, Any], **kwargs: Any) -> ConfigError:
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, doc, **kwargs)
    message = str(exc.value)
    assert "\n" not in message
    assert message.startswith("config: ")
    return exc.value


def _with(minimal: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """A copy of ``minimal`` with ``dotted`` set to ``value``."""
    minimal = copy.deepcopy(minimal)
    node = minimal
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return minimal


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "selfservice.flows.settings.privileged_session_max_age",
            "abc",
            'config: selfservice.flows.settings.privileged_session_max_age: invalid duration "abc"'
            " (expected e.g. 1h, 15m, 30s)",
        ),
        ("serve.public.port", "abc", 'config: serve.public.port: expected an integer, got "abc"'),
        ("serve.public.port", 0, "config: serve.public.port: must be >= 1, got 0"),
        ("serve.admin.port", 70000, "config: serve.admin.port: must be <= 65535, got 70000"),
        ("selfservice.flows.login.foo", 1, "config: selfservice.flows.login.foo: unknown key"),
        ("foo", 1, "config: foo: unknown key"),
        (
            "serve.public.cors.enabled",
            "yes",
            'config: serve.public.cors.enabled: expected a boolean (true or false), got "yes"',
        ),
        (
            "session.lifespan",
            3600,
            "config: session.lifespan: invalid duration 3600"
            " (expected a string such as 1h, 15m, 30s)",
        ),
        (
            "log.level",
            "verbose",
            'config: log.level: invalid value "verbose" (expected one of:'
            " 'trace', 'debug', 'info', 'warning', 'error', 'fatal' or 'panic')",
        ),
        (
            "hashers.argon2.memory",
            "lots",
            'config: hashers.argon2.memory: invalid byte size "lots" (expected e.g. 64MB, 1GB)',
        ),
        ("hashers.bcrypt.cost", 40, "config: hashers.bcrypt.cost: must be <= 31, got 40"),
        (
            "secrets.default",
            ["short"],
            "config: secrets.default.0: must be at least 16 characters long",
        ),
        (
            "secrets.cipher",
            ["x" * 31],
            "config: secrets.cipher.0: must be at least 32 characters long",
        ),
        (
            "selfservice.methods.password.config.min_password_length",
            4,
            "config: selfservice.methods.password.config.min_password_length: must be >= 6, got 4",
        ),
        (
            "courier.smtp.connection_uri",
            "http://mail",
            "config: courier.smtp.connection_uri:"
            ' invalid connection URI (expected smtp:// or smtps://, got "http:...")',
        ),
        (
            "courier.smtp.from_address",
            "nobody",
            'config: courier.smtp.from_address: invalid e-mail address "nobody"',
        ),
        (
            "session.cookie.same_site",
            "lax",
            "config: session.cookie.same_site: invalid value"
            " \"lax\" (expected one of: 'Strict', 'Lax' or 'None')",
        ),
        ("selfservice", "x", 'config: selfservice: expected a mapping, got "x"'),
        (
            "identity.default_schema_id",
            "nope",
            'config: identity.default_schema_id: "nope"'
            " matches no identity.schemas[].id (have: default)",
        ),
        (
            "ciphers.algorithm",
            "aes",
            "config: secrets.cipher: required key is missing"
            ' (ciphers.algorithm "aes" needs 32-character secrets)',
        ),
        (
            "serve.public.cors.allowed_origins",
            ["*", "*"],
            "config:"
            ' serve.public.cors.allowed_origins: duplicate entry "*" (entries must be unique)',
        ),
        (
            "phalanx.ui.primary_color",
            "blue",
            'config: phalanx.ui.primary_color: invalid color "blue" (expected e.g. #4f46e5)',
        ),
        ("phalanx.ui.font", "x", "config: phalanx.ui.font: unknown key"),
    ],
)
def test_value_errors(
    tmp_path: Path, minimal: dict[str, Any], key: str, value: Any, message: str
) -> None:
    err = _error(tmp_path, _with(minimal, key, value))
    assert str(err) == message


def test_error_carries_path_and_problem(tmp_path: Path, minimal: dict[str, Any]) -> None:
    err = _error(tmp_path, _with(minimal, "selfservice.flows.login.foo", 1))
    assert err.path == "selfservice.flows.login.foo"
    assert err.problem == "unknown key"
    assert err.source is None
    assert isinstance(err, ValueError)
    assert str(pickle.loads(pickle.dumps(err))) == str(err)


def test_missing_required_keys(tmp_path: Path, minimal: dict[str, Any]) -> None:
    del minimal["dsn"]
    assert str(_error(tmp_path, minimal)) == (
        "config: dsn: required key is missing (set it in a config file or with env DSN)"
    )
    minimal["dsn"] = "memory"
    del minimal["selfservice"]["default_browser_return_url"]
    assert str(_error(tmp_path, minimal)).startswith(
        "config: selfservice.default_browser_return_url: required key is missing"
    )
    minimal["selfservice"]["default_browser_return_url"] = "/"
    minimal["identity"] = {}
    assert str(_error(tmp_path, minimal)).startswith(
        "config: identity.schemas: required key is missing"
    )
    minimal["identity"] = {"schemas": []}
    assert str(_error(tmp_path, minimal)) == (
        "config: identity.schemas: must have at least 1 item(s)"
    )


def test_hook_errors(tmp_path: Path, minimal: dict[str, Any]) -> None:
    doc = _with(minimal, "selfservice.flows.login.after.hooks", [{"hook": "session"}])
    assert str(_error(tmp_path, doc)) == (
        'config: selfservice.flows.login.after.hooks.0: hook "session" is not allowed here'
        " (expected one of: 'revoke_active_sessions', 'require_verified_address', 'web_hook',"
        " 'verification', 'show_verification_ui', 'b2b_sso', 'organization')"
    )
    web_hook = {"hook": "web_hook", "config": {"url": "not a url", "method": "POST"}}
    doc = _with(minimal, "selfservice.flows.settings.after.password.hooks", [web_hook])
    assert str(_error(tmp_path, doc)) == (
        "config: selfservice.flows.settings.after.password.hooks.0.config.url:"
        ' invalid URI "not a url" (expected an absolute URI such as https://...)'
    )
    web_hook = {
        "hook": "web_hook",
        "config": {
            "url": "https://x",
            "method": "POST",
            "auth": {"type": "api_key", "config": {"name": "n", "value": "v", "in": "body"}},
        },
    }
    doc = _with(minimal, "selfservice.flows.registration.after.hooks", [web_hook])
    assert str(_error(tmp_path, doc)).startswith(
        "config: selfservice.flows.registration.after.hooks.0.config.auth.config.in:"
        ' invalid value "body"'
    )
    doc = _with(minimal, "selfservice.flows.registration.after.password.hooks", [{"x": 1}])
    assert str(_error(tmp_path, doc)) == (
        "config: selfservice.flows.registration.after.password.hooks.0: missing key hook"
    )
    session = {"hook": "session"}
    doc = _with(minimal, "selfservice.flows.registration.after.password.hooks", [session, session])
    assert "duplicate entry" in str(_error(tmp_path, doc))


def test_method_rules(tmp_path: Path, minimal: dict[str, Any]) -> None:
    doc = _with(
        minimal, "selfservice.methods.code", {"passwordless_enabled": True, "mfa_enabled": True}
    )
    assert str(_error(tmp_path, doc)) == (
        "config: selfservice.methods.code: passwordless_enabled and mfa_enabled cannot both be true"
    )
    doc = _with(minimal, "selfservice.methods.webauthn", {"enabled": True})
    assert str(_error(tmp_path, doc)) == (
        "config: selfservice.methods.webauthn: config is required when webauthn is enabled"
    )
    provider = {"id": "g", "provider": "google", "client_id": "c", "mapper_url": "file:///m"}
    doc = _with(minimal, "selfservice.methods.oidc.config.providers", [provider])
    assert str(_error(tmp_path, doc)) == (
        "config: selfservice.methods.oidc.config.providers.0:"
        ' client_secret is required for provider "google"'
    )


def test_bad_dsn(tmp_path: Path, minimal: dict[str, Any]) -> None:
    minimal["dsn"] = "oracle://scott:tiger@db/orcl"
    err = _error(tmp_path, minimal)
    assert str(err) == (
        'config: dsn: unsupported database scheme "oracle"'
        " (expected memory, sqlite://, postgres://, mysql:// or cockroach://)"
    )
    assert "tiger" not in str(err)


def test_bad_dsn_from_env_does_not_leak_password(tmp_path: Path, minimal: dict[str, Any]) -> None:
    err = _error(tmp_path, minimal, env={"DSN": "postgres://u:hunter2@db:notaport/x"})
    assert err.path == "dsn"
    assert "hunter2" not in str(err)


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yml"
    with pytest.raises(ConfigError) as exc:
        load_config([missing], env={})
    assert str(exc.value) == f"config: {missing}: file not found"


def test_bad_yaml(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("serve:\n  public: {port: 1\n")
    with pytest.raises(ConfigError) as exc:
        load_config([path], env={})
    message = str(exc.value)
    assert message.startswith(f"config: {path}: invalid YAML at line ")
    assert "\n" not in message


def test_bad_json_and_toml(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"dsn": }')
    with pytest.raises(ConfigError, match=r": invalid JSON at line 1, column 9: Expecting value$"):
        load_config([path], env={})
    path = tmp_path / "bad.toml"
    path.write_text("dsn = \n")
    with pytest.raises(ConfigError, match=r"^config: .*bad\.toml: invalid TOML: "):
        load_config([path], env={})


def test_unsupported_extension_and_non_mapping(tmp_path: Path) -> None:
    path = tmp_path / "kratos.ini"
    path.write_text("[x]")
    with pytest.raises(ConfigError, match=r'unsupported file extension "\.ini"'):
        load_config([path], env={})
    path = tmp_path / "list.json"
    path.write_text(json.dumps([1, 2]))
    with pytest.raises(ConfigError, match=r"expected a mapping of config keys at the top level"):
        load_config([path], env={})
    (tmp_path / "dir.yml").mkdir()
    with pytest.raises(ConfigError, match="is a directory"):
        load_config([tmp_path / "dir.yml"], env={})


def test_several_problems_are_counted(tmp_path: Path, minimal: dict[str, Any]) -> None:
    minimal["serve"] = {"public": {"port": "a"}, "admin": {"port": "b"}}
    assert str(_error(tmp_path, minimal)) == (
        'config: serve.admin.port: expected an integer, got "b" (and 1 more problem)'
    )
