"""Session building blocks: tokens, the cookie codec, AAL, activity, JSON."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from phalanx.clock import utcnow
from phalanx.session.cookie import decode_session_cookie, encode_session_cookie, read_session_cookie
from phalanx.session.model import AuthenticationMethod, Device, Session, compute_aal
from phalanx.session.tokens import digest, new_logout_token, new_session_token
from phalanx.session.wire import SessionRenderer, device_json


def test_tokens_have_the_kratos_shape_and_are_unique() -> None:
    tokens = {new_session_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(re.fullmatch(r"ory_st_[A-Za-z0-9]{32}", t) for t in tokens)
    assert re.fullmatch(r"ory_lo_[A-Za-z0-9]{32}", new_logout_token())
    token = new_session_token()
    assert digest(token) == digest(token) and token not in digest(token)


def test_cookie_round_trip_rotation_and_tampering() -> None:
    value = encode_session_cookie("ory_st_abc", 1700000000, "new-key")
    assert read_session_cookie(value, ["new-key"]) == ("ory_st_abc", 1700000000.0)
    assert decode_session_cookie(value, ["other", "new-key"]) == "ory_st_abc"  # rotation
    assert decode_session_cookie(value, ["other"]) is None
    payload, signature = value.split(".")
    assert decode_session_cookie(payload[:-2] + "xx." + signature, ["new-key"]) is None
    assert decode_session_cookie("garbage", ["new-key"]) is None
    assert decode_session_cookie("", ["new-key"]) is None


def test_aal_needs_a_first_and_a_second_factor() -> None:
    assert compute_aal([]) == "aal0"
    assert compute_aal([AuthenticationMethod("password")]) == "aal1"
    assert compute_aal([AuthenticationMethod("totp", aal="aal2")]) == "aal1"
    both = [AuthenticationMethod("password"), AuthenticationMethod("totp", aal="aal2")]
    assert compute_aal(both) == "aal2"


def test_active_means_flag_expiry_and_identity_state() -> None:
    now = utcnow()
    session = Session(identity_id=uuid.uuid4(), expires_at=now + timedelta(minutes=1))
    assert session.is_active(now)
    assert not session.is_active(now + timedelta(minutes=2))
    session.active = False
    assert not session.is_active(now)


def test_devices_leave_out_unknown_values() -> None:
    device = Device(ip_address="10.0.0.1", user_agent=None, location="")
    assert device_json(device) == {"id": str(device.id), "ip_address": "10.0.0.1", "location": ""}


def test_session_json_keys_in_kratos_order() -> None:
    now = utcnow()
    session = Session(
        identity_id=uuid.uuid4(),
        expires_at=now + timedelta(hours=1),
        authentication_methods=[AuthenticationMethod("password", completed_at=now)],
    )
    body = SessionRenderer(lambda identity, admin: {}).session(session, include_devices=False)
    assert list(body) == [
        "id",
        "active",
        "expires_at",
        "authenticated_at",
        "authenticator_assurance_level",
        "authentication_methods",
        "issued_at",
        "devices",
    ]
    assert body["devices"] == []
    assert body["authentication_methods"][0]["method"] == "password"
