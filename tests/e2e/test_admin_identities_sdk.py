"""The official ``ory_kratos_client`` (v25.4) IdentityApi against a running Phalanx.

If the generated SDK can deserialize every answer, Phalanx's JSON is wire-compatible.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import ory_kratos_client as kratos
import pytest
from ory_kratos_client.exceptions import ApiException

from tests.support.identities import unique_email
from tests.support.server import PhalanxServer

pytestmark = pytest.mark.e2e


@pytest.fixture
def identity_api(sqlite_server: PhalanxServer) -> Iterator[kratos.IdentityApi]:
    configuration = kratos.Configuration(host=sqlite_server.admin_url)
    with kratos.ApiClient(configuration) as client:
        yield kratos.IdentityApi(client)


def test_identity_lifecycle_with_the_sdk(
    identity_api: kratos.IdentityApi, sqlite_server: PhalanxServer
) -> None:
    email = unique_email("sdk")
    created = identity_api.create_identity(
        create_identity_body=kratos.CreateIdentityBody(
            schema_id="default",
            traits={"email": email, "name": {"first": "Ada"}},
            metadata_public={"plan": "free"},
            external_id=f"sdk-{uuid.uuid4().hex}",
            credentials=kratos.IdentityWithCredentials(
                password=kratos.IdentityWithCredentialsPassword(
                    config=kratos.IdentityWithCredentialsPasswordConfig(password="sdk password")
                ),
                oidc=kratos.IdentityWithCredentialsOidc(
                    config=kratos.IdentityWithCredentialsOidcConfig(
                        providers=[
                            kratos.IdentityWithCredentialsOidcConfigProvider(
                                provider="google", subject=uuid.uuid4().hex
                            )
                        ]
                    )
                ),
            ),
        )
    )
    assert created.traits["email"] == email
    assert created.schema_url == f"{sqlite_server.public_url}/schemas/ZGVmYXVsdA"
    assert created.credentials is not None and created.credentials["password"].version == 1
    assert created.verifiable_addresses is not None
    assert created.verifiable_addresses[0].status == "pending"

    fetched = identity_api.get_identity(created.id, include_credential=["password"])
    assert fetched.id == created.id
    assert fetched.credentials is not None
    assert fetched.credentials["password"].config is not None
    assert str(fetched.credentials["password"].config["hashed_password"]).startswith("$2a$")
    assert created.external_id is not None
    by_external = identity_api.get_identity_by_external_id(created.external_id)
    assert by_external.id == created.id

    listed = identity_api.list_identities(page_size=500)
    assert created.id in {i.id for i in listed}
    found = identity_api.list_identities(credentials_identifier=email)
    assert [i.id for i in found] == [created.id]

    patched = identity_api.patch_identity(
        created.id,
        json_patch=[
            kratos.JsonPatch(op="replace", path="/traits/name/first", value="Grace"),
            kratos.JsonPatch(op="add", path="/metadata_admin", value={"vip": True}),
        ],
    )
    assert patched.traits["name"]["first"] == "Grace"
    assert patched.metadata_admin == {"vip": True}

    new_email = unique_email("sdk-updated")
    updated = identity_api.update_identity(
        created.id,
        update_identity_body=kratos.UpdateIdentityBody(
            schema_id="default", state="inactive", traits={"email": new_email}
        ),
    )
    assert updated.state == "inactive" and updated.traits == {"email": new_email}
    assert updated.metadata_public is None

    batch = identity_api.batch_patch_identities(
        patch_identities_body=kratos.PatchIdentitiesBody(
            identities=[
                kratos.IdentityPatch(
                    patch_id=str(uuid.uuid4()),
                    create=kratos.CreateIdentityBody(
                        schema_id="default", traits={"email": unique_email("sdk-batch")}
                    ),
                ),
                kratos.IdentityPatch(
                    create=kratos.CreateIdentityBody(schema_id="default", traits={"email": "x"})
                ),
            ]
        )
    )
    assert batch.identities is not None
    assert [r.action for r in batch.identities] == ["create", "error"]

    identity_api.delete_identity(created.id)
    with pytest.raises(ApiException) as info:
        identity_api.get_identity(created.id)
    assert info.value.status == 404


def test_sdk_surfaces_errors(identity_api: kratos.IdentityApi) -> None:
    email = unique_email("sdk-dup")
    body = kratos.CreateIdentityBody(schema_id="default", traits={"email": email})
    identity_api.create_identity(create_identity_body=body)
    with pytest.raises(ApiException) as info:
        identity_api.create_identity(create_identity_body=body)
    assert info.value.status == 409
    assert info.value.body is not None and "conflicts" in info.value.body
