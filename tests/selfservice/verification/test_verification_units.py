"""Small pieces of the recovery/verification flows that need no server."""

from __future__ import annotations

import uuid

from phalanx.http.routes.recovery import confirmation_page
from phalanx.selfservice.flow.base import FlowKind
from phalanx.selfservice.flow.recovery.service import LinkConfirmation, take_over_return_to
from phalanx.selfservice.flow.verification.service import _post_hook_request_url
from phalanx.selfservice.strategy.code.sender import infer_channel
from phalanx.selfservice.strategy.code.store import generate_code
from phalanx.selfservice.strategy.link.store import generate_token


def test_post_hook_flows_turn_after_verification_return_to_into_return_to() -> None:
    url = "http://x/self-service/registration?flow=1&after_verification_return_to=http://x/done"
    assert (
        _post_hook_request_url(url)
        == "http://x/self-service/registration?flow=1&return_to=http%3A%2F%2Fx%2Fdone"
    )
    assert _post_hook_request_url("http://x/a") == "http://x/a"


def test_take_over_return_to() -> None:
    assert take_over_return_to("http://x/r?return_to=http://x/b", "http://x/s?flow=1", None) == (
        "http://x/s?flow=1&return_to=http%3A%2F%2Fx%2Fb"
    )
    assert take_over_return_to("http://x/r", "http://x/s", "http://x/c").endswith(
        "return_to=http%3A%2F%2Fx%2Fc"
    )
    assert take_over_return_to("http://x/r", "http://x/s", None) == "http://x/s"


def test_confirmation_page_escapes_what_the_link_carried() -> None:
    evil = '"><script>alert(1)</script>'
    page = confirmation_page(
        LinkConfirmation(
            kind=FlowKind.RECOVERY,
            action=f"http://x/self-service/recovery?flow={uuid.uuid4()}",
            fields={"method": "link", "token": evil, "csrf_token": "c"},
        )
    )
    assert "<script>" not in page
    assert "&quot;&gt;&lt;script&gt;" in page
    assert '<form method="POST" action="http://x/self-service/recovery?flow=' in page


def test_secrets_and_channels() -> None:
    codes = {generate_code() for _ in range(50)}
    assert all(len(c) == 6 and c.isdigit() for c in codes) and len(codes) > 40
    token = generate_token()
    assert len(token) == 32 and token.isalnum()
    assert infer_channel("a@b.c") == "email" and infer_channel("+4912345") == "sms"
