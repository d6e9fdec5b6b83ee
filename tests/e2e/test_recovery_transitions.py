"""``feature_flags.use_continue_with_transitions`` (issue 9, item 3): an expired API recovery
flow answers 410 naming its replacement in ``use_flow_id`` and ``continue_with``, as
Kratos's recovery error handler does (without the flag: a 303 to the new flow)."""

from __future__ import annotations

import time

import pytest

from phalanx.testing import MailSink, mail_config, message_ids
from tests.support.api import SpecClient
from tests.support.identities import unique_email
from tests.support.server import BACKENDS, PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

LIFESPAN = 1.0


@pytest.fixture(scope="module", params=BACKENDS[:2])
def server(
    request: pytest.FixtureRequest, mail: MailSink, module_server_factory: ServerFactory
) -> PhalanxServer:
    config = mail_config(
        mail,
        feature_flags={"use_continue_with_transitions": True},
        selfservice={"flows": {"recovery": {"lifespan": f"{LIFESPAN:g}s"}}},
    )
    return module_server_factory.start(database=request.param, config=config)


def _expired_api_flow(api: SpecClient) -> str:
    flow = api.get("/self-service/recovery/api").json()
    time.sleep(LIFESPAN + 0.2)
    return str(flow["id"])


def test_expired_api_flow_answers_410_with_the_new_flow(server: PhalanxServer) -> None:
    with SpecClient(server.public_url) as api:
        old = _expired_api_flow(api)
        r = api.post(
            f"/self-service/recovery?flow={old}",
            json={"method": "code", "email": unique_email("expired")},
            follow_redirects=False,
        )
        assert r.status_code == 410, r.text
        body = r.json()
        error = body["error"]
        assert (error["id"], error["code"], error["status"]) == (
            "self_service_flow_expired",
            410,
            "Gone",
        )
        assert error["reason"].startswith("The self-service flow expired ")
        new_id = body["use_flow_id"]
        assert new_id != old
        assert error["details"]["continue_with"] == [
            {"action": "show_recovery_ui", "flow": {"id": new_id}}
        ]
        assert body["expired_at"] and body["since"] > 0
        fresh = api.get(f"/self-service/recovery/flows?id={new_id}")
        assert fresh.status_code == 200
        assert fresh.json()["type"] == "api" and message_ids(fresh.json()) == [4060005]


def test_browser_flows_keep_their_redirects(server: PhalanxServer) -> None:
    with SpecClient(server.public_url, follow_redirects=False) as browser:
        flow = browser.get(
            "/self-service/recovery/browser", headers={"Accept": "application/json"}
        ).json()
        time.sleep(LIFESPAN + 0.2)
        r = browser.post(
            f"/self-service/recovery?flow={flow['id']}",
            data={"method": "code", "email": unique_email("browser"), "csrf_token": "x"},
            validate=False,
        )
        assert r.status_code == 303
        assert r.headers["location"].startswith(f"{server.public_url}/ui/recovery?flow=")
