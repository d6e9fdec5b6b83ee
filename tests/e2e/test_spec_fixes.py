"""Off-spec answers a schemathesis run of the v25.4 OpenAPI spec found (issue 9, item 5):
``GET /sessions/token-exchange``, a ``null`` patch in ``PATCH /admin/identities``,
``"error": null`` in courier dispatches, and the CSRF cookie sent in double quotes.
Every body here is validated against the spec by :class:`SpecClient`."""

from __future__ import annotations

import time

import pytest

from phalanx.testing import MailSink, create_identity, mail_config
from tests.support.api import SpecClient, error_of
from tests.support.identities import create_body, unique_email
from tests.support.server import BACKENDS, PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=BACKENDS[:2])
def server(
    request: pytest.FixtureRequest, mail: MailSink, module_server_factory: ServerFactory
) -> PhalanxServer:
    return module_server_factory.start(
        database=request.param, config=mail_config(mail), args=("--watch-courier",)
    )


@pytest.mark.parametrize(
    "query",
    [{}, {"init_code": "abc"}, {"return_to_code": "abc"}, {"init_code": "", "return_to_code": ""}],
)
def test_token_exchange_needs_both_codes(server: PhalanxServer, query: dict[str, str]) -> None:
    with SpecClient(server.public_url) as public:
        r = public.get("/sessions/token-exchange", params=query)
        assert r.status_code == 400
        assert error_of(r)["reason"] == '"init_code" and "return_to_code" query params must be set'


def test_token_exchange_unknown_codes(server: PhalanxServer) -> None:
    """No flow issued these codes: Kratos's answer for a pair it does not know (was 405)."""
    with SpecClient(server.public_url) as public:
        r = public.get(
            "/sessions/token-exchange", params={"init_code": "a" * 64, "return_to_code": "b" * 64}
        )
        assert r.status_code == 404
        error = error_of(r)
        assert error["reason"] == 'no session yet for this "code"'
        assert error["message"] == "The requested resource could not be found"


def _count(admin: SpecClient, email: str) -> int:
    r = admin.get("/admin/identities", params={"credentials_identifier": email})
    assert r.status_code == 200
    return len(r.json())


@pytest.mark.parametrize(
    ("patch", "reason"),
    [
        (None, "The identity patch at index 1 is null: every patch must be an object with"),
        ({}, 'The identity patch at index 1 has nothing to do: "create" is missing.'),
        ({"create": None}, 'The identity patch at index 1 has nothing to do: "create" is missing.'),
    ],
)
def test_batch_patch_with_an_empty_item_is_refused(
    server: PhalanxServer, patch: object, reason: str
) -> None:
    """A ``null`` item answered 200 with ``null`` in ``identities`` (the response schema has
    no room for it); now the whole request is refused and nothing is written."""
    email = unique_email("batch-null")
    with SpecClient(server.admin_url) as admin:
        r = admin.patch(
            "/admin/identities", json={"identities": [{"create": create_body(email)}, patch]}
        )
        assert r.status_code == 400, r.text
        assert error_of(r)["reason"].startswith(reason)
        assert _count(admin, email) == 0


def test_courier_dispatch_has_no_null_error(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("dispatch")
    create_identity(server.admin_url, email)
    with SpecClient(server.public_url) as public:
        flow = public.get("/self-service/verification/api").json()
        r = public.post(
            f"/self-service/verification?flow={flow['id']}", json={"method": "code", "email": email}
        )
        assert r.status_code == 200, r.text
    mail.wait(email)
    with SpecClient(server.admin_url) as admin:
        deadline = time.monotonic() + 10
        while True:
            listed = admin.get("/admin/courier/messages", params={"recipient": email}).json()
            if listed and listed[0]["status"] == "sent":
                break
            assert time.monotonic() < deadline, listed
            time.sleep(0.05)
        message = admin.get(f"/admin/courier/messages/{listed[0]['id']}").json()
    dispatches = message["dispatches"]
    assert [d["status"] for d in dispatches] == ["success"]
    assert "error" not in dispatches[0]
