"""Who may use the console: the optional login (``phalanx.admin_ui.auth``) and CSRF.

**Login.** When ``phalanx.admin_ui.auth`` lists users, every console page but the login
page needs the ``phalanx_console`` cookie: ``base64url(username|expires|fingerprint)``
signed with HMAC-SHA256 under ``secrets.cookie`` (any key verifies, the first signs). The
fingerprint is a digest of the user's configured password hash, so changing a password
(or removing the user) ends that user's console sessions. Passwords are checked by the
project's hashers off the event loop; an unknown name costs a dummy verification.

**CSRF.** The selfservice double-submit tokens (:mod:`phalanx.selfservice.flow.csrf`): the
real token in the ``phalanx_console_csrf`` cookie (``HttpOnly``, ``SameSite=Strict``, path
``/admin/ui``), a masked copy in every form; every POST must carry a matching copy.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from phalanx.selfservice.flow.csrf import mask_token, new_real_token, parse_real_token, tokens_match

if TYPE_CHECKING:
    from phalanx.config import Config
    from phalanx.config.model_core import AdminUIUser
    from phalanx.hash import PasswordHashing

__all__ = [
    "AUTH_COOKIE",
    "CONSOLE_PATH",
    "CSRF_COOKIE",
    "LOGIN_LIFETIME",
    "ConsoleLogin",
    "Csrf",
    "cookie_header",
]

CONSOLE_PATH = "/admin/ui"
AUTH_COOKIE = "phalanx_console"
CSRF_COOKIE = "phalanx_console_csrf"
#: How long a console login lasts.
LOGIN_LIFETIME = 8 * 3600
_DOMAIN = b"phalanx_console|"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def _fingerprint(user: AdminUIUser) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def cookie_header(
    name: str, value: str, *, secure: bool, path: str = CONSOLE_PATH, max_age: int | None = None
) -> str:
    """A ``Set-Cookie`` value scoped to the console (``HttpOnly``, ``SameSite=Strict``)."""
    parts = [f"{name}={value}", f"Path={path}", "HttpOnly", "SameSite=Strict"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class ConsoleLogin:
    """The console's users and signing keys (from config)."""

    users: Sequence[AdminUIUser]
    keys: Sequence[str]
    hashing: PasswordHashing

    @classmethod
    def from_config(cls, config: Config, hashing: PasswordHashing) -> ConsoleLogin:
        return cls(config.phalanx.admin_ui.auth, config.cookie_secrets, hashing)

    @property
    def required(self) -> bool:
        return bool(self.users)

    def _user(self, username: str) -> AdminUIUser | None:
        return next((u for u in self.users if hmac.compare_digest(u.username, username)), None)

    def _sign(self, key: str, payload: bytes) -> bytes:
        return hmac.new(key.encode(), _DOMAIN + payload, hashlib.sha256).digest()

    async def authenticate(self, username: str, password: str) -> str | None:
        """A new cookie value when ``password`` is the user's, else None."""
        user = self._user(username)
        if user is None:
            await self.hashing.verify_dummy(password)
            return None
        if not await self.hashing.verify(password, user.password_hash):
            return None
        expires = int(time.time()) + LOGIN_LIFETIME
        payload = f"{user.username}|{expires}|{_fingerprint(user)}".encode()
        return f"{_b64(payload)}.{_b64(self._sign(self.keys[0], payload))}"

    def user_of(self, cookie: str | None) -> str | None:
        """The signed-in user of a cookie value, if valid, unexpired and still configured."""
        if not cookie:
            return None
        try:
            payload_b64, sig_b64 = cookie.split(".", 1)
            payload, sig = _unb64(payload_b64), _unb64(sig_b64)
            username, expires, fingerprint = payload.decode().rsplit("|", 2)
            expiry = int(expires)
        except (ValueError, UnicodeDecodeError):
            return None
        if not any(hmac.compare_digest(self._sign(k, payload), sig) for k in self.keys):
            return None
        user = self._user(username)
        if user is None or expiry < time.time():
            return None
        if not hmac.compare_digest(_fingerprint(user), fingerprint):
            return None
        return user.username


@dataclass(frozen=True, slots=True)
class Csrf:
    """The console's CSRF token for one request: the real token and whether it is new."""

    real: str
    fresh: bool

    @classmethod
    def of(cls, cookie: str | None) -> Csrf:
        real = parse_real_token(cookie)
        return cls(real, False) if real is not None else cls(new_real_token(), True)

    def form_token(self) -> str:
        """A masked copy for one form (differs per page, BREACH)."""
        return mask_token(self.real)

    def accepts(self, sent: object) -> bool:
        """Constant-time check of a submitted token against the cookie's (never a fresh one)."""
        return not self.fresh and isinstance(sent, str) and tokens_match(self.real, sent)
