"""Fixtures for the message catalogue tests: the reference catalogue read from ``../shared``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.paths import REFERENCE

__all__: list[str] = []


@pytest.fixture(scope="session")
def reference_messages() -> list[dict[str, Any]]:
    """``messages[]`` of ``kratos-text-messages.json``."""
    with (REFERENCE / "kratos-text-messages.json").open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    messages: list[dict[str, Any]] = data["messages"]
    return messages
