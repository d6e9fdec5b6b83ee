"""``/admin/identities``: Kratos's identity admin API (identity/handler.go).

| route | operation |
| --- | --- |
| ``GET /admin/identities`` | ``listIdentities`` (keyset or legacy page pagination, filters) |
| ``POST /admin/identities`` | ``createIdentity`` (201 + ``Location``) |
| ``PATCH /admin/identities`` | ``batchPatchIdentities`` (per-item results) |
| ``GET/PUT/PATCH/DELETE /admin/identities/{id}`` | get, update, JSON Patch, delete |
| ``GET /admin/identities/by/external/{externalID}`` | ``getIdentityByExternalID`` |
| ``DELETE /admin/identities/{id}/credentials/{type}`` | ``deleteIdentityCredentials`` |

Path ids are parsed leniently like Kratos's ``x.ParseUUID``: a malformed id is the nil UUID,
which no identity has, so the answer is 404 rather than 400.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from phalanx.errors import BadRequestError, KratosError, PayloadTooLargeError
from phalanx.http.body import MAX_BODY_BYTES, read_json
from phalanx.http.guard import MAX_JSON_DEPTH, JSONTooDeepError, json_depth
from phalanx.http.responses import NO_CACHE, JSONResponse
from phalanx.http.routes.admin_identities_query import (
    ListParameters,
    keyset_link,
    page_link,
    parse_include_credential,
    parse_list_parameters,
)
from phalanx.http.state import registry_of
from phalanx.identity.manager import IdentityManager
from phalanx.identity.model import Identity
from phalanx.identity.patch import PatchError
from phalanx.identity.payloads import (
    MAX_BATCH_PLAINTEXT,
    parse_batch_body,
    parse_create_body,
    parse_update_body,
)
from phalanx.identity.pool import IdentityListQuery
from phalanx.identity.wire import CredentialsView, identity_to_wire

__all__ = [
    "BATCH_BODY_LIMIT",
    "batch_patch_identities",
    "create_identity",
    "delete_identity",
    "delete_identity_credentials",
    "get_identity",
    "get_identity_by_external_id",
    "list_identities",
    "patch_identity",
    "routes",
    "update_identity",
]

#: Body limit of the batch endpoint (1000 identities); single identities use the default.
BATCH_BODY_LIMIT = 32 * MAX_BODY_BYTES

_HEADERS = {"Cache-Control": NO_CACHE}


def _lenient_uuid(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        return uuid.UUID(int=0)


async def _json(request: Request, *, limit: int = MAX_BODY_BYTES) -> Any:
    try:
        return await read_json(request, limit=limit)
    except PayloadTooLargeError as exc:
        raise BadRequestError(exc.reason) from exc


def _manager(request: Request) -> IdentityManager:
    return registry_of(request).identities


def _render(
    request: Request, identity: Identity, *, credentials: CredentialsView | None
) -> dict[str, Any]:
    return identity_to_wire(
        identity,
        public_base_url=registry_of(request).config.public_base_url,
        admin=True,
        credentials=credentials,
    )


def _ok(body: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status_code, headers={**_HEADERS, **(headers or {})})


async def list_identities(request: Request) -> Response:
    params: ListParameters = parse_list_parameters(request)
    manager = _manager(request)
    query = IdentityListQuery(
        page_size=params.page_size,
        page_token=params.page_token,
        ids=params.ids,
        credentials_identifier=params.credentials_identifier,
        credentials_identifier_similar=params.credentials_identifier_similar,
        organization_id=params.organization_id,
        with_credentials=params.expand_credentials,
        offset=params.offset,
    )
    page = await manager.list(query)
    headers: dict[str, str] = {}
    if params.legacy_page is not None:
        total = len(page.identities)
        if not params.credentials_identifier:
            total = await manager.count()
        headers.update(page_link(request, total, params.legacy_page, params.page_size))
    else:
        headers["Link"] = keyset_link(request, params, page.next_token)
    decrypt = registry_of(request).decrypt_token
    view = CredentialsView.of(params.declassify, decrypt) if params.expand_credentials else None
    body = [_render(request, i, credentials=view) for i in page.identities]
    return _ok(body, headers=headers)


async def get_identity(request: Request) -> Response:
    identity = await _manager(request).get(_lenient_uuid(request.path_params["id"]))
    declassify = parse_include_credential(request)
    view = CredentialsView.of(declassify, registry_of(request).decrypt_token)
    return _ok(_render(request, identity, credentials=view))


async def get_identity_by_external_id(request: Request) -> Response:
    external_id = request.path_params.get("external_id", "")
    identity = await _manager(request).get_by_external_id(external_id)
    declassify = parse_include_credential(request)
    view = CredentialsView.of(declassify, registry_of(request).decrypt_token)
    return _ok(_render(request, identity, credentials=view))


async def create_identity(request: Request) -> Response:
    body = parse_create_body(await _json(request))
    manager = _manager(request)
    identity = await manager.create(await manager.from_create_body(body))
    location = f"{registry_of(request).config.admin_base_url}identities/{identity.id}"
    return _ok(
        _render(request, identity, credentials=CredentialsView()),
        status_code=201,
        headers={"Location": location},
    )


async def batch_patch_identities(request: Request) -> Response:
    patches = parse_batch_body(await _json(request, limit=BATCH_BODY_LIMIT))
    plaintext = sum(
        1
        for p in patches
        if p.create.credentials is not None and p.create.credentials.has_plaintext_password
    )
    if plaintext > MAX_BATCH_PLAINTEXT:
        raise BadRequestError(
            "The maximum number of identities per request that can be created with a plaintext "
            f"password is {MAX_BATCH_PLAINTEXT}."
        )
    manager = _manager(request)
    # Plaintext passwords hash concurrently in the hashing pool; like Kratos, the first
    # conversion error (in input order) fails the whole request.
    converted = await asyncio.gather(
        *(manager.from_create_body(p.create) for p in patches), return_exceptions=True
    )
    identities: list[Identity] = []
    for outcome in converted:
        if isinstance(outcome, BaseException):
            raise outcome
        identities.append(outcome)
    errors = await manager.create_many(identities)
    results: list[dict[str, Any]] = []
    for patch, identity, error in zip(patches, identities, errors, strict=True):
        entry: dict[str, Any] = {"action": "error" if error is not None else "create"}
        if error is None:
            entry["identity"] = str(identity.id)
        if patch.patch_id is not None:
            entry["patch_id"] = str(patch.patch_id)
        if error is not None:
            entry["error"] = error.to_dict()
        results.append(entry)
    return _ok({"identities": results})


async def update_identity(request: Request) -> Response:
    body = parse_update_body(await _json(request))
    manager = _manager(request)
    identity = await manager.get(_lenient_uuid(request.path_params["id"]))
    await manager.apply_update_body(identity, body)
    await manager.update(identity)
    return _ok(_render(request, identity, credentials=CredentialsView()))


def _check_patch_depth(operations: Any) -> None:
    """``add`` creates missing parents, so an operation nests its value as deep as its
    path reaches: path segments and value together stay within the edge's depth limit."""
    for op in operations if isinstance(operations, list) else ():
        path = op.get("path") if isinstance(op, dict) else None
        if isinstance(path, str) and path.count("/") + json_depth(op.get("value")) > (
            MAX_JSON_DEPTH
        ):
            raise PatchError(str(JSONTooDeepError()))


async def patch_identity(request: Request) -> Response:
    manager = _manager(request)
    identity_id = _lenient_uuid(request.path_params["id"])
    await manager.get(identity_id)
    try:
        operations = await _json(request)
    except KratosError as exc:
        raise PatchError(exc.reason or exc.message) from exc
    _check_patch_depth(operations)
    identity = await manager.patch(
        identity_id, operations, public_base_url=registry_of(request).config.public_base_url
    )
    return _ok(_render(request, identity, credentials=CredentialsView()))


async def delete_identity(request: Request) -> Response:
    await _manager(request).delete(_lenient_uuid(request.path_params["id"]))
    return Response(status_code=204, headers=_HEADERS)


async def delete_identity_credentials(request: Request) -> Response:
    await _manager(request).delete_credential(
        _lenient_uuid(request.path_params["id"]),
        request.path_params["type"],
        identifier=request.query_params.get("identifier", ""),
    )
    return Response(status_code=204, headers=_HEADERS)


routes: list[BaseRoute] = [
    Route(
        "/admin/identities",
        list_identities,
        methods=["GET"],
        name="admin:identities:list",
    ),
    Route("/admin/identities", create_identity, methods=["POST"], name="admin:identities:create"),
    Route(
        "/admin/identities",
        batch_patch_identities,
        methods=["PATCH"],
        name="admin:identities:batch",
    ),
    Route(
        "/admin/identities/by/external/{external_id:path}",
        get_identity_by_external_id,
        methods=["GET"],
        name="admin:identities:by-external-id",
    ),
    Route(
        "/admin/identities/by/external/",
        get_identity_by_external_id,
        methods=["GET"],
        name="admin:identities:by-external-id-empty",
    ),
    Route("/admin/identities/{id}", get_identity, methods=["GET"], name="admin:identity:get"),
    Route("/admin/identities/{id}", update_identity, methods=["PUT"], name="admin:identity:put"),
    Route("/admin/identities/{id}", patch_identity, methods=["PATCH"], name="admin:identity:patch"),
    Route(
        "/admin/identities/{id}",
        delete_identity,
        methods=["DELETE"],
        name="admin:identity:delete",
    ),
    Route(
        "/admin/identities/{id}/credentials/{type}",
        delete_identity_credentials,
        methods=["DELETE"],
        name="admin:identity:delete-credentials",
    ),
]
