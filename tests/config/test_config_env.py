"""Kratos-style environment overrides (env beats files; cast by the key's type)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from phalanx.config import ConfigError, env_name, load_config
from phalanx.config.env import env_paths, match_env


@pytest.fixture
def cfg_file(tmp_path: Path, minimal: dict[str, Any]) -> Path:
    path = tmp_path / "kratos.yml"
    minimal["selfservice"]["flows"] = {"settings": {"privileged_session_max_age": "15m"}}
    minimal["serve"] = {"public": {"port": 4433}}
    path.write_text(yaml.safe_dump(minimal))
    return path


def test_privileged_session_max_age_from_env(cfg_file: Path) -> None:
    cfg = load_config(
        [cfg_file], env={"SELFSERVICE_FLOWS_SETTINGS_PRIVILEGED_SESSION_MAX_AGE": "1m"}
    )
    assert cfg.selfservice.flows.settings.privileged_session_max_age == timedelta(minutes=1)
    assert cfg.env_overrides == {
        "selfservice.flows.settings.privileged_session_max_age": (
            "SELFSERVICE_FLOWS_SETTINGS_PRIVILEGED_SESSION_MAX_AGE"
        )
    }
    assert cfg.raw["selfservice"]["flows"]["settings"]["privileged_session_max_age"] == "1m"


def test_port_is_cast_to_int(cfg_file: Path) -> None:
    cfg = load_config([cfg_file], env={"SERVE_PUBLIC_PORT": "4455", "SERVE_ADMIN_PORT": "4456"})
    assert cfg.serve.public.port == 4455
    assert cfg.serve.admin.port == 4456


def test_dsn_from_env_wins_and_can_replace_a_missing_key(
    tmp_path: Path, minimal: dict[str, Any]
) -> None:
    del minimal["dsn"]
    path = tmp_path / "c.json"
    path.write_text(json.dumps(minimal))
    db = tmp_path / "db.sqlite"
    cfg = load_config([path], env={"DSN": f"sqlite://{db}?_fk=true"})
    assert cfg.dsn == f"sqlite://{db}?_fk=true"
    assert cfg.database_url.sqlalchemy_url == f"sqlite+aiosqlite:///{db}"


@pytest.mark.parametrize(
    "value",
    [
        "aaaaaaaaaaaaaaaaaaaa,bbbbbbbbbbbbbbbbbbbb",
        '["aaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbb"]',
        " aaaaaaaaaaaaaaaaaaaa , bbbbbbbbbbbbbbbbbbbb ",
    ],
)
def test_secrets_default_list(cfg_file: Path, value: str) -> None:
    cfg = load_config([cfg_file], env={"SECRETS_DEFAULT": value})
    assert cfg.secrets.default == ["aaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbb"]
    assert cfg.cookie_secrets == cfg.secrets.default
    assert not cfg.secrets_generated


def test_identity_schemas_json(cfg_file: Path) -> None:
    schemas = [
        {"id": "customer", "url": "file:///etc/customer.json"},
        {"id": "employee", "url": "base64://e30=", "selfservice_selectable": True},
    ]
    cfg = load_config(
        [cfg_file],
        env={"IDENTITY_SCHEMAS": json.dumps(schemas), "IDENTITY_DEFAULT_SCHEMA_ID": "customer"},
    )
    assert [s.id for s in cfg.identity.schemas] == ["customer", "employee"]
    assert cfg.identity.schemas[1].selfservice_selectable is True
    assert cfg.identity.default_schema_id == "customer"


def test_array_index_segments(cfg_file: Path) -> None:
    provider = {
        "id": "google",
        "provider": "google",
        "client_id": "from-json",
        "client_secret": "s",
        "mapper_url": "file:///m.jsonnet",
    }
    cfg = load_config(
        [cfg_file],
        env={
            "SELFSERVICE_METHODS_OIDC_CONFIG_PROVIDERS": json.dumps([provider]),
            "SELFSERVICE_METHODS_OIDC_CONFIG_PROVIDERS_0_CLIENT_ID": "from-index",
            "SELFSERVICE_METHODS_OIDC_ENABLED": "true",
        },
    )
    (p,) = cfg.selfservice.methods.oidc.config.providers
    assert p.client_id == "from-index"
    assert p.client_secret == "s"
    assert cfg.selfservice.methods.oidc.enabled is True


def test_index_into_a_list_from_the_file(tmp_path: Path, minimal: dict[str, Any]) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(minimal))
    cfg = load_config([path], env={"IDENTITY_SCHEMAS_0_URL": "https://example.com/s.json"})
    assert cfg.identity.schemas[0].url == "https://example.com/s.json"
    assert cfg.identity.schemas[0].id == "default"


def test_bools_and_hyphenated_keys(cfg_file: Path) -> None:
    cfg = load_config(
        [cfg_file],
        env={
            "WATCH_COURIER": "true",
            "SQA_OPT_OUT": "1",
            "EXPOSE_METRICS_PORT": "9000",
            "DEV": "t",
            "SESSION_COOKIE_PERSISTENT": "false",
            "COOKIES_SECURE": "false",
        },
    )
    assert cfg.watch_courier is True
    assert cfg.sqa_opt_out is True
    assert cfg.expose_metrics_port == 9000
    assert cfg.is_dev is True
    assert cfg.session.cookie.persistent is False
    assert cfg.cookies.secure is False


def test_json_object_env_merges_into_file_values(cfg_file: Path) -> None:
    cfg = load_config(
        [cfg_file],
        env={"SELFSERVICE_FLOWS_SETTINGS": '{"lifespan": "2h"}', "LOG_LEVEL": "debug"},
    )
    assert cfg.selfservice.flows.settings.lifespan == timedelta(hours=2)
    assert cfg.selfservice.flows.settings.privileged_session_max_age == timedelta(minutes=15)
    assert cfg.log.level == "debug"


def test_unrelated_and_empty_env_vars_are_ignored(cfg_file: Path) -> None:
    cfg = load_config(
        [cfg_file],
        env={"PATH": "/usr/bin", "HOME": "/root", "LANG": "C", "LOG_LEVEL": "", "SERVE": "x"},
    )
    assert cfg.env_overrides == {}
    assert cfg.log.level == "info"


def test_env_without_files_uses_builtin_defaults(tmp_path: Path) -> None:
    cfg = load_config([], env={"SERVE_PUBLIC_PORT": "5000"}, data_dir=tmp_path)
    assert cfg.serve.public.port == 5000
    assert cfg.public_base_url == "http://127.0.0.1:5000/"
    assert cfg.selfservice.default_browser_return_url == "http://127.0.0.1:5000/ui/welcome"


def test_env_value_errors_name_the_variable(cfg_file: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_config([cfg_file], env={"SERVE_PUBLIC_PORT": "abc"})
    assert str(exc.value) == (
        'config: serve.public.port: expected an integer, got "abc" [env SERVE_PUBLIC_PORT]'
    )
    with pytest.raises(ConfigError) as exc:
        load_config([cfg_file], env={"SESSION_LIFESPAN": "forever"})
    assert str(exc.value) == (
        'config: session.lifespan: invalid duration "forever" (expected e.g. 1h, 15m, 30s)'
        " [env SESSION_LIFESPAN]"
    )
    with pytest.raises(ConfigError, match=r"^config: identity\.schemas: invalid JSON"):
        load_config([cfg_file], env={"IDENTITY_SCHEMAS": "[{"})


def test_env_table_has_no_ambiguous_names() -> None:
    counts = Counter(p.tokens for p in env_paths())
    assert [k for k, n in counts.items() if n > 1] == []


def test_env_table_covers_documented_examples() -> None:
    for name, path, kind in [
        ("DSN", "dsn", "string"),
        ("SERVE_PUBLIC_BASE_URL", "serve.public.base_url", "string"),
        ("COURIER_SMTP_CONNECTION_URI", "courier.smtp.connection_uri", "string"),
        ("LOG_LEVEL", "log.level", "string"),
        ("SESSION_LIFESPAN", "session.lifespan", "string"),
        ("SERVE_PUBLIC_PORT", "serve.public.port", "int"),
        ("SECRETS_DEFAULT", "secrets.default", "list"),
        ("IDENTITY_SCHEMAS", "identity.schemas", "json"),
        ("HASHERS_ARGON2_MEMORY", "hashers.argon2.memory", "string"),
        ("PHALANX_UI_PRODUCT_NAME", "phalanx.ui.product_name", "string"),
    ]:
        hit = match_env(name)
        assert hit is not None, name
        assert hit[0].dotted == path
        assert hit[0].kind == kind
        assert env_name(path) == name
