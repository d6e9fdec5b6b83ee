"""The Jsonnet claims mapper (Kratos ``newIdentityFromClaims``).

``mapper_url`` (``file://``, ``base64://``, ``http(s)://`` with the ``clients.http`` SSRF
rules) is loaded through the shared :func:`phalanx.outbound.load_url` and kept for 60
minutes; it runs in the Jsonnet sandbox (no imports, no files, no network, bounded time and
memory) with the claims as ``std.extVar('claims')``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from phalanx.errors import (
    BadGatewayError,
    BadRequestError,
    InternalServerError,
    MisconfigurationError,
)
from phalanx.jsonnet import JsonnetError, evaluate_jsonnet
from phalanx.outbound import AddressGuard, SourceError, SourceUpstreamError, load_url

__all__ = ["MappedIdentity", "Mapper", "merge_traits"]

_CACHE_TTL = 3600.0
_MAX_SIZE = 1024 * 1024
#: Seconds a mapper may run (Kratos's jsonnetsecure bound is about one second; the
#: sandbox's worker start is included here, so Phalanx allows two).
TIME_LIMIT = 2.0


@dataclass(slots=True)
class MappedIdentity:
    traits: dict[str, Any]
    metadata_public: dict[str, Any] | None = None
    metadata_admin: dict[str, Any] | None = None
    verified_addresses: list[tuple[str, str]] = field(default_factory=list)


def merge_traits(mapped: dict[str, Any], submitted: Mapping[str, Any] | None) -> dict[str, Any]:
    """Kratos ``merge`` (``mergo.WithOverride``): submitted form traits deep-merged over the
    mapper's; the form wins, except with empty values ("", 0, false, null, empty objects and
    lists), which never override (a sign-up form's blank fields keep the mapped values)."""
    out = dict(mapped)
    for key, value in (submitted or {}).items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = merge_traits(out[key], value)
        elif (value not in (None, "", 0, False) and value != {} and value != []) or key not in out:
            out[key] = value
    return out


class Mapper:
    def __init__(self, guard: AddressGuard) -> None:
        self.guard = guard
        self._cache: dict[str, tuple[float, str]] = {}

    async def source(self, url: str) -> str:
        cached = self._cache.get(url)
        if cached is not None and time.monotonic() - cached[0] < _CACHE_TTL:
            return cached[1]
        try:
            data = await load_url(url, self.guard, max_size=_MAX_SIZE)
        except SourceUpstreamError as exc:
            raise BadGatewayError(f"Unable to fetch the Jsonnet mapper: {exc}") from exc
        except SourceError as exc:
            raise MisconfigurationError(f"Unable to read the Jsonnet mapper: {exc}") from exc
        if len(data) > _MAX_SIZE:
            raise MisconfigurationError(f"The Jsonnet mapper at {url} is larger than 1 MiB")
        source = data.decode("utf-8", errors="replace")
        self._cache[url] = (time.monotonic(), source)
        return source

    async def map(self, url: str, claims: Mapping[str, Any]) -> MappedIdentity:
        """Evaluate the mapper; Kratos's errors for outputs of the wrong shape."""
        source = await self.source(url)
        try:
            result = await evaluate_jsonnet(
                source, ext={"claims": dict(claims)}, time_limit=TIME_LIMIT, name=url
            )
        except JsonnetError as exc:
            raise InternalServerError(
                f"OpenID Connect Jsonnet mapper failed: {exc}", details={"mapper_url": url}
            ) from exc
        identity = result.get("identity") if isinstance(result, dict) else None
        identity = identity if isinstance(identity, dict) else {}
        traits = identity.get("traits")
        if not isinstance(traits, dict):
            raise InternalServerError(
                "OpenID Connect Jsonnet mapper did not return an object for key identity.traits."
                " Please check your Jsonnet code!"
            )
        mapped = MappedIdentity(traits=traits)
        for key in ("metadata_public", "metadata_admin"):
            value = identity.get(key)
            if value is not None and not isinstance(value, dict):
                raise MisconfigurationError(
                    "OpenID Connect Jsonnet mapper did not return an object for key"
                    f" identity.{key}. Please check your Jsonnet code!"
                )
            setattr(mapped, key, value)
        addresses = identity.get("verified_addresses")
        if addresses is not None:
            if not isinstance(addresses, list):
                raise BadRequestError(
                    "OpenID Connect Jsonnet mapper did not return an array for key"
                    " identity.verified_addresses. Please check your Jsonnet code!"
                )
            for item in addresses:
                if not isinstance(item, dict):
                    raise BadRequestError(
                        "Failed to unmarshal value for key identity.verified_addresses. Please"
                        " check your Jsonnet code!"
                    )
                via, value = str(item.get("via", "")), str(item.get("value", ""))
                if via == "email":
                    value = value.strip().lower()
                mapped.verified_addresses.append((via, value))
        return mapped
