"""The AAL guard (Kratos ``DoesSessionSatisfy``) and its login URLs."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from phalanx.clock import utcnow
from phalanx.identity.model import Identity
from phalanx.session.aal import AalGuard, aal2_login_url, pass_request_params
from phalanx.session.model import AuthenticationMethod, Session

pytestmark = pytest.mark.anyio

PUBLIC = "http://127.0.0.1:4433/"


class Credentials:
    """A stand-in for the credential check: answers and records calls."""

    def __init__(self, has: bool) -> None:
        self.has = has
        self.calls: list[tuple[uuid.UUID, bool]] = []

    async def __call__(self, identity_id: uuid.UUID, *, upsert: bool) -> bool:
        self.calls.append((identity_id, upsert))
        return self.has


def _session(aal: str = "aal1", available: str = "aal1") -> Session:
    identity = Identity(schema_id="default", traits={}, available_aal=available)
    methods = [AuthenticationMethod("password")]
    if aal == "aal2":
        methods.append(AuthenticationMethod("totp", aal="aal2"))
    return Session(
        identity_id=identity.id,
        identity=identity,
        expires_at=utcnow() + timedelta(hours=1),
        aal=aal,
        authentication_methods=methods,
    )


async def test_aal2_sessions_and_aal1_requirements_pass_without_a_lookup() -> None:
    creds = Credentials(has=True)
    guard = AalGuard(PUBLIC, creds)
    assert await guard.check(_session("aal2"), "highest_available") is None
    assert await guard.check(_session("aal1"), "aal1") is None
    error = await guard.check(_session("aal0"), "aal1")
    assert (
        error is not None
        and error.redirect_browser_to == f"{PUBLIC}self-service/login/browser?aal=aal2"
    )
    assert creds.calls == []


async def test_a_stored_aal2_is_trusted_anything_else_is_recomputed() -> None:
    creds = Credentials(has=True)
    guard = AalGuard(PUBLIC, creds)
    assert await guard.check(_session(available="aal2"), "highest_available") is not None
    assert creds.calls == []
    stale = _session(available="aal1")
    error = await guard.check(stale, "highest_available", upsert=True)
    assert error is not None and error.id == "session_aal2_required"
    assert creds.calls == [(stale.identity_id, True)]
    assert stale.identity is not None and stale.identity.available_aal == "aal2"


async def test_no_second_factor_is_remembered_briefly() -> None:
    creds = Credentials(has=False)
    guard = AalGuard(PUBLIC, creds)
    session = _session()
    assert await guard.check(session, "highest_available") is None
    assert await guard.check(session, "highest_available") is None
    assert len(creds.calls) == 1
    # Any identity write moves updated_at: the answer is looked up again.
    assert session.identity is not None
    session.identity.updated_at += timedelta(seconds=1)
    assert await guard.check(session, "highest_available") is None
    assert len(creds.calls) == 2
    # A second factor added through Phalanx shows in the column at once.
    assert session.identity is not None
    session.identity.available_aal = "aal2"
    assert await guard.check(session, "highest_available") is not None


async def test_unknown_requirement() -> None:
    with pytest.raises(ValueError, match="unknown aal"):
        await AalGuard(PUBLIC, Credentials(False)).check(_session(), "aal3")


def test_login_urls_as_go_encodes_them() -> None:
    back = "http://127.0.0.1:4433/self-service/settings/browser?return_to=https://a.b/c d"
    assert aal2_login_url(PUBLIC, back) == (
        "http://127.0.0.1:4433/self-service/login/browser?aal=aal2&return_to="
        "http%3A%2F%2F127.0.0.1%3A4433%2Fself-service%2Fsettings%2Fbrowser%3Freturn_to%3D"
        "https%3A%2F%2Fa.b%2Fc+d"
    )
    url = aal2_login_url(PUBLIC)
    request = "http://x/self-service/login/browser?login_challenge=abc&return_to=https://a.b/&x=1"
    assert pass_request_params(url, request) == (
        "http://127.0.0.1:4433/self-service/login/browser?aal=aal2&login_challenge=abc"
        "&return_to=https%3A%2F%2Fa.b%2F"
    )
    assert pass_request_params(url, None) == url
