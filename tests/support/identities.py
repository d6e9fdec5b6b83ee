"""Builders for identity payloads used across tests.

``default`` is the email schema and ``customer`` the username schema of
``tests/support/data`` (both configured by :func:`tests.support.server.default_config`).
"""

from __future__ import annotations

import uuid
from typing import Any

from phalanx.testing import unique_email

__all__ = ["create_body", "unique_email", "unique_username"]


def unique_username(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def create_body(
    email: str | None = None,
    *,
    password: str | None = None,
    hashed_password: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A ``createIdentityBody`` for the ``default`` (email) schema.

    ``password`` imports a plaintext password, ``hashed_password`` a hash; ``extra`` keys
    are merged in as given (``metadata_public=...``, ``external_id=...``).
    """
    body: dict[str, Any] = {
        "schema_id": "default",
        "traits": {"email": email or unique_email()},
    }
    if password is not None:
        body["credentials"] = {"password": {"config": {"password": password}}}
    elif hashed_password is not None:
        body["credentials"] = {"password": {"config": {"hashed_password": hashed_password}}}
    body.update(extra)
    return body
