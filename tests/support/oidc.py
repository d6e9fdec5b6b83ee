"""A REAL OpenID provider for end-to-end tests: django-oauth-toolkit with OIDC enabled,
started as its own process on loopback (``tests/support/oidc_provider``).

The provider is reached as ``http://localhost:<port>`` (Phalanx runs on ``127.0.0.1``), so
the two keep separate cookie jars in one httpx client or browser. Its clients are
confidential, skip the consent screen and accept any loopback port in their redirect URIs
(RFC 8252), so they work with every Phalanx test server. Clients whose id starts with
``pkce-`` must use PKCE. Users sign in on Django's real login form.

    @pytest.fixture(scope="module")
    def provider(oidc_provider_factory) -> OidcProvider: ...
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.env import clean_environ
from tests.support.paths import REPO
from tests.support.server import free_port

__all__ = [
    "CALLBACK_PATHS",
    "OidcProvider",
    "ProviderUser",
    "fetch_id_token",
    "oidc_provider",
    "provider_config",
    "sign_in_at_provider",
]

#: Redirect URIs registered for every client (any port on 127.0.0.1, RFC 8252).
CALLBACK_PATHS = (
    "/self-service/methods/oidc/callback/dot",
    "/self-service/methods/oidc/callback/dotpkce",
    "/self-service/methods/oidc/callback/dotnever",
    "/self-service/methods/oidc/callback/second",
    "/self-service/methods/oidc/callback/dotpkcenever",
    "/self-service/methods/oidc/callback/dotimport",
    "/self-service/methods/oidc/callback/dotloop",
    "/self-service/methods/oidc/callback/dotbad",
    "/self-service/methods/oidc/callback/dotuserinfo",
    "/self-service/methods/oidc/callback",
)

MAPPER = """local claims = std.extVar('claims');
{
  identity: {
    traits: { email: claims.email },
    verified_addresses: [{ via: 'email', value: claims.email }],
    metadata_public: { provider_username: claims.preferred_username },
  },
}
"""


@dataclass(frozen=True, slots=True)
class ProviderUser:
    username: str
    password: str
    email: str


@dataclass
class OidcProvider:
    url: str
    issuer: str
    process: subprocess.Popen[bytes]
    log: Path
    users: dict[str, ProviderUser] = field(default_factory=dict)
    clients: dict[str, str] = field(default_factory=dict)  # client_id -> secret

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def provider_config(
    provider: OidcProvider,
    provider_id: str = "dot",
    *,
    client_id: str = "phalanx",
    mapper: str = MAPPER,
    **extra: Any,
) -> dict[str, Any]:
    """A ``selfservice.methods.oidc.config.providers[]`` entry for the test provider."""
    import base64

    entry: dict[str, Any] = {
        "id": provider_id,
        "provider": "generic",
        "client_id": client_id,
        "client_secret": provider.clients[client_id],
        "issuer_url": provider.issuer,
        "mapper_url": "base64://" + base64.b64encode(mapper.encode()).decode(),
        "scope": ["openid", "email", "profile"],
    }
    entry.update(extra)
    return entry


def _start(users: list[ProviderUser], clients: dict[str, str], workdir: Path) -> OidcProvider:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    seed = {
        "users": [
            {"username": u.username, "password": u.password, "email": u.email} for u in users
        ],
        "clients": [
            {
                "client_id": cid,
                "client_secret": secret,
                "redirect_uris": [f"http://127.0.0.1{p}" for p in CALLBACK_PATHS],
            }
            for cid, secret in clients.items()
        ],
    }
    port = free_port()
    log = workdir / "provider.log"
    env = clean_environ(
        {
            "OIDC_PROVIDER_DB": str(workdir / "provider.sqlite"),
            "OIDC_PROVIDER_RSA_KEY": pem,
            "OIDC_PROVIDER_SEED": json.dumps(seed),
            "PYTHONPATH": str(REPO),
        }
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.oidc_provider.run", str(port)],
        cwd=REPO,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://localhost:{port}"
    provider = OidcProvider(
        url=url,
        issuer=f"{url}/o",
        process=process,
        log=log,
        users={u.username: u for u in users},
        clients=dict(clients),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            r = httpx.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=2)
            if r.status_code == 200:
                return provider
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    provider.stop()
    raise RuntimeError("the test OpenID provider did not start:\n" + log.read_text())


@pytest.fixture(scope="module")
def oidc_provider() -> Iterator[OidcProvider]:
    """One started provider per module, with users alice, bob and carol and clients
    ``phalanx`` (PKCE optional), ``pkce-phalanx`` (PKCE required) and ``other``."""
    users = [
        ProviderUser("alice", "alice-pass-1", "alice@provider.test"),
        ProviderUser("bob", "bob-pass-1", "bob@provider.test"),
        ProviderUser("carol", "carol-pass-1", "carol@provider.test"),
        ProviderUser("dave", "dave-pass-1", "dave@provider.test"),
        ProviderUser("erin", "erin-pass-1", "erin@provider.test"),
    ]
    clients = {
        "phalanx": "phalanx-secret",
        "pkce-phalanx": "pkce-phalanx-secret",
        "other": "other-secret",
    }
    with tempfile.TemporaryDirectory(prefix="oidc-provider-") as tmp:
        provider = _start(users, clients, Path(tmp))
        try:
            yield provider
        finally:
            provider.stop()


_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def sign_in_at_provider(
    client: httpx.Client, authorize_url: str, user: ProviderUser, *, max_hops: int = 10
) -> str:
    """Drive the provider like a browser from its authorize URL: sign in on its login form
    when asked, follow its redirects, and return the first URL that leaves the provider
    (Phalanx's callback with ``code`` and ``state``)."""
    url = authorize_url
    provider_host = urlsplit(authorize_url).netloc
    for _ in range(max_hops):
        if urlsplit(url).netloc != provider_host:
            return url
        r = client.get(url)
        if r.status_code in (301, 302, 303, 307):
            url = urljoin(url, r.headers["location"])
            continue
        match = _CSRF.search(r.text)
        if r.status_code == 200 and match:
            r = client.post(
                url,
                data={
                    "csrfmiddlewaretoken": match.group(1),
                    "username": user.username,
                    "password": user.password,
                },
                headers={"Referer": url},
            )
            assert r.status_code == 302, r.text
            url = urljoin(url, r.headers["location"])
            continue
        raise AssertionError(f"unexpected provider answer {r.status_code}: {r.text[:500]}")
    raise AssertionError("too many redirects at the provider")


def fetch_id_token(
    provider: OidcProvider,
    user: ProviderUser,
    *,
    client_id: str = "phalanx",
    nonce: str | None = None,
    callback: str = "/self-service/methods/oidc/callback/dot",
) -> str:
    """An ID token issued by the provider's real authorize and token endpoints (what a
    native app's SDK would get), for the native ``id_token`` sign-in."""
    import secrets as _secrets
    from urllib.parse import parse_qs, urlencode

    redirect_uri = f"http://127.0.0.1{callback}"
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid email profile",
        "state": _secrets.token_urlsafe(8),
    }
    if nonce is not None:
        params["nonce"] = nonce
    with httpx.Client(follow_redirects=False, timeout=30) as client:
        back = sign_in_at_provider(
            client, f"{provider.issuer}/authorize/?{urlencode(params)}", user
        )
        code = parse_qs(urlsplit(back).query)["code"][0]
        r = client.post(
            f"{provider.issuer}/token/",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
            auth=(client_id, provider.clients[client_id]),
        )
        assert r.status_code == 200, r.text
        return str(r.json()["id_token"])
