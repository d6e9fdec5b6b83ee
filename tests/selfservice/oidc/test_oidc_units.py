"""OIDC building blocks: sealed state, continuity binding, trait merging, claims."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from phalanx.cipher import AESCipher, NoopCipher
from phalanx.clock import utcnow
from phalanx.errors import BadGatewayError
from phalanx.selfservice.flow.base import FlowType
from phalanx.selfservice.flow.login.flow import LoginFlow
from phalanx.selfservice.strategy.oidc import continuity
from phalanx.selfservice.strategy.oidc.claims import make_claims, validate_claims
from phalanx.selfservice.strategy.oidc.mapper import merge_traits
from phalanx.selfservice.strategy.oidc.state import OAuthState, StateSealer, exchange_code_digest
from phalanx.ui import UiContainer

SECRET = "0123456789abcdef0123456789abcdef"


def test_state_is_sealed_even_with_the_noop_cipher() -> None:
    state = OAuthState(uuid.uuid4(), "google", pkce_verifier="verifier-123")
    for cipher in (NoopCipher(), AESCipher([SECRET])):
        sealer = StateSealer(cipher, ["cookie-secret"])
        sealed = sealer.seal(state)
        assert "verifier" not in bytes.fromhex(sealed).decode("latin-1")
        opened = sealer.open(sealed)
        assert opened is not None
        assert (opened.flow_id, opened.provider_id, opened.pkce_verifier) == (
            state.flow_id,
            "google",
            "verifier-123",
        )
        assert sealer.open(sealed[:-2] + ("00" if sealed[-2:] != "00" else "11")) is None
        assert sealer.open("zz") is None
    other = StateSealer(NoopCipher(), ["another-secret"])
    assert other.open(StateSealer(NoopCipher(), ["cookie-secret"]).seal(state)) is None


def test_exchange_code_digest() -> None:
    state = OAuthState(uuid.uuid4(), "p", exchange_digest=exchange_code_digest("init"))
    assert state.code_matches("init") and not state.code_matches("other")


def _flow() -> LoginFlow:
    now = utcnow()
    return LoginFlow(
        type=FlowType.BROWSER,
        request_url="http://x/",
        ui=UiContainer(action="http://x/"),
        expires_at=now + timedelta(hours=1),
    )


def test_continuity_needs_the_cookie_and_expires_after_use(monkeypatch: pytest.MonkeyPatch) -> None:
    flow = _flow()
    cookie = continuity.pause(
        flow, continuity.AuthCodeContainer(state="s1", traits={"email": "a@b.c"})
    )
    assert continuity.take(flow, None) is None
    assert continuity.take(flow, "wrong") is None
    container = continuity.take(flow, cookie)
    assert container is not None and container.state == "s1"
    assert container.traits == {"email": "a@b.c"}
    # Used once, it stays valid for one more minute only.
    later = utcnow() + timedelta(seconds=61)
    monkeypatch.setattr(continuity, "utcnow", lambda: later)
    assert continuity.take(flow, cookie) is None


def test_form_traits_win_unless_empty() -> None:
    mapped = {"email": "m@x.test", "name": {"first": "Map", "last": "Per"}, "age": 3}
    submitted = {"email": "", "name": {"first": "Form", "last": ""}, "age": 0, "extra": "x"}
    assert merge_traits(mapped, submitted) == {
        "email": "m@x.test",
        "name": {"first": "Form", "last": "Per"},
        "age": 3,
        "extra": "x",
    }


def test_claims_shape_and_validation() -> None:
    claims = make_claims(
        {
            "sub": 42,
            "iss": "https://i",
            "email_verified": "TRUE",
            "locale": {"language": "de", "country": "DE"},
            "updated_at": "17",
            "unknown": 1,
        }
    )
    assert claims["sub"] == "42" and claims["email_verified"] is True
    assert claims["locale"] == "de-DE" and claims["updated_at"] == 17
    assert claims["raw_claims"]["unknown"] == 1 and "unknown" not in claims
    validate_claims(claims)
    with pytest.raises(BadGatewayError, match="subject"):
        validate_claims({"iss": "x"})
    with pytest.raises(BadGatewayError, match="issuer"):
        validate_claims({"sub": "x"})
