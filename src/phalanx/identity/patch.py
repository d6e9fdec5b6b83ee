"""RFC 6902 JSON Patch of an identity, as Kratos's ``PATCH /admin/identities/{id}``.

Kratos (``jsonx.ApplyJSONPatch``) patches the admin JSON of the identity *with* credential
configs, then decodes the result back into an identity:

* only ``add``, ``remove`` and ``replace`` are accepted (``unsupported operation: move``);
* paths matching ``/id``, ``/stateChangedAt`` (sic), ``/credentials`` or
  ``/credentials/oidc/**`` are denied, case-insensitively (``patch includes denied path``);
* ``replace`` of a non-array element is applied as ``add``, and ``add`` creates missing
  parent objects (``EnsurePathExistsOnAdd``), so patching absent keys works.

Any failure is a 400 with reason "An error occured when applying the JSON patch" (sic) and
the underlying error as message.
"""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any, cast

import jsonpatch
import jsonpointer

from phalanx.errors import BadRequestError
from phalanx.identity.decoding import parse_rfc3339
from phalanx.identity.model import (
    Credential,
    Identity,
    RecoveryAddress,
    VerifiableAddress,
    utcnow,
)
from phalanx.identity.wire import CredentialsView, identity_to_wire

__all__ = ["DENIED_PATHS", "PatchError", "apply_identity_patch", "identity_from_wire"]

#: Kratos's deny list (globs with ``/`` as separator; ``**`` spans segments).
DENIED_PATHS = ("/id", "/stateChangedAt", "/credentials", "/credentials/oidc/**")
_ALLOWED_OPS = frozenset({"add", "remove", "replace"})


def _glob(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(f"^{out}$")


_DENY = [_glob(p.lower()) for p in DENIED_PATHS]


class PatchError(BadRequestError):
    """400: the JSON patch could not be applied (or its result could not be decoded)."""

    def __init__(self, detail: str) -> None:
        super().__init__("An error occured when applying the JSON patch", message=detail)


def _is_element_access(path: str) -> bool:
    last = path.rsplit("/", 1)[-1]
    return last == "-" or last.isdigit()


def _ensure_parents(document: Any, path: str) -> None:
    """Create missing parent objects of ``path`` (json-patch ``EnsurePathExistsOnAdd``)."""
    parts = jsonpointer.JsonPointer(path).parts[:-1]
    node = document
    for part in parts:
        if isinstance(node, dict):
            if part not in node or node[part] is None:
                node[part] = {}
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return


def _prepare(operations: Any, document: dict[str, Any]) -> list[dict[str, Any]]:
    if not isinstance(operations, list):
        raise PatchError("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    prepared: list[dict[str, Any]] = []
    for raw in operations:
        if not isinstance(raw, dict):
            raise PatchError(
                "json: cannot unmarshal non-object into Go value of type jsonpatch.Operation"
            )
        op = dict(raw)
        kind = op.get("op")
        if not isinstance(kind, str) or kind not in _ALLOWED_OPS:
            # json-patch's Operation.Kind(): "unknown" when op is missing or no string
            raise PatchError(
                f"unsupported operation: {kind if isinstance(kind, str) else 'unknown'}"
            )
        path = op.get("path")
        if not isinstance(path, str):
            raise PatchError("error parsing patch operations: operation missing path field")
        if any(p.match(path.lower()) for p in _DENY):
            raise PatchError(f"patch includes denied path: {path}")
        if kind == "replace" and not _is_element_access(path):
            op["op"] = "add"
        prepared.append(op)
    return prepared


def apply_identity_patch(identity: Identity, operations: Any, *, public_base_url: str) -> Identity:
    """Apply ``operations`` to the identity's admin JSON and decode the result.

    Returns a new :class:`Identity` (the argument is not modified); the caller validates and
    stores it. Raises :class:`PatchError`.
    """
    document = identity_to_wire(
        identity,
        public_base_url=public_base_url,
        admin=True,
        credentials=CredentialsView.of(identity.credentials),
    )
    prepared = _prepare(operations, document)
    try:
        patched: Any = copy.deepcopy(document)
        for op in prepared:
            if op["op"] == "add":
                _ensure_parents(patched, op["path"])
            patched = jsonpatch.JsonPatch([op]).apply(patched, in_place=True)
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
        raise PatchError(str(exc)) from exc
    except (TypeError, ValueError, KeyError, IndexError) as exc:
        raise PatchError(f"{type(exc).__name__}: {exc}") from exc
    except RecursionError as exc:  # a document stored before the edge's depth limit
        raise PatchError("the identity is nested too deeply to be patched") from exc
    return identity_from_wire(patched, original=identity)


def _uuid(value: Any, fallback: uuid.UUID | None) -> uuid.UUID | None:
    if value is None or value == "":
        return fallback
    if not isinstance(value, str):
        raise PatchError(f"json: cannot unmarshal {type(value).__name__} into uuid.UUID")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise PatchError(f"uuid: incorrect UUID format in string {value!r}") from None


def _time(value: Any, fallback: Any) -> Any:
    if value is None:
        return fallback
    if not isinstance(value, str):
        raise PatchError("json: cannot unmarshal non-string into time.Time")
    try:
        return parse_rfc3339(value)
    except ValueError:
        raise PatchError(f'parsing time "{value}" as RFC 3339 failed') from None


def _str(value: Any, name: str, default: str = "") -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        raise PatchError(f"json: cannot unmarshal non-string into Go struct field {name}")
    return value


def _list(value: Any, name: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise PatchError(f"json: cannot unmarshal into Go struct field Identity.{name}")
    return value


def identity_from_wire(document: Any, *, original: Identity) -> Identity:
    """Decode an admin identity JSON (a patched document) over ``original``.

    ``id`` always stays the original's; credential rows keep their ids by type.
    """
    if not isinstance(document, dict):
        raise PatchError(
            "json: cannot unmarshal non-object into Go value of type identity.Identity"
        )
    now = utcnow()
    verifiable = [
        VerifiableAddress(
            value=_str(a.get("value"), "VerifiableAddress.value"),
            via=_str(a.get("via"), "VerifiableAddress.via"),
            identity_id=original.id,
            verified=bool(a.get("verified", False)),
            status=_str(a.get("status"), "VerifiableAddress.status"),
            verified_at=_time(a.get("verified_at"), None),
            id=_uuid(a.get("id"), None) or uuid.uuid4(),
            created_at=_time(a.get("created_at"), now),
            updated_at=_time(a.get("updated_at"), now),
        )
        for a in _list(document.get("verifiable_addresses"), "verifiable_addresses")
    ]
    recovery = [
        RecoveryAddress(
            value=_str(a.get("value"), "RecoveryAddress.value"),
            via=_str(a.get("via"), "RecoveryAddress.via"),
            identity_id=original.id,
            id=_uuid(a.get("id"), None) or uuid.uuid4(),
            created_at=_time(a.get("created_at"), now),
            updated_at=_time(a.get("updated_at"), now),
        )
        for a in _list(document.get("recovery_addresses"), "recovery_addresses")
    ]
    credentials: dict[str, Credential] = {}
    raw_creds = document.get("credentials") or {}
    if not isinstance(raw_creds, dict):
        raise PatchError("json: cannot unmarshal into Go struct field Identity.credentials")
    for ctype, raw in raw_creds.items():
        if not isinstance(raw, dict):
            raise PatchError("json: cannot unmarshal into Go struct field Identity.credentials")
        before = original.credentials.get(ctype)
        identifiers = raw.get("identifiers") or []
        config = raw.get("config")
        version = raw.get("version", 0)
        if not isinstance(identifiers, list) or not all(isinstance(i, str) for i in identifiers):
            raise PatchError("json: cannot unmarshal into Go struct field Credentials.identifiers")
        if config is not None and not isinstance(config, dict):
            raise PatchError("json: cannot unmarshal into Go struct field Credentials.config")
        if not isinstance(version, int) or isinstance(version, bool):
            raise PatchError("json: cannot unmarshal into Go struct field Credentials.version")
        credentials[ctype] = Credential(
            type=ctype,
            identifiers=list(identifiers),
            config=config or {},
            version=version,
            id=before.id if before is not None else uuid.uuid4(),
            created_at=before.created_at if before is not None else now,
            updated_at=now,
        )
    external_id = document.get("external_id")
    # Decoded for validity only: like pop's Update, a patch never moves the timestamps.
    _time(document.get("created_at"), None)
    _time(document.get("updated_at"), None)
    return Identity(
        id=original.id,
        schema_id=_str(document.get("schema_id"), "Identity.schema_id"),
        traits=cast("dict[str, Any]", document.get("traits")),
        state=_str(document.get("state"), "Identity.state"),
        state_changed_at=_time(document.get("state_changed_at"), None),
        metadata_public=document.get("metadata_public"),
        metadata_admin=document.get("metadata_admin"),
        external_id=_str(external_id, "Identity.external_id") or None,
        organization_id=_uuid(document.get("organization_id"), None),
        available_aal=original.available_aal,
        credentials=credentials,
        verifiable_addresses=verifiable,
        recovery_addresses=recovery,
        created_at=original.created_at,
        updated_at=original.updated_at,
    )
