"""The claims an upstream provider asserts about a user (Kratos ``oidc.Claims``).

A plain dict with Kratos's JSON field names; :func:`make_claims` keeps the known fields
(dropping empty ones, as Go's ``omitempty``) and adds ``raw_claims``. The mapper sees this
dict as ``std.extVar('claims')``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from phalanx.errors import BadGatewayError

__all__ = ["CLAIM_FIELDS", "Claims", "make_claims", "validate_claims"]

Claims = dict[str, Any]

#: Kratos's ``Claims`` struct, in its field order.
CLAIM_FIELDS = (
    "iss", "sub", "oid", "name", "given_name", "family_name", "last_name", "middle_name",
    "nickname", "preferred_username", "profile", "picture", "website", "email",
    "email_verified", "gender", "birthdate", "zoneinfo", "locale", "phone_number",
    "phone_number_verified", "updated_at", "hd", "team", "nonce", "nonce_supported",
)  # fmt: skip

_BOOLEANS = {"email_verified", "phone_number_verified", "nonce_supported"}


def _boolean(value: Any) -> bool:
    """Go ``x.ConvertibleBoolean``: true, "true" (any case) and 1 are true."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _locale(value: Any) -> str:
    """``Locale``: a string, or LinkedIn's ``{"language","country"}`` object."""
    if isinstance(value, Mapping):
        parts = [str(value.get(k) or "") for k in ("language", "country")]
        return "-".join(p for p in parts if p)
    return str(value)


def make_claims(values: Mapping[str, Any], raw: Mapping[str, Any] | None = None) -> Claims:
    """Claims from ``values`` (known fields only, empty ones dropped); ``raw`` (default
    ``values``) becomes ``raw_claims``."""
    claims: Claims = {}
    for key in CLAIM_FIELDS:
        value = values.get(key)
        if key in _BOOLEANS:
            value = _boolean(value) if value is not None else False
        elif key == "locale" and value is not None:
            value = _locale(value)
        elif key == "updated_at" and value is not None:
            try:
                value = int(value)
            except (TypeError, ValueError):
                value = 0
        elif value is not None and not isinstance(value, str):
            value = str(value)
        if value:
            claims[key] = value
    raw_claims = dict(values if raw is None else raw)
    if raw_claims:
        claims["raw_claims"] = raw_claims
    return claims


def validate_claims(claims: Mapping[str, Any]) -> None:
    """``Claims.Validate``: a subject and an issuer, else a 502 upstream error."""
    if not claims.get("sub"):
        raise BadGatewayError("provider did not return a subject")
    if not claims.get("iss"):
        raise BadGatewayError("issuer not set in claims")
