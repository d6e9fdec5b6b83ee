"""JSON Patch of identities (Kratos jsonx.ApplyJSONPatch semantics)."""

from __future__ import annotations

from typing import Any

import pytest

from phalanx.identity.model import Credential, Identity, VerifiableAddress
from phalanx.identity.patch import PatchError, apply_identity_patch

BASE = "http://127.0.0.1:4433/"


def _identity() -> Identity:
    identity = Identity(schema_id="default", traits={"email": "a@b.io"}, metadata_public={"a": 1})
    identity.verifiable_addresses = [
        VerifiableAddress(value="a@b.io", via="email", identity_id=identity.id)
    ]
    identity.credentials = {
        "password": Credential(
            type="password", identifiers=["a@b.io"], config={"hashed_password": "h"}
        )
    }
    return identity


def _patch(ops: Any) -> Identity:
    return apply_identity_patch(_identity(), ops, public_base_url=BASE)


def test_replace_add_remove() -> None:
    original = _identity()
    patched = apply_identity_patch(
        original,
        [
            {"op": "replace", "path": "/traits/email", "value": "c@d.io"},
            {"op": "add", "path": "/metadata_admin/deep/key", "value": 1},
            {"op": "remove", "path": "/metadata_public/a"},
            {"op": "replace", "path": "/verifiable_addresses/0/verified", "value": True},
            {"op": "replace", "path": "/credentials/password/config/hashed_password", "value": "x"},
        ],
        public_base_url=BASE,
    )
    assert patched.id == original.id
    assert patched.traits == {"email": "c@d.io"}
    assert patched.metadata_admin == {"deep": {"key": 1}}
    assert patched.metadata_public == {}
    assert patched.verifiable_addresses[0].verified is True
    assert patched.verifiable_addresses[0].id == original.verifiable_addresses[0].id
    assert patched.credentials["password"].config == {"hashed_password": "x"}
    assert patched.credentials["password"].id == original.credentials["password"].id
    assert original.traits == {"email": "a@b.io"}


def test_replace_of_missing_key_is_add() -> None:
    assert _patch([{"op": "replace", "path": "/external_id", "value": "e"}]).external_id == "e"


@pytest.mark.parametrize(
    ("ops", "message"),
    [
        ([{"op": "replace", "path": "/id", "value": "x"}], "patch includes denied path: /id"),
        ([{"op": "remove", "path": "/credentials"}], "patch includes denied path: /credentials"),
        (
            [{"op": "add", "path": "/credentials/oidc/config", "value": {}}],
            "patch includes denied path: /credentials/oidc/config",
        ),
        ([{"op": "replace", "path": "/ID", "value": "x"}], "denied path: /ID"),
        ([{"op": "move", "from": "/traits", "path": "/x"}], "unsupported operation: move"),
        ([{"op": "test", "path": "/x", "value": 1}], "unsupported operation: test"),
        ([{"op": "remove", "path": "/traits/nope"}], ""),
        ({"op": "add"}, "cannot unmarshal object"),
        ([{"op": "add", "path": "/created_at", "value": "yesterday"}], "RFC 3339"),
    ],
)
def test_rejected_patches(ops: Any, message: str) -> None:
    with pytest.raises(PatchError) as info:
        _patch(ops)
    assert info.value.code == 400
    assert info.value.reason == "An error occured when applying the JSON patch"
    assert message in info.value.message
