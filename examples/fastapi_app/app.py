"""A FastAPI service with Phalanx inside, mounted under ``/auth``.

Run it from this directory (the config's relative paths are relative to it)::

    uvicorn app:app --port 8000

Then open http://127.0.0.1:8000/ . Sign-up, login, settings, verification and recovery are
Phalanx's (its built-in UI at /auth/ui/..., its Kratos API at /auth/self-service/...);
the service's own routes read the session with ``px.current_session`` /
``px.require_session()``.
"""

from __future__ import annotations

import html
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse

import phalanx

hooks = phalanx.PythonHooks()


@hooks.after("registration", method="password")
async def start_on_the_free_plan(event: phalanx.HookEvent) -> None:
    assert event.identity is not None
    event.identity.metadata_public = {"plan": "free"}


# migrate=True: create or upgrade the SQLite schema on start (production runs
# `phalanx migrate sql` instead).
px = phalanx.Phalanx.from_config("kratos.yml", hooks=hooks, migrate=True)

app = FastAPI(lifespan=px.lifespan, exception_handlers=px.exception_handlers)
app.mount("/auth", px.public_app)

#: The session as whoami answers it, at session.whoami.required_aal (highest_available) ...
SignedIn = Annotated[dict[str, Any], Depends(px.require_session())]
#: ... or at any level (aal1 is enough).
AnyLevel = Annotated[dict[str, Any], Depends(px.require_session("aal1"))]


PAGE = '<!doctype html><title>Example</title><link rel="icon" href="data:,"><h1>Example</h1>'


@app.get("/", response_class=HTMLResponse)
async def home(request: Request) -> str:
    try:
        session = await px.current_session(request)
    except phalanx.SessionError:
        return (
            f'{PAGE}<a id="sign-in" href="/auth/self-service/login/browser">Sign in</a>'
            ' <a id="sign-up" href="/auth/self-service/registration/browser">Sign up</a>'
        )
    email = html.escape(session["identity"]["traits"]["email"])
    return (
        f'{PAGE}<p id="hello">Hello {email}</p>'
        '<a id="settings" href="/auth/self-service/settings/browser">Account settings</a>'
    )


@app.get("/api/me")
async def me(session: SignedIn) -> dict[str, Any]:
    identity = session["identity"]
    return {
        "identity_id": identity["id"],
        "email": identity["traits"]["email"],
        "name": identity["traits"].get("name", {}),
        "plan": (identity.get("metadata_public") or {}).get("plan"),
        "aal": session["authenticator_assurance_level"],
    }


@app.get("/api/me/any-level")
async def me_at_any_level(session: AnyLevel) -> dict[str, Any]:
    return {"identity_id": session["identity"]["id"]}
