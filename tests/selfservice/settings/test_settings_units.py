"""Unit tests of the settings flow's pure parts: the continuity store for changes paused by
a refresh login, form-field typing of traits, the flow's JSON."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from phalanx.clock import utcnow
from phalanx.selfservice.flow.base import FlowType
from phalanx.selfservice.flow.settings.continuity import Continuity
from phalanx.selfservice.flow.settings.flow import SettingsFlow
from phalanx.session.model import Session
from phalanx.ui import UiContainer

SECRET = "a-cookie-secret-of-sufficient-length"


def make_flow(identity_id: uuid.UUID | None = None) -> SettingsFlow:
    now = utcnow()
    return SettingsFlow(
        type=FlowType.BROWSER,
        request_url="http://127.0.0.1:4433/self-service/settings/browser",
        ui=UiContainer(action="http://127.0.0.1:4433/self-service/settings?flow=x"),
        expires_at=now + timedelta(hours=1),
        identity_id=identity_id or uuid.uuid4(),
    )


def make_session(identity_id: uuid.UUID) -> Session:
    now = utcnow()
    return Session(
        identity_id=identity_id,
        issued_at=now,
        authenticated_at=now,
        expires_at=now + timedelta(days=1),
    )


@pytest.fixture
def flow() -> SettingsFlow:
    return make_flow()


def test_paused_payload_resumes_once_for_the_same_session(flow: SettingsFlow) -> None:
    session = make_session(flow.identity_id)
    store = Continuity([SECRET])
    payload = {"method": "password", "password": "Secret-Passphrase-1"}
    store.pause(flow, "password", session, payload)
    assert store.has_paused(flow, "password")
    # Sealed at rest: the plaintext is nowhere in the stored context.
    assert "Secret-Passphrase-1" not in repr(flow.internal_context)
    assert store.resume(flow, "profile", session) is None
    assert store.resume(flow, "password", session) == payload
    assert store.resume(flow, "password", session) is None
    assert flow.internal_context == {}


def test_another_session_cannot_resume_and_does_not_destroy_it(flow: SettingsFlow) -> None:
    mine, theirs = make_session(flow.identity_id), make_session(flow.identity_id)
    store = Continuity([SECRET])
    store.pause(flow, "profile", mine, {"method": "profile", "traits": {"email": "a@b.c"}})
    assert store.resume(flow, "profile", theirs) is None
    assert store.resume(flow, "profile", mine) == {
        "method": "profile",
        "traits": {"email": "a@b.c"},
    }


def test_payload_is_bound_to_its_flow(flow: SettingsFlow) -> None:
    session = make_session(flow.identity_id)
    store = Continuity([SECRET])
    store.pause(flow, "password", session, {"password": "x"})
    other = make_flow(flow.identity_id)
    other.internal_context = dict(flow.internal_context)
    assert store.resume(other, "password", session) is None


def test_expired_and_tampered_payloads_are_dropped(flow: SettingsFlow) -> None:
    session = make_session(flow.identity_id)
    store = Continuity([SECRET])
    store.pause(flow, "password", session, {"password": "x"})
    container: dict[str, Any] = flow.internal_context["settings_continuity"]["password"]
    sealed = container["sealed"]
    container["sealed"] = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    assert store.resume(flow, "password", session) is None
    container["sealed"] = sealed
    container["expires_at"] = int((utcnow() - timedelta(seconds=1)).timestamp())
    assert store.resume(flow, "password", session) is None
    assert "settings_continuity" not in flow.internal_context


def test_rotated_secrets_still_resume(flow: SettingsFlow) -> None:
    session = make_session(flow.identity_id)
    Continuity(["old-secret"]).pause(flow, "password", session, {"password": "x"})
    assert Continuity(["new-secret", "old-secret"]).resume(flow, "password", session) == {
        "password": "x"
    }
    with pytest.raises(ValueError, match="secret"):
        Continuity([])


def test_flow_json_has_identity_before_state_and_transient_continue_with(
    flow: SettingsFlow,
) -> None:
    flow.identity_json = {"id": str(flow.identity_id)}
    flow.transient_payload = {"secret": "not rendered"}
    out = flow.to_dict()
    keys = list(out)
    assert keys.index("identity") == keys.index("state") - 1
    assert "transient_payload" not in out and "continue_with" not in out
    flow.continue_with = [{"action": "redirect_browser_to", "redirect_browser_to": "x"}]
    assert flow.to_dict()["continue_with"] == flow.continue_with


class FakeSessions:
    def __init__(self) -> None:
        self.revoked: list[tuple[uuid.UUID, uuid.UUID | None]] = []

    async def revoke_others(self, identity_id: uuid.UUID, keep: uuid.UUID | None) -> int:
        self.revoked.append((identity_id, keep))
        return 1


def verification_item(address: str) -> dict[str, Any]:
    return {
        "action": "show_verification_ui",
        "flow": {"id": str(uuid.uuid4()), "verifiable_address": address},
    }


def run_hooks(
    names: list[str], *, enabled: bool = True, legacy: bool = False
) -> tuple[SettingsFlow, FakeSessions, list[str]]:
    import asyncio

    from phalanx.identity.model import Identity
    from phalanx.selfservice.flow.settings.hooks import SettingsHooks
    from phalanx.selfservice.request import FlowRequest

    sent: list[str] = []
    identity = Identity(schema_id="default", traits={"email": "a@b.c"})

    async def send_verification(
        req: FlowRequest, who: Identity, flow_type: FlowType
    ) -> list[dict[str, Any]]:
        sent.append(str(flow_type))
        return [verification_item("a@b.c"), verification_item("second@b.c")]

    sessions = FakeSessions()
    hooks = SettingsHooks(
        lambda method: names,
        sessions,  # type: ignore[arg-type]
        send_verification=send_verification,
        verification_enabled=enabled,
        legacy_show_verification_ui=legacy,
    )
    flow = make_flow(identity.id)
    session = make_session(identity.id)
    req = FlowRequest(
        method="POST", url="http://x/self-service/settings", query={}, headers={}, cookies={}
    )
    asyncio.run(hooks(req, flow, identity, session, "profile"))
    return flow, sessions, sent


def test_verification_runs_first_and_show_verification_ui_adds_its_flow() -> None:
    flow, sessions, sent = run_hooks(["show_verification_ui", "revoke_active_sessions"])
    assert sent == ["browser"]
    assert [c["flow"]["verifiable_address"] for c in flow.continue_with] == ["a@b.c"]
    assert len(sessions.revoked) == 1


def test_verification_items_without_the_hook_stay_hidden_unless_legacy() -> None:
    flow, _, sent = run_hooks([])
    assert sent == ["browser"] and flow.continue_with == []
    flow, _, _ = run_hooks([], legacy=True)
    assert len(flow.continue_with) == 2


def test_no_verification_when_the_flow_is_disabled() -> None:
    flow, sessions, sent = run_hooks(["show_verification_ui", "web_hook"], enabled=False)
    assert sent == [] and flow.continue_with == [] and sessions.revoked == []
