"""``security.account_enumeration.mitigate``: a known and an unknown identifier get the
same answer -- byte for byte once ids, timestamps, CSRF values and the (equally long)
identifiers are masked -- and take about as long (medians of 50 requests each), on login
(password), code login, identifier-first login, recovery and registration (password and
code; registration is Phalanx's extension: a taken address answers like a new one and
its owner gets a notice mail)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from phalanx.testing import PASSWORD, MailSink, create_identity, message_ids
from tests.e2e.test_code_login import code_config
from tests.e2e.test_enumeration import _headers, _masked, _pair
from tests.support.server import PhalanxServer, ServerFactory, deep_merge

pytestmark = pytest.mark.e2e

ROUNDS = 50


@pytest.fixture(scope="module")
def server(mail: MailSink, module_server_factory: ServerFactory) -> PhalanxServer:
    config = deep_merge(
        code_config(mail),
        {
            "security": {"account_enumeration": {"mitigate": True}},
            "selfservice": {
                "flows": {
                    "login": {"style": "identifier_first"},
                    # A sign-up that signs in cannot look the same for a taken address:
                    # mitigation needs verification first (no ``session`` hook).
                    "registration": {
                        "after": {
                            "password": {"hooks": [{"hook": "show_verification_ui"}]},
                            "code": {"hooks": []},
                        }
                    },
                }
            },
        },
    )
    return module_server_factory.start(config=config, args=("--watch-courier",))


Submit = Callable[[httpx.Client, str], httpx.Response]


def _submitter(flow: str, body: Callable[[str], dict[str, Any]]) -> Submit:
    def submit(api: httpx.Client, identifier: str) -> httpx.Response:
        created = api.get(f"/self-service/{flow}/api").json()
        return api.post(f"/self-service/{flow}?flow={created['id']}", json=body(identifier))

    return submit


PASSWORD_LOGIN = _submitter(
    "login", lambda i: {"method": "password", "identifier": i, "password": "wrong-" + PASSWORD}
)
CODE_LOGIN = _submitter("login", lambda i: {"method": "code", "identifier": i})
IDENTIFIER_FIRST = _submitter("login", lambda i: {"method": "identifier_first", "identifier": i})
RECOVERY = _submitter("recovery", lambda i: {"method": "code", "email": i})
REGISTRATION = _submitter(
    "registration",
    lambda i: {"method": "password", "password": PASSWORD, "traits": {"email": i}},
)
CODE_REGISTRATION = _submitter("registration", lambda i: {"method": "code", "traits": {"email": i}})
CASES = {
    "password-login": PASSWORD_LOGIN,
    "code-login": CODE_LOGIN,
    "identifier-first": IDENTIFIER_FIRST,
    "recovery": RECOVERY,
    "registration": REGISTRATION,
    "code-registration": CODE_REGISTRATION,
}


def _fresh(server: PhalanxServer) -> tuple[str, str]:
    """A known address (it has an account) and an unknown one of the same length."""
    known, unknown = _pair()
    create_identity(server.admin_url, known)
    return known, unknown


@pytest.mark.parametrize("case", list(CASES))
def test_same_answer_for_known_and_unknown(
    server: PhalanxServer, mail: MailSink, case: str
) -> None:
    known, unknown = _fresh(server)
    submit = CASES[case]
    with httpx.Client(base_url=server.public_url, timeout=30) as api:
        a, b = submit(api, known), submit(api, unknown)
    assert a.status_code == b.status_code, (a.text, b.text)
    assert a.status_code < 500
    assert _masked(a, known) == _masked(b, unknown)
    assert _headers(a) == _headers(b)


def test_taken_address_owner_is_told_and_no_account_is_made(
    server: PhalanxServer, mail: MailSink
) -> None:
    known, _ = _pair()
    owner = create_identity(server.admin_url, known)
    with httpx.Client(base_url=server.public_url, timeout=30) as api:
        r = REGISTRATION(api, known)
        assert r.status_code == 200, r.text
        assert r.json()["identity"]["id"] != owner["id"]
        notice = mail.wait(known)[0]
        assert "create an account" in notice.text
        r = CODE_REGISTRATION(api, known)
        assert r.status_code == 400 and message_ids(r.json()) == [1040005]
        flow_id = r.json()["id"]
        assert len(mail.wait(known, 2)) == 2  # a second notice, no code
        r = api.post(
            f"/self-service/registration?flow={flow_id}",
            json={"method": "code", "traits": {"email": known}, "code": "123456"},
        )
        assert r.status_code == 400 and message_ids(r.json()) == [4040003]
    listed = httpx.get(
        f"{server.admin_url}/admin/identities", params={"credentials_identifier": known}
    ).json()
    assert [i["id"] for i in listed] == [owner["id"]]


def test_unknown_code_login_takes_no_code(server: PhalanxServer) -> None:
    _, unknown = _pair()
    with httpx.Client(base_url=server.public_url, timeout=30) as api:
        created = api.get("/self-service/login/api").json()
        url = f"/self-service/login?flow={created['id']}"
        r = api.post(url, json={"method": "code", "identifier": unknown})
        assert r.status_code == 400 and r.json()["state"] == "sent_email"
        r = api.post(url, json={"method": "code", "identifier": unknown, "code": "123456"})
        assert r.status_code == 400 and message_ids(r.json()) == [4010008]


@pytest.mark.parametrize("case", list(CASES))
def test_timing_does_not_tell_known_from_unknown(server: PhalanxServer, case: str) -> None:
    submit = CASES[case]
    known, _ = _pair()
    create_identity(server.admin_url, known)
    registration = case.endswith("registration")
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    with httpx.Client(base_url=server.public_url, timeout=30) as api:
        for _ in range(ROUNDS):
            for kind in ("known", "unknown"):
                if kind == "known":
                    identifier = known
                else:  # a fresh sign-up each time; else always the same stranger
                    identifier = _pair()[1] if registration else "nobody-" + known
                started = time.perf_counter()
                r = submit(api, identifier)
                timings[kind].append(time.perf_counter() - started)
                assert r.status_code < 500
    slow, fast = statistics.median(timings["known"]), statistics.median(timings["unknown"])
    assert abs(slow - fast) < max(0.35 * max(slow, fast), 0.010), (slow, fast)
