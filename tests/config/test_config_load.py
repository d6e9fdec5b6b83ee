"""Loading files (YAML/JSON/TOML, deep merge), the built-in default and resolved values."""

from __future__ import annotations

import json
import os
import socket
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from phalanx.config import (
    Config,
    ConfigError,
    default_config_path,
    default_identity_schema_url,
    ensure_default_secrets,
    load_config,
)

TOML_PART = """
[serve.public]
port = 5533
base_url = "https://auth.example.com/"

[session]
lifespan = "2h"

[hashers]
algorithm = "argon2"

[hashers.argon2]
memory = "64MB"
"""


def test_yaml_json_toml_are_deep_merged_later_wins(tmp_path: Path, minimal: dict[str, Any]) -> None:
    first = tmp_path / "a.yaml"
    first.write_text(
        yaml.safe_dump(
            {
                **minimal,
                "serve": {"public": {"port": 1111, "host": "127.0.0.1"}, "admin": {"port": 2222}},
                "session": {"lifespan": "1h", "cookie": {"name": "sid"}},
                "secrets": {"default": ["a" * 16, "b" * 16]},
            }
        )
    )
    second = tmp_path / "b.json"
    second.write_text(
        json.dumps({"serve": {"admin": {"port": 3333}}, "secrets": {"default": ["c" * 16]}})
    )
    third = tmp_path / "c.toml"
    third.write_text(TOML_PART)

    cfg = load_config([first, str(second), third], env={})
    assert cfg.serve.public.port == 5533
    assert cfg.serve.public.host == "127.0.0.1"
    assert cfg.serve.admin.port == 3333
    assert cfg.session.lifespan == timedelta(hours=2)
    assert cfg.session.cookie.name == "sid"
    assert cfg.secrets.default == ["c" * 16]  # lists are replaced, not appended
    assert cfg.hashers.algorithm == "argon2"
    assert cfg.hashers.argon2.memory == 64 * 1024 * 1024
    assert cfg.hashers.argon2.memory_kib == 65536
    assert cfg.public_base_url == "https://auth.example.com/"
    assert cfg.raw["serve"]["admin"]["port"] == 3333
    assert cfg.config_files == (first, second, third)


def test_yml_extension_and_empty_file(tmp_path: Path, minimal: dict[str, Any]) -> None:
    (tmp_path / "a.yml").write_text(yaml.safe_dump(minimal))
    (tmp_path / "empty.yaml").write_text("# nothing here\n")
    cfg = load_config([tmp_path / "a.yml", tmp_path / "empty.yaml"], env={})
    assert cfg.dsn == "memory"


def test_overrides_win_over_env(tmp_path: Path, minimal: dict[str, Any]) -> None:
    (tmp_path / "a.yml").write_text(yaml.safe_dump(minimal))
    cfg = load_config(
        [tmp_path / "a.yml"],
        env={"SERVE_PUBLIC_PORT": "5000"},
        overrides={"serve.public.port": 6000, "log": {"level": "debug"}},
    )
    assert cfg.serve.public.port == 6000
    assert cfg.log.level == "debug"


def test_dev_flag(tmp_path: Path, minimal: dict[str, Any]) -> None:
    minimal["serve"] = {"public": {"host": "10.1.2.3", "port": 4433}}
    minimal["hashers"] = {"bcrypt": {"cost": 4}}
    (tmp_path / "a.yml").write_text(yaml.safe_dump(minimal))
    prod = load_config([tmp_path / "a.yml"], env={})
    dev = load_config([tmp_path / "a.yml"], env={}, dev=True)
    assert prod.public_base_url == "https://10.1.2.3:4433/"
    assert dev.public_base_url == "http://10.1.2.3:4433/"
    assert prod.bcrypt_cost == 12
    assert dev.bcrypt_cost == 4
    assert prod.cookie_secure is True
    assert dev.cookie_secure is False
    assert dev.is_dev and dev.raw["dev"] is True


def test_default_base_urls(minimal: dict[str, Any]) -> None:
    cfg = Config.model_validate(minimal)
    host = socket.gethostname()
    assert cfg.public_base_url == f"https://{host}:4433/"
    assert cfg.admin_base_url == f"https://{host}:4434/"
    loop = Config.model_validate(
        {**minimal, "serve": {"public": {"host": "localhost"}, "admin": {"host": "::1"}}}
    )
    assert loop.public_base_url == "http://localhost:4433/"
    assert loop.admin_base_url == "http://[::1]:4434/"
    assert loop.cookie_secure is False  # defaulted plain-HTTP loopback URL
    tls = {"key": {"path": "k.pem"}, "cert": {"path": "c.pem"}}
    secured = Config.model_validate(
        {**minimal, "serve": {"public": {"host": "127.0.0.1", "tls": tls}}}
    )
    assert secured.public_base_url == "https://127.0.0.1:4433/"
    explicit = Config.model_validate(
        {**minimal, "serve": {"public": {"base_url": "https://a.example/kratos"}}}
    )
    assert explicit.public_base_url == "https://a.example/kratos/"


def test_ui_urls(minimal: dict[str, Any]) -> None:
    minimal["serve"] = {"public": {"base_url": "https://id.example.com/"}}
    minimal["selfservice"]["flows"] = {
        "login": {"ui_url": "https://app.example.com/login"},
        "settings": {"ui_url": "/my/settings"},
    }
    cfg = Config.model_validate(minimal)
    assert cfg.ui_url("login") == "https://app.example.com/login"
    assert cfg.ui_url("settings") == "https://id.example.com/my/settings"
    for flow in ("registration", "recovery", "verification", "error"):
        assert cfg.ui_url(flow) == f"https://id.example.com/ui/{flow}"
    assert cfg.builtin_ui_url("welcome") == "https://id.example.com/ui/welcome"
    with pytest.raises(ValueError, match="unknown flow"):
        cfg.ui_url("logout")


def test_cookie_resolution(minimal: dict[str, Any]) -> None:
    minimal["cookies"] = {
        "domain": "example.com",
        "path": "/x",
        "same_site": "Strict",
        "secure": True,
    }
    minimal["session"] = {"cookie": {"path": "/", "same_site": "None"}}
    cfg = Config.model_validate(minimal)
    sc = cfg.session_cookie
    assert (sc.name, sc.domain, sc.path, sc.same_site, sc.secure) == (
        "ory_kratos_session", "example.com", "/", "None", True,
    )  # fmt: skip
    assert cfg.csrf_cookie.path == "/x"
    assert cfg.csrf_cookie.same_site == "Strict"


def test_secret_fallbacks(tmp_path: Path, minimal: dict[str, Any]) -> None:
    (tmp_path / "a.yml").write_text(yaml.safe_dump(minimal))
    cfg = load_config([tmp_path / "a.yml"], env={})
    assert cfg.secrets_generated  # Kratos: random per process, with a warning
    assert len(cfg.default_secrets) == 1 and len(cfg.default_secrets[0]) >= 16
    assert cfg.cookie_secrets == cfg.default_secrets
    assert cfg.pagination_secrets == cfg.default_secrets
    assert cfg.cipher_secrets == []
    assert "secrets" not in cfg.raw
    other = load_config([tmp_path / "a.yml"], env={"SECRETS_COOKIE": "c" * 16})
    assert not other.secrets_generated
    assert other.cookie_secrets == ["c" * 16]


def test_session_extend_defaults_to_lifespan(minimal: dict[str, Any]) -> None:
    cfg = Config.model_validate({**minimal, "session": {"lifespan": "3h"}})
    assert cfg.session.extend_after == timedelta(hours=3)
    cfg = Config.model_validate({**minimal, "session": {"earliest_possible_extend": "1h"}})
    assert cfg.session.extend_after == timedelta(hours=1)


def test_nulls_count_as_unset(tmp_path: Path, minimal: dict[str, Any]) -> None:
    path = tmp_path / "a.yml"
    path.write_text(yaml.safe_dump(minimal) + "log:\ncourier:\n  smtp:\nsecrets:\n")
    cfg = load_config([path], env={})
    assert cfg.secrets_generated
    assert cfg.log.level == "info"
    assert cfg.courier.smtp.from_address == "no-reply@ory.kratos.sh"


def test_builtin_default_config(tmp_path: Path) -> None:
    cfg = load_config([], env={}, data_dir=tmp_path)
    assert cfg.dsn == f"sqlite://{tmp_path}/phalanx.sqlite?_fk=true"
    assert cfg.database_url.dialect == "sqlite"
    assert cfg.database_url.database == str(tmp_path / "phalanx.sqlite")
    assert (cfg.serve.public.host, cfg.serve.public.port) == ("127.0.0.1", 4433)
    assert (cfg.serve.admin.host, cfg.serve.admin.port) == ("127.0.0.1", 4434)
    assert cfg.public_base_url == "http://127.0.0.1:4433/"
    assert cfg.admin_base_url == "http://127.0.0.1:4434/"
    assert cfg.ui_url("login") == "http://127.0.0.1:4433/ui/login"
    assert cfg.selfservice.default_browser_return_url == "http://127.0.0.1:4433/ui/welcome"
    assert cfg.selfservice.flows.recovery.enabled and cfg.selfservice.flows.recovery.use == "code"
    assert cfg.selfservice.flows.verification.enabled
    assert cfg.selfservice.flows.verification.use == "code"
    (schema,) = cfg.identity.schemas
    assert (schema.id, schema.url) == ("default", default_identity_schema_url())
    assert schema.url.startswith("file://")
    assert Path(schema.url.removeprefix("file://")).is_file()
    assert cfg.raw == {}
    assert cfg.config_files == ()
    assert not cfg.secrets_generated
    secrets_file = tmp_path / "phalanx.secrets"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    again = load_config([], env={}, data_dir=tmp_path)
    assert again.secrets.default == cfg.secrets.default  # stable across restarts


def test_builtin_default_uses_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = load_config([], env={})
    assert cfg.database_url.database == os.path.join(tmp_path, "phalanx.sqlite")
    assert (tmp_path / "phalanx.secrets").exists()


def test_default_yml_is_a_partial_kratos_config() -> None:
    data = yaml.safe_load(default_config_path().read_text())
    assert "dsn" not in data and "secrets" not in data
    assert data["serve"]["public"]["port"] == 4433


def test_ensure_default_secrets(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "phalanx.secrets"
    first = ensure_default_secrets(path)
    assert len(first) == 1 and len(first[0]) == 32
    assert ensure_default_secrets(path) == first
    path.write_text("# rotated\n" + "n" * 20 + "\n" + first[0] + "\n")
    assert ensure_default_secrets(path) == ["n" * 20, first[0]]
    path.write_text("short\n")
    with pytest.raises(ConfigError, match="shorter than 16"):
        ensure_default_secrets(path)
    path.write_text("\n")
    with pytest.raises(ConfigError, match="empty"):
        ensure_default_secrets(path)


def test_config_is_frozen(minimal: dict[str, Any]) -> None:
    cfg = Config.model_validate(minimal)
    with pytest.raises(ValueError, match="frozen"):
        cfg.dsn = "x"


def test_phalanx_section(minimal: dict[str, Any]) -> None:
    cfg = Config.model_validate(minimal)
    assert cfg.phalanx.ui.product_name == "Phalanx"
    assert cfg.phalanx.ui.logo_url is None
    assert cfg.phalanx.ui.primary_color == "#4f46e5"
    assert cfg.phalanx.breached_passwords.offline_enabled is True
    cfg = Config.model_validate(
        {**minimal, "phalanx": {"ui": {"product_name": "Acme ID", "primary_color": "#000"}}}
    )
    assert cfg.phalanx.ui.product_name == "Acme ID"


def test_phalanx_session_cache(minimal: dict[str, Any]) -> None:
    cache = Config.model_validate(minimal).phalanx.session_cache
    assert cache.enabled is True
    assert cache.max_entries == 10_000
    assert cache.max_ttl == timedelta(seconds=30)
    raw = {"session_cache": {"enabled": False, "max_entries": 0, "max_ttl": "1s"}}
    cache = Config.model_validate({**minimal, "phalanx": raw}).phalanx.session_cache
    assert (cache.enabled, cache.max_entries, cache.max_ttl) == (False, 0, timedelta(seconds=1))
    with pytest.raises(ValueError, match="max_entries"):
        Config.model_validate({**minimal, "phalanx": {"session_cache": {"max_entries": -1}}})
    with pytest.raises(ValueError, match="unknown"):
        Config.model_validate({**minimal, "phalanx": {"session_cache": {"unknown": 1}}})


def test_main_attribute_paths(minimal: dict[str, Any]) -> None:
    cfg = Config.model_validate(minimal)
    assert cfg.selfservice.flows.settings.privileged_session_max_age == timedelta(hours=1)
    assert cfg.session.lifespan == timedelta(hours=24)
    assert cfg.session.cookie.name == "ory_kratos_session"
    assert cfg.serve.public.port == 4433
    assert cfg.hashers.algorithm == "bcrypt"
    assert cfg.selfservice.methods.password.config.min_password_length == 8
    assert cfg.courier.smtp.connection_uri is None
    assert cfg.identity.schemas[0].id == "default"
    assert cfg.secrets.cookie == []
    assert cfg.watch_courier is False and cfg.sqa_opt_out is False


def test_dump_round_trips(minimal: dict[str, Any]) -> None:
    cfg = Config.model_validate(minimal)
    dumped = cfg.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert dumped["session"]["lifespan"] == "24h"
    assert dumped["hashers"]["argon2"]["memory"] == "128MB"
    assert "watch-courier" in dumped
    assert Config.model_validate(dumped) == cfg
