"""Framework-free pieces of the login and registration flows: CSRF tokens and errors,
return_to, the password policy (HIBP through a mock transport), form value coercion."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from typing import Any

import httpx
import pytest

from phalanx import text
from phalanx.config import Config
from phalanx.errors import (
    BadGatewayError,
    BadRequestError,
    ForbiddenError,
    ReturnToForbiddenError,
    SessionAlreadyAvailableError,
)
from phalanx.selfservice.flow.base import FlowType
from phalanx.selfservice.flow.csrf import (
    cookie_name,
    mask_token,
    new_real_token,
    tokens_match,
    unmask_token,
)
from phalanx.selfservice.flow.environment import FlowEnvironment
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.handling import apply_validation
from phalanx.selfservice.flow.login.flow import LoginFlow
from phalanx.selfservice.flow.return_to import secure_redirect
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.strategy.password.login import string_field_errors
from phalanx.selfservice.strategy.password.policy import (
    PasswordPolicy,
    PolicyConfig,
    hibp_base_url,
    too_similar,
)
from phalanx.session.aal import AalGuard
from phalanx.session.manager import SessionManager
from phalanx.ui import UiContainer

PUBLIC = "http://127.0.0.1:4433/"


def _env() -> FlowEnvironment:
    config = Config.model_validate(
        {
            "dsn": "memory",
            "identity": {"schemas": [{"id": "default", "url": "file:///x.json"}]},
            "serve": {"public": {"base_url": PUBLIC}},
            "selfservice": {"default_browser_return_url": f"{PUBLIC}welcome"},
        }
    )
    sessions = SessionManager(
        None,  # type: ignore[arg-type]
        lifespan=timedelta(hours=1),
        earliest_possible_extend=None,
        cookie_name="ory_kratos_session",
        cookie_keys=["k"],
    )
    guard = AalGuard(PUBLIC, None)  # type: ignore[arg-type]
    return FlowEnvironment(config, sessions, None, guard)  # type: ignore[arg-type]


def _req(**kw: Any) -> FlowRequest:
    defaults: dict[str, Any] = {
        "method": "POST",
        "url": PUBLIC,
        "query": {},
        "headers": {},
        "cookies": {},
    }
    defaults.update(kw)
    return FlowRequest(**defaults)


# -- CSRF ---------------------------------------------------------------------------------


def test_masked_tokens_verify_against_the_cookie() -> None:
    real = new_real_token()
    masked = [mask_token(real) for _ in range(3)]
    assert len(set(masked)) == 3 and all(len(m) == 88 for m in masked)
    assert all(tokens_match(real, m) for m in masked)
    assert unmask_token(masked[0]) == base64.b64decode(real)
    assert tokens_match(real, real)  # an unmasked token is accepted too (nosurf)
    assert not tokens_match(new_real_token(), masked[0])
    assert not tokens_match(real, "not base64!")
    assert not tokens_match(None, masked[0]) and not tokens_match(real, None)
    name = cookie_name(PUBLIC)
    assert name == "csrf_token_" + hashlib.sha256(PUBLIC.encode()).hexdigest()


def test_csrf_error_reasons() -> None:
    env = _env()
    real = new_real_token()
    no_cookie = env.csrf_error(_req())
    assert no_cookie.details["reject_reason"] == "The HTTP Cookie Header is empty or not set."
    assert no_cookie.code == 403 and no_cookie.id == "security_csrf_violation"
    missing = env.csrf_error(_req(headers={"cookie": "a=b"}))
    assert "did not include the anti-CSRF cookie" in missing.details["reject_reason"]
    not_sent = env.csrf_error(_req(headers={"cookie": "x"}, csrf_cookie=real))
    assert "reject_reason" not in not_sent.details
    assert not_sent.details["hint"].startswith("The anti-CSRF cookie was found")
    mismatch = env.csrf_error(
        _req(headers={"cookie": "x", "x-csrf-token": "bad"}, csrf_cookie=real)
    )
    assert mismatch.details["reject_reason"].startswith("The HTTP Cookie Header was set and")
    server = env.csrf_error(_req(headers={"origin": "https://x"}))
    assert server.details["hint"].startswith("We detected a regular browser")


def test_api_flows_refuse_browser_requests() -> None:
    env = _env()
    flow = LoginFlow(
        type=FlowType.API, request_url=PUBLIC, ui=UiContainer(action=PUBLIC), expires_at=_later()
    )
    env.ensure_csrf(_req(cookies={"__cfduid": "1", "cf_clearance": "2"}), flow)
    with pytest.raises(BadRequestError) as caught:
        env.ensure_csrf(_req(cookies={"session": "1", "cf_x": "y"}), flow)
    assert caught.value.details == {"found cookies": ["session"]}
    with pytest.raises(BadRequestError):
        env.ensure_csrf(_req(headers={"origin": "https://spa.test"}), flow)


def _later() -> Any:
    from phalanx.clock import utcnow

    return utcnow() + timedelta(minutes=5)


# -- flow errors ----------------------------------------------------------------------------


def test_which_errors_are_rendered_into_the_form() -> None:
    flow = LoginFlow(
        type=FlowType.API, request_url=PUBLIC, ui=UiContainer(action=PUBLIC), expires_at=_later()
    )
    assert apply_validation(flow, SessionAlreadyAvailableError())
    assert flow.ui.messages[-1].id == 4000001
    assert apply_validation(flow, FlowValidationError([text.invalid_credentials()]))
    assert not apply_validation(flow, ForbiddenError("no"))
    assert not apply_validation(flow, ValueError("boom"))


def test_string_field_errors() -> None:
    assert string_field_errors({}, "password", required=True)[0][1].id == 4000002
    assert string_field_errors({"password": ""}, "password", required=True)[0][1].id == 4000003
    assert string_field_errors({"password": 5}, "password", required=True)[0][0] == "password"
    assert string_field_errors({}, "identifier", required=False) == []


# -- return_to ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("return_to", "expected"),
    [
        (None, "https://app.test/home"),
        ("", "https://app.test/home"),
        ("https://app.test/dashboard?x=1", "https://app.test/dashboard?x=1"),
        ("https://sub.wild.test/a", "https://sub.wild.test/a"),
        ("/relative", "https://app.test/relative"),
        (f"{PUBLIC}self-service/login/browser", f"{PUBLIC}self-service/login/browser"),
    ],
)
def test_allowed_return_to(return_to: str | None, expected: str) -> None:
    allowed = ["https://app.test/", "https://*.wild.test/"]
    got = secure_redirect(
        return_to, default="https://app.test/home", allowed=allowed, public_base_url=PUBLIC
    )
    assert got == expected


@pytest.mark.parametrize(
    "return_to",
    ["https://evil.test/", "http://app.test/", "https://app.test.evil/", "https://wild.test.x/"],
)
def test_forbidden_return_to(return_to: str) -> None:
    with pytest.raises(ReturnToForbiddenError):
        secure_redirect(
            return_to,
            default="https://app.test/home",
            allowed=["https://app.test/", "https://*.wild.test/"],
            public_base_url=PUBLIC,
        )


# -- password policy ------------------------------------------------------------------------


def test_identifier_similarity() -> None:
    assert too_similar("alice@example.com", "alice@example.co")
    assert too_similar("alice@example.com", "ALICE@EXAMPLE.COM123")
    assert not too_similar("alice@example.com", "Tr0ub4dor&3-horse-battery")


def test_hibp_host_may_carry_a_scheme() -> None:
    assert hibp_base_url("api.pwnedpasswords.com") == "https://api.pwnedpasswords.com"
    assert hibp_base_url("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"
    assert hibp_base_url("https://mirror.test") == "https://mirror.test"


def _policy(handler: Any, **config: Any) -> tuple[PasswordPolicy, list[str]]:
    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        result: httpx.Response = handler(request)
        return result

    client = httpx.AsyncClient(transport=httpx.MockTransport(record))
    return PasswordPolicy(PolicyConfig(hibp_host="hibp.test", **config), client), seen


def _range_for(password: str, count: int) -> Any:
    digest = hashlib.sha1(password.encode()).hexdigest().upper()

    def handler(request: httpx.Request) -> httpx.Response:
        body = f"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:3\r\n{digest[5:]}:{count:,}"
        return httpx.Response(200, text=body)

    return handler


@pytest.mark.anyio
async def test_policy_order_and_hibp() -> None:
    policy, seen = _policy(_range_for("Unusual-Passphrase-77", 2))
    assert (await policy.check("short", ["a@b.c"])).id == 4000032  # type: ignore[union-attr]
    eight_bytes = await policy.check("éééé", [])  # 4 characters but 8 bytes
    assert eight_bytes is None or eight_bytes.id != 4000032
    assert (await policy.check("password123", ["a@b.c"])).id == 4000034  # type: ignore[union-attr]
    breached = await policy.check("Unusual-Passphrase-77", ["a@b.c"])
    assert breached is not None and breached.id == 4000034 and breached.context == {"breaches": 2}
    digest = hashlib.sha1(b"Unusual-Passphrase-77").hexdigest().upper()
    assert seen[-1] == f"https://hibp.test/range/{digest[:5]}"  # 5 hex characters only
    lenient, _ = _policy(_range_for("Unusual-Passphrase-77", 2), max_breaches=5)
    assert await lenient.check("Unusual-Passphrase-77", ["a@b.c"]) is None
    too_long = await policy.check("x" * 5000, ["a@b.c"])
    assert too_long is not None and too_long.id == 4000033


@pytest.mark.anyio
async def test_policy_network_errors() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("down")

    ignoring, _ = _policy(down)
    assert await ignoring.check("Another-Fine-Phrase-9", []) is None
    strict, _ = _policy(lambda r: httpx.Response(503), ignore_network_errors=False)
    with pytest.raises(BadGatewayError):
        await strict.check("Another-Fine-Phrase-9", [])
