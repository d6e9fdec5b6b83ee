"""Rate limits and lockout (``phalanx.rate_limits``), end to end against one SQLite server
delivering mail to a real SMTP sink (lockouts and unlocks also read back from the audit log).

Budgets here are tiny (3 failed sign-ins lock for 1 s, doubling to a 2 s cap; 2 messages
per recipient; 3 code submissions per flow) so every claim is reached in a few requests:
a lockout refuses even the right password and ends by itself, identifiers share a budget
whatever their case, an unknown identifier is refused exactly like a known one (status,
``Retry-After``, body, timing), the admin API lifts a lockout, the owner is mailed, and
senders, code submissions and second factors (TOTP) are throttled. Refusals are ``429``
with ``Retry-After`` and the flow carrying message 4900001.
"""

from __future__ import annotations

import re
import statistics
import time
from typing import Any

import httpx
import pytest

from phalanx.testing import PASSWORD, MailSink, create_identity, mail_config, message_ids
from tests.support.identities import unique_email
from tests.support.mfa import aal2_flow_api, enroll_totp_api, password_login_api, totp_code
from tests.support.server import PhalanxServer, ServerFactory, deep_merge

pytestmark = pytest.mark.e2e

RATE_LIMITED = 4900001
LIMITS: dict[str, Any] = {
    "enabled": True,
    "sign_in": {"per_identifier": {"limit": 100, "window": "1m"}},
    "code_submission": {"per_identifier": {"limit": 3, "window": "1m"}},
    "sending": {"per_identifier": {"limit": 2, "window": "1m"}},
    "lockout": {
        "enabled": True,
        "max_failures": 3,
        "base_period": "1s",
        "max_period": "2s",
        "reset_after": "1m",
        "notify": True,
    },
}


@pytest.fixture(scope="module")
def server(mail: MailSink, module_server_factory: ServerFactory) -> PhalanxServer:
    config = deep_merge(
        mail_config(mail),
        {
            "selfservice": {
                "methods": {
                    "totp": {"enabled": True, "config": {"issuer": "Phalanx Test"}},
                },
                "flows": {"settings": {"required_aal": "aal1"}},
            },
            "session": {"whoami": {"required_aal": "aal1"}},
            "phalanx": {"rate_limits": LIMITS},
        },
    )
    return module_server_factory.start(config=config, args=("--watch-courier",))


def _login(http: httpx.Client, identifier: str, password: str) -> httpx.Response:
    flow = http.get("/self-service/login/api").json()
    return http.post(
        flow["ui"]["action"],
        json={"method": "password", "identifier": identifier, "password": password},
    )


def _fail(http: httpx.Client, identifier: str, times: int) -> None:
    for _ in range(times):
        r = _login(http, identifier, "wrong-Password-0")
        assert r.status_code == 400, r.text
        assert message_ids(r.json()) == [4000006]


def _assert_refused(r: httpx.Response) -> int:
    """A refusal: 429, ``Retry-After`` in whole seconds, the flow with message 4900001."""
    assert r.status_code == 429, r.text
    retry_after = int(r.headers["retry-after"])
    assert retry_after >= 1
    body = r.json()
    assert message_ids(body) == [RATE_LIMITED]
    assert body["ui"]["messages"][0]["context"] == {"retry_after": retry_after}
    return retry_after


def test_lockout_refuses_the_right_password_grows_and_ends_by_itself(
    server: PhalanxServer, mail: MailSink
) -> None:
    email = unique_email("locked")
    create_identity(server.admin_url, email)
    with httpx.Client(base_url=server.public_url, timeout=30) as http:
        _fail(http, email, 3)
        assert _assert_refused(_login(http, email, PASSWORD)) == 1
        notice = mail.last(email)
        assert notice.subject == "Your account was locked"
        time.sleep(1.1)
        _fail(http, email, 3)  # the lock ended: three more tries, then a longer lock
        assert _assert_refused(_login(http, email, PASSWORD)) == 2
        time.sleep(2.1)
        _fail(http, email, 3)  # the cap: 2 s again
        assert _assert_refused(_login(http, email, PASSWORD)) == 2
        time.sleep(2.1)
        r = _login(http, email, PASSWORD)
        assert r.status_code == 200, r.text
        assert r.json()["session"]["identity"]["traits"]["email"] == email


def test_a_successful_sign_in_resets_the_failures(server: PhalanxServer) -> None:
    email = unique_email("reset")
    create_identity(server.admin_url, email)
    with httpx.Client(base_url=server.public_url, timeout=30) as http:
        _fail(http, email, 2)
        assert _login(http, email, PASSWORD).status_code == 200
        _fail(http, email, 2)
        assert _login(http, email, PASSWORD).status_code == 200


def test_identifiers_share_a_budget_whatever_their_case(server: PhalanxServer) -> None:
    email = unique_email("casefold")
    create_identity(server.admin_url, email)
    with httpx.Client(base_url=server.public_url, timeout=30) as http:
        _fail(http, email.upper(), 1)
        _fail(http, f"  {email.title()} ", 1)
        _fail(http, email, 1)
        _assert_refused(_login(http, email, PASSWORD))


def _comparable(body: dict[str, Any], identifier: str) -> dict[str, Any]:
    """The flow without what differs between any two flows (ids, times, the countdown)."""
    text = httpx.Response(200, json=body).text
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT[0-9:.]+Z", "<time>", text)
    text = text.replace(identifier, "<identifier>")
    # The countdown of Retry-After (compared on its own, to the second).
    text = re.sub(r'"retry_after":\d+', '"retry_after":0', text)
    text = re.sub(r"again in \d+ seconds", "again in N seconds", text)
    return dict(httpx.Response(200, text=text).json())


def test_unknown_identifiers_are_refused_exactly_like_known_ones(
    server_factory: ServerFactory,
) -> None:
    # A server of its own: locks of a minute, so a slow machine cannot outlast them.
    lockout = {"enabled": True, "max_failures": 3, "base_period": "1m", "max_period": "1m"}
    server = server_factory.start(
        config={"phalanx": {"rate_limits": {"enabled": True, "lockout": lockout}}}
    )
    known, unknown = unique_email("known"), unique_email("nobody")
    create_identity(server.admin_url, known)
    timings: dict[str, list[float]] = {known: [], unknown: []}
    answers: dict[str, list[tuple[int, str, dict[str, Any]]]] = {known: [], unknown: []}
    with httpx.Client(base_url=server.public_url, timeout=30) as http:
        flows = {who: http.get("/self-service/login/api").json() for who in (known, unknown)}
        for who in (known, unknown):
            for _ in range(3):
                r = http.post(
                    flows[who]["ui"]["action"],
                    json={"method": "password", "identifier": who, "password": "wrong-0"},
                )
                assert r.status_code == 400
        for _ in range(21):
            for who in (known, unknown):
                began = time.perf_counter()
                r = http.post(
                    flows[who]["ui"]["action"],
                    json={"method": "password", "identifier": who, "password": "wrong-1"},
                )
                timings[who].append(time.perf_counter() - began)
                answers[who].append(
                    (r.status_code, r.headers["retry-after"], _comparable(r.json(), who))
                )
    assert {a[0] for a in answers[known]} == {429}
    # Same status and body; Retry-After counts down the same (both locks began together).
    for (k_status, k_retry, k_body), (u_status, u_retry, u_body) in zip(
        answers[known], answers[unknown], strict=True
    ):
        assert (k_status, k_body) == (u_status, u_body)
        assert abs(int(k_retry) - int(u_retry)) <= 1
    known_ms = statistics.median(timings[known]) * 1000
    unknown_ms = statistics.median(timings[unknown]) * 1000
    # No identity is looked up and no hash computed for a refusal: the medians of the
    # interleaved requests agree within noise (a loaded 2-core machine jitters by ms).
    tolerance = max(5.0, 0.5 * min(known_ms, unknown_ms))
    assert abs(known_ms - unknown_ms) < tolerance, (known_ms, unknown_ms)


def test_admin_unlock_lifts_the_lockout(server: PhalanxServer) -> None:
    email = unique_email("unlock")
    identity = create_identity(server.admin_url, email)
    with httpx.Client(base_url=server.public_url, timeout=30) as http:
        _fail(http, email, 3)
        _assert_refused(_login(http, email, PASSWORD))
        r = httpx.delete(f"{server.admin_url}/admin/identities/{identity['id']}/lockout")
        assert r.status_code == 204 and r.content == b""
        assert _login(http, email, PASSWORD).status_code == 200
    events = httpx.get(
        f"{server.admin_url}/admin/audit/events",
        params={"identity": identity["id"], "type": ["lockout.started", "lockout.ended"]},
    ).json()
    ended, started = events  # newest first
    assert (ended["type"], ended["actor"], ended["details"]) == (
        "lockout.ended",
        "admin",
        {"by": "admin_api"},
    )
    assert (started["type"], started["actor"], started["outcome"]) == (
        "lockout.started",
        "self",
        "success",
    )
    assert started["details"]["seconds"] == 1 and started["details"]["level"] == 1
    assert len(started["details"]["identifier_hash"]) == 64
    assert email not in str(events)
    missing = httpx.delete(
        f"{server.admin_url}/admin/identities/00000000-0000-4000-8000-000000000000/lockout"
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == 404
    bad = httpx.delete(f"{server.admin_url}/admin/identities/not-a-uuid/lockout")
    assert bad.status_code == 404


def _recovery_send(http: httpx.Client, email: str) -> httpx.Response:
    flow = http.get("/self-service/recovery/api").json()
    return http.post(flow["ui"]["action"], json={"method": "code", "email": email})


def test_messages_per_recipient_are_throttled(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("sender")
    create_identity(server.admin_url, email)
    with httpx.Client(base_url=server.public_url, timeout=30) as http:
        assert _recovery_send(http, email).status_code == 200
        assert _recovery_send(http, email).status_code == 200
        _assert_refused(_recovery_send(http, email.upper()))
        mail.wait(email, 2)
        # Verification codes to the same recipient share the sending budget.
        flow = http.get("/self-service/verification/api").json()
        r = http.post(flow["ui"]["action"], json={"method": "code", "email": email})
        _assert_refused(r)
        # A recipient nobody owns is throttled the same way.
        nobody = unique_email("nobody-sender")
        assert _recovery_send(http, nobody).status_code == 200
        assert _recovery_send(http, nobody).status_code == 200
        _assert_refused(_recovery_send(http, nobody))
    assert len(mail.to(email)) == 2


def test_code_submissions_per_flow_are_throttled(server: PhalanxServer) -> None:
    email = unique_email("codes")
    create_identity(server.admin_url, email)
    with httpx.Client(base_url=server.public_url, timeout=30) as http:
        flow = http.get("/self-service/recovery/api").json()
        r = http.post(flow["ui"]["action"], json={"method": "code", "email": email})
        assert r.status_code == 200
        for _ in range(3):
            r = http.post(flow["ui"]["action"], json={"method": "code", "code": "00000000"})
            assert r.status_code == 200 and message_ids(r.json()) == [4060006]
        _assert_refused(
            http.post(flow["ui"]["action"], json={"method": "code", "code": "00000000"})
        )


def test_second_factor_guesses_lock_the_identity(server: PhalanxServer) -> None:
    email = unique_email("totp")
    create_identity(server.admin_url, email)
    token = password_login_api(server.public_url, email, PASSWORD)["session_token"]
    secret = enroll_totp_api(server.public_url, token)
    # Linking TOTP made that session aal2; a fresh sign-in is aal1 and owes the factor.
    token = password_login_api(server.public_url, email, PASSWORD)["session_token"]
    with httpx.Client(base_url=server.public_url, timeout=30) as http:
        flow = aal2_flow_api(http, token)

        def submit(code: str) -> httpx.Response:
            return http.post(
                flow["ui"]["action"],
                headers={"X-Session-Token": token},
                json={"method": "totp", "totp_code": code},
            )

        for _ in range(3):
            assert submit("000000").status_code == 400
        _assert_refused(submit(totp_code(secret, 1)))


def test_refusals_are_counted_in_prometheus(server: PhalanxServer) -> None:
    email = unique_email("metrics")
    with httpx.Client(base_url=server.public_url, timeout=30) as http:
        _fail(http, email, 3)
        _assert_refused(_login(http, email, PASSWORD))
        for _ in range(3):
            r = _recovery_send(http, email)
        _assert_refused(r)
    metrics = httpx.get(f"{server.admin_url}/admin/metrics/prometheus").text
    assert re.search(
        r'phalanx_rate_limited_total\{action="sign_in",budget="lockout"\} [1-9]', metrics
    )
    assert re.search(r'phalanx_rate_limited_total\{action="sending",budget="id"\} [1-9]', metrics)


def test_client_address_budget_believes_only_trusted_proxies(
    server_factory: ServerFactory,
) -> None:
    def limits(trusted: list[str]) -> dict[str, Any]:
        budgets = {"per_identifier": {"limit": 0}, "per_address": {"limit": 2, "window": "1m"}}
        rate_limits = {"enabled": True, "trusted_proxies": trusted, "sign_in": budgets}
        return {"phalanx": {"rate_limits": rate_limits}}

    proxied = server_factory.start(config=limits(["127.0.0.0/8"]))
    with httpx.Client(base_url=proxied.public_url, timeout=30) as http:

        def attempt(forwarded: str) -> httpx.Response:
            flow = http.get("/self-service/login/api").json()
            return http.post(
                flow["ui"]["action"],
                headers={"X-Forwarded-For": forwarded},
                json={"method": "password", "identifier": unique_email(), "password": "x-0"},
            )

        assert attempt("198.51.100.1").status_code == 400
        assert attempt("198.51.100.1").status_code == 400
        _assert_refused(attempt("198.51.100.1"))
        assert attempt("198.51.100.2").status_code == 400
        # A client cannot pick its address: the proxy appends the peer it saw.
        _assert_refused(attempt("203.0.113.9, 198.51.100.1"))

    untrusted = server_factory.start(config=limits([]))
    with httpx.Client(base_url=untrusted.public_url, timeout=30) as http:
        statuses = []
        for n in range(3):
            flow = http.get("/self-service/login/api").json()
            r = http.post(
                flow["ui"]["action"],
                headers={"X-Forwarded-For": f"198.51.100.{n}"},
                json={"method": "password", "identifier": unique_email(), "password": "x-0"},
            )
            statuses.append(r.status_code)
        assert statuses == [400, 400, 429]  # every attempt counted under the peer address
