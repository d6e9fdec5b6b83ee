"""No account enumeration: submitting a known and an unknown address to recovery or
verification gives the same answer -- byte for byte once flow ids, timestamps, CSRF values
and the (equally long) addresses themselves are masked -- and takes about as long."""

from __future__ import annotations

import re
import statistics
import time
from typing import Any

import httpx
import pytest

from phalanx.testing import MailSink, create_identity, csrf_token, mail_config
from tests.support.api import SpecClient
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
_counter = iter(range(10_000, 99_999))


def _pair() -> tuple[str, str]:
    """A known and an unknown address of the same length."""
    n = next(_counter)
    return f"known-{n}@example.com", f"other-{n}@example.com"


def _masked(response: httpx.Response, *addresses: str) -> str:
    text = response.text
    for address in addresses:
        text = text.replace(address, "<address>")
    if response.headers.get("content-type", "").startswith("application/json"):
        try:
            csrf = csrf_token(response.json())
        except (AssertionError, KeyError):
            csrf = None
        if csrf:
            text = text.replace(csrf, "<csrf>")
    text = _UUID.sub("<uuid>", text)
    return _TIME.sub("<time>", text)


def _headers(response: httpx.Response) -> list[tuple[str, str]]:
    skip = {"date", "set-cookie", "server"}
    out = []
    for name, value in response.headers.items():
        if name in skip:
            continue
        out.append((name, _UUID.sub("<uuid>", value)))
    return sorted(out)


@pytest.fixture(scope="module")
def server(mail: MailSink, module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(config=mail_config(mail), args=("--watch-courier",))


@pytest.fixture(scope="module")
def link_server(mail: MailSink, module_server_factory: ServerFactory) -> PhalanxServer:
    config = mail_config(
        mail,
        selfservice={
            "methods": {"link": {"enabled": True}},
            "flows": {"recovery": {"use": "link", "notify_unknown_recipients": True}},
        },
    )
    return module_server_factory.start(config=config, args=("--watch-courier",))


def _native_submit(server: PhalanxServer, flow: str, body: dict[str, Any]) -> httpx.Response:
    with SpecClient(server.public_url) as api:
        created = api.get(f"/self-service/{flow}/api").json()
        return api.post(f"/self-service/{flow}?flow={created['id']}", json=body)


@pytest.mark.parametrize("flow", ["recovery", "verification"])
def test_native_answers_are_identical(server: PhalanxServer, mail: MailSink, flow: str) -> None:
    known, unknown = _pair()
    create_identity(server.admin_url, known)
    a = _native_submit(server, flow, {"method": "code", "email": known})
    b = _native_submit(server, flow, {"method": "code", "email": unknown})
    assert a.status_code == b.status_code == 200
    assert _masked(a, known) == _masked(b, unknown)
    assert _headers(a) == _headers(b)
    mail.wait(known)
    assert mail.to(unknown) == []


def test_spa_and_form_answers_are_identical(server: PhalanxServer, mail: MailSink) -> None:
    known, unknown = _pair()
    create_identity(server.admin_url, known)
    answers: dict[str, list[httpx.Response]] = {"json": [], "form": []}
    for email in (known, unknown):
        with SpecClient(server.public_url, headers={"Accept": "application/json"}) as spa:
            created = spa.get("/self-service/recovery/browser").json()
            answers["json"].append(
                spa.post(
                    f"/self-service/recovery?flow={created['id']}",
                    json={"method": "code", "email": email, "csrf_token": csrf_token(created)},
                )
            )
        with SpecClient(server.public_url, follow_redirects=False) as form:
            location = form.get("/self-service/recovery/browser", validate=False).headers[
                "location"
            ]
            flow_id = location.split("flow=")[1]
            created = form.get(f"/self-service/recovery/flows?id={flow_id}").json()
            answers["form"].append(
                form.post(
                    f"/self-service/recovery?flow={flow_id}",
                    data={"method": "code", "email": email, "csrf_token": csrf_token(created)},
                    validate=False,
                )
            )
    a, b = answers["json"]
    assert a.status_code == b.status_code == 200
    assert _masked(a, known) == _masked(b, unknown)
    a, b = answers["form"]
    assert a.status_code == b.status_code == 303
    assert _masked(a) == _masked(b)
    assert _headers(a) == _headers(b)


def test_link_answers_are_identical_even_when_notifying(
    link_server: PhalanxServer, mail: MailSink
) -> None:
    known, unknown = _pair()
    create_identity(link_server.admin_url, known)
    a = _native_submit(link_server, "recovery", {"method": "link", "email": known})
    b = _native_submit(link_server, "recovery", {"method": "link", "email": unknown})
    assert a.status_code == b.status_code == 200
    assert _masked(a, known) == _masked(b, unknown)
    assert "token=" in mail.last(known).text
    assert "token=" not in mail.last(unknown).text  # the "someone tried" notice


def _recovery_timings(server: PhalanxServer, known: str, unknown: str) -> tuple[float, float]:
    """The lower quartile of the answer time for each address, over interleaved rounds:
    a load spike on a shared machine only ever adds time, so the quartile tells the
    work a request costs where the median also tells the neighbours' load."""
    timings: dict[str, list[float]] = {known: [], unknown: []}
    with httpx.Client(base_url=server.public_url, timeout=10) as api:
        for _ in range(16):
            for email in (known, unknown):
                flow = api.get("/self-service/recovery/api").json()
                started = time.perf_counter()
                r = api.post(
                    f"/self-service/recovery?flow={flow['id']}",
                    json={"method": "code", "email": email},
                )
                timings[email].append(time.perf_counter() - started)
                assert r.status_code == 200
    return (
        statistics.quantiles(timings[known], n=4)[0],
        statistics.quantiles(timings[unknown], n=4)[0],
    )


def test_timing_does_not_tell_known_from_unknown(server: PhalanxServer) -> None:
    known, unknown = _pair()
    create_identity(server.admin_url, known)
    # A second measurement only if the first differs: a real difference in the work
    # done shows in both, a neighbour's burst of CPU rarely twice.
    for _attempt in range(2):
        a, b = _recovery_timings(server, known, unknown)
        if abs(a - b) < max(0.5 * max(a, b), 0.010):
            return
    raise AssertionError(f"known {a:.4f}s vs unknown {b:.4f}s")
