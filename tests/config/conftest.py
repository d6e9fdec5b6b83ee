"""Fixtures for the config tests: the Kratos config schema (when present), a minimal config."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.reference import CONFIG_SCHEMA, require

MINIMAL: dict[str, Any] = {
    "dsn": "memory",
    "identity": {"schemas": [{"id": "default", "url": "file:///etc/identity.schema.json"}]},
    "selfservice": {"default_browser_return_url": "http://localhost:4455/"},
}


@pytest.fixture(scope="session")
def kratos_config_schema() -> dict[str, Any]:
    """The Kratos v25.4 config JSON Schema (never copied into the repo; skips when absent)."""
    data: dict[str, Any] = json.loads(require(CONFIG_SCHEMA).read_text(encoding="utf-8"))
    return data


@pytest.fixture
def minimal() -> dict[str, Any]:
    """A fresh copy of the smallest config Kratos accepts."""
    data: dict[str, Any] = json.loads(json.dumps(MINIMAL))
    return data
