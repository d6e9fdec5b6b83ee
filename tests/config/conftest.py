"""Fixtures for the config tests: the shared reference dir and a minimal valid config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
REFERENCE = SHARED / "reference"
CONFIG_SCHEMA = REFERENCE / "kratos-config-v25.4.schema.json"

MINIMAL: dict[str, Any] = {
    "dsn": "memory",
    "identity": {"schemas": [{"id": "default", "url": "file:///etc/identity.schema.json"}]},
    "selfservice": {"default_browser_return_url": "http://localhost:4455/"},
}


@pytest.fixture(scope="session")
def kratos_config_schema() -> dict[str, Any]:
    """The Kratos v25.4 config JSON Schema from ../shared (never copied into the repo)."""
    if not CONFIG_SCHEMA.exists():
        pytest.skip(f"reference schema not found at {CONFIG_SCHEMA}")
    data: dict[str, Any] = json.loads(CONFIG_SCHEMA.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def minimal() -> dict[str, Any]:
    """A fresh copy of the smallest config Kratos accepts."""
    data: dict[str, Any] = json.loads(json.dumps(MINIMAL))
    return data
