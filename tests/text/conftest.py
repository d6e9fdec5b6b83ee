"""Fixtures for the message catalogue tests: the Kratos reference catalogue, when present."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.reference import MESSAGES, require

__all__: list[str] = []


@pytest.fixture(scope="session")
def reference_messages() -> list[dict[str, Any]]:
    """``messages[]`` of ``kratos-text-messages.json``."""
    with require(MESSAGES).open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    messages: list[dict[str, Any]] = data["messages"]
    return messages
