"""The packaged default identity schema and the package's public names."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
from referencing import Registry
from referencing.jsonschema import DRAFT7

import phalanx.config
from phalanx.config import default_identity_schema_path, default_identity_schema_url
from tests.support.reference import IDENTITY_EXTENSION, IDENTITY_META, ContractFile, require


def _load(file: ContractFile) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(require(file).read_text(encoding="utf-8"))
    return data


def test_default_identity_schema_satisfies_the_kratos_meta_schema() -> None:
    schema = json.loads(default_identity_schema_path().read_text(encoding="utf-8"))
    meta = _load(IDENTITY_META)
    extension = _load(IDENTITY_EXTENSION)
    registry: Registry[Any] = Registry().with_resources(
        [
            ("ory://identity-meta", DRAFT7.create_resource(meta)),
            ("ory://identity-extension", DRAFT7.create_resource(extension)),
        ]
    )
    jsonschema.Draft7Validator(meta, registry=registry).validate(schema)
    jsonschema.Draft7Validator.check_schema(schema)


def test_default_identity_schema_traits() -> None:
    schema = json.loads(default_identity_schema_path().read_text(encoding="utf-8"))
    traits = schema["properties"]["traits"]["properties"]
    email = traits["email"]
    assert (email["format"], email["title"]) == ("email", "Email")
    assert email["ory.sh/kratos"] == {
        "credentials": {"password": {"identifier": True}},
        "verification": {"via": "email"},
        "recovery": {"via": "email"},
    }
    assert traits["name"]["properties"]["first"]["title"] == "First Name"
    assert traits["name"]["properties"]["last"]["title"] == "Last Name"
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    assert validator.is_valid({"traits": {"email": "a@example.com", "name": {"first": "A"}}})
    assert not validator.is_valid({"traits": {"email": "not-an-email"}})
    assert not validator.is_valid({"traits": {"name": {"first": "A"}}})


def test_default_identity_schema_url_points_into_the_package() -> None:
    url = default_identity_schema_url()
    assert url.startswith("file:///")
    assert url.endswith("/phalanx/config/identity.default.schema.json")


def test_public_names() -> None:
    assert sorted(phalanx.config.__all__) == sorted(
        [
            "SUPPORTED_KEYS",
            "UI_FLOWS",
            "Config",
            "ConfigError",
            "CookieSettings",
            "DatabaseURL",
            "UIFlow",
            "default_config_path",
            "default_identity_schema_path",
            "default_identity_schema_url",
            "ensure_default_secrets",
            "env_name",
            "format_byte_size",
            "format_duration",
            "is_supported",
            "load_config",
            "parse_byte_size",
            "parse_dsn",
            "parse_duration",
            "read_config_file",
            "unsupported_keys",
        ]
    )
    for name in phalanx.config.__all__:
        assert hasattr(phalanx.config, name), name


def test_every_module_declares_all() -> None:
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(phalanx.config.__path__):
        module = importlib.import_module(f"phalanx.config.{info.name}")
        assert isinstance(getattr(module, "__all__", None), list), info.name
        for name in module.__all__:
            assert hasattr(module, name), f"{info.name}.{name}"
