"""The console login page (``phalanx.admin_ui.auth``) and sign-out.

Without configured users there is nothing to sign in to: the login page sends the visitor
to the identities page. A failed sign-in answers 401 with one message for an unknown user
and a wrong password alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import Response

from phalanx.console.access import AUTH_COOKIE, LOGIN_LIFETIME

if TYPE_CHECKING:
    from phalanx.console.endpoint import Console

__all__ = ["login_form", "login_submit", "logout"]

#: The longest name or password the form accepts (argon2 needs no more).
MAX_INPUT = 1024


async def login_form(console: Console) -> Response:
    """``GET /admin/ui/login``."""
    if not console.login.required or console.user is not None:
        return console.redirect("identities")
    return console.page("login.html", "Sign in to the admin console", username="", error=None)


async def login_submit(console: Console) -> Response:
    """``POST /admin/ui/login`` (``username``, ``password``)."""
    if not console.login.required:
        return console.redirect("identities")
    username = console.value("username")[:MAX_INPUT]
    password = console.value("password")[:MAX_INPUT]
    cookie = await console.login.authenticate(username, password) if username else None
    if cookie is None:
        return console.page(
            "login.html",
            "Sign in to the admin console",
            status=401,
            username=username,
            error="The name or the password is not correct.",
        )
    response = console.redirect("identities")
    response.headers.append(
        "Set-Cookie", console.cookie(AUTH_COOKIE, cookie, max_age=LOGIN_LIFETIME)
    )
    return response


async def logout(console: Console) -> Response:
    """``POST /admin/ui/logout``: forget the console login."""
    response = console.redirect("login" if console.login.required else "identities")
    response.headers.append("Set-Cookie", console.cookie(AUTH_COOKIE, "", max_age=0))
    return response
