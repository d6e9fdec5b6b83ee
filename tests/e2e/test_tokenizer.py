"""``GET /sessions/whoami?tokenize_as=<template>``: JWTs signed with the first key of the
template's JWKS (``base64://``, ``file://``, ``http://``), checked with PyJWT and keys made
with ``cryptography`` -- nothing of the JOSE library Phalanx signs with."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from phalanx.testing import flows_config
from phalanx.testing.sdk import frontend, register_api
from tests.support.api import error_of
from tests.support.openapi import checked
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

_KEYS: dict[str, Any] = {
    "RS256": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "ES256": ec.generate_private_key(ec.SECP256R1()),
    "ES512": ec.generate_private_key(ec.SECP521R1()),
    "EdDSA": ed25519.Ed25519PrivateKey.generate(),
}


def _jwk(alg: str, kid: str) -> dict[str, Any]:
    key = _KEYS[alg]
    encoder = {"RS256": RSAAlgorithm, "ES256": ECAlgorithm, "ES512": ECAlgorithm}.get(
        alg, OKPAlgorithm
    )
    out: dict[str, Any] = json.loads(encoder.to_jwk(key))
    out.update(alg=alg, kid=kid, use="sig")
    return out


def _b64(document: Any) -> str:
    return "base64://" + base64.b64encode(json.dumps(document).encode()).decode()


def _other_jwk() -> dict[str, Any]:
    out: dict[str, Any] = json.loads(ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1())))
    out.update(alg="ES256", kid="second")
    return out


MAPPER = """
local claims = std.extVar('claims');
local session = std.extVar('session');
{
  claims: {
    iss: 'https://issuer.example',
    sub: 'not-allowed',
    email: session.identity.traits.email,
    base_exp: claims.exp,
    aud: ['api'],
  },
}
"""


@pytest.fixture(scope="module")
def jwks_host() -> Iterator[str]:
    document = json.dumps({"keys": [_jwk("ES512", "es512-key"), _other_jwk()]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/jwks.json"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def server(
    module_server_factory: ServerFactory, jwks_host: str, tmp_path_factory: pytest.TempPathFactory
) -> PhalanxServer:
    es256 = tmp_path_factory.mktemp("jwks") / "es256.json"
    es256.write_text(json.dumps({"keys": [_jwk("ES256", "es256-key"), _other_jwk()]}))
    unsigned = _jwk("RS256", "bad")
    unsigned["alg"] = "XX999"
    templates = {
        "rs256": {"jwks_url": _b64({"keys": [_jwk("RS256", "rs-key")]}), "ttl": "10m"},
        "es256": {"jwks_url": f"file://{es256}"},
        "es512": {"jwks_url": jwks_host, "ttl": "1h"},
        "eddsa": {"jwks_url": _b64({"keys": [_jwk("EdDSA", "ed-key")]}), "ttl": "30s"},
        "mapped": {
            "jwks_url": _b64({"keys": [_jwk("RS256", "rs-key")]}),
            "claims_mapper_url": "base64://" + base64.b64encode(MAPPER.encode()).decode(),
        },
        "mapper-fails": {
            "jwks_url": _b64({"keys": [_jwk("RS256", "rs-key")]}),
            "claims_mapper_url": "base64://" + base64.b64encode(b"error 'no'").decode(),
        },
        "mapper-no-claims": {
            "jwks_url": _b64({"keys": [_jwk("RS256", "rs-key")]}),
            "claims_mapper_url": "base64://" + base64.b64encode(b"{other: {}}").decode(),
        },
        "empty": {"jwks_url": _b64({"keys": []})},
        "bad-alg": {"jwks_url": _b64({"keys": [unsigned]})},
        "by-external-id": {
            "jwks_url": _b64({"keys": [_jwk("RS256", "rs-key")]}),
            "subject_source": "external_id",
        },
    }
    return module_server_factory.start(
        config=flows_config(
            {
                "session": {"whoami": {"tokenizer": {"templates": templates}}},
                "feature_flags": {"cacheable_sessions": True},
            }
        )
    )


@pytest.fixture(scope="module")
def token(server: PhalanxServer) -> str:
    with frontend(server) as api:
        return register_api(api).session_token or ""


def _whoami(server: PhalanxServer, token: str, template: str) -> httpx.Response:
    return checked(
        httpx.get(
            f"{server.public_url}/sessions/whoami",
            params={"tokenize_as": template},
            headers={"X-Session-Token": token},
        )
    )


@pytest.mark.parametrize(
    ("template", "alg", "kid", "ttl"),
    [
        ("rs256", "RS256", "rs-key", 600),
        ("es256", "ES256", "es256-key", 60),
        ("es512", "ES512", "es512-key", 3600),
        ("eddsa", "EdDSA", "ed-key", 30),
    ],
)
def test_jwt_per_algorithm(
    server: PhalanxServer, token: str, template: str, alg: str, kid: str, ttl: int
) -> None:
    before = int(time.time())
    r = _whoami(server, token, template)
    assert r.status_code == 200, r.text
    assert "Ory-Session-Cache-For" not in r.headers
    session = r.json()
    tokenized = session["tokenized"]
    header = jwt.get_unverified_header(tokenized)
    assert header == {"alg": alg, "kid": kid, "typ": "JWT"}
    claims = jwt.decode(
        tokenized,
        _KEYS[alg].public_key(),
        algorithms=[alg],
        options={"require": ["exp", "iat", "nbf", "sub", "jti", "sid", "iss"]},
    )
    assert set(claims) == {"jti", "iss", "exp", "sid", "nbf", "iat", "sub"}
    assert uuid.UUID(claims["jti"]).version == 4
    assert claims["iss"] == server.config["serve"]["public"]["base_url"]
    assert claims["sid"] == session["id"]
    assert claims["sub"] == session["identity"]["id"]
    assert claims["iat"] == claims["nbf"] and before <= claims["iat"] <= int(time.time())
    assert claims["exp"] - claims["iat"] == ttl


def test_each_call_gets_a_fresh_jti_and_the_sdk_reads_it(server: PhalanxServer, token: str) -> None:
    with frontend(server) as api:
        first = api.to_session(x_session_token=token, tokenize_as="rs256")
        second = api.to_session(x_session_token=token, tokenize_as="rs256")
    assert first.tokenized and second.tokenized
    ids = {
        jwt.decode(t, options={"verify_signature": False})["jti"]
        for t in (first.tokenized, second.tokenized)
    }
    assert len(ids) == 2


def test_whoami_without_tokenize_as_is_untouched(server: PhalanxServer, token: str) -> None:
    r = checked(
        httpx.get(f"{server.public_url}/sessions/whoami", headers={"X-Session-Token": token})
    )
    assert r.status_code == 200 and "tokenized" not in r.json()
    assert "Ory-Session-Cache-For" in r.headers
    r = _whoami(server, token, "")
    assert r.status_code == 200 and "tokenized" not in r.json()


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("nope", 'Unable to find tokenizer template "nope".'),
        ("mapper-fails", "Unable to execute tokenizer JsonNet."),
        (
            "mapper-no-claims",
            "Expected tokenizer JsonNet to return a claims object but it did not.",
        ),
        ("empty", "Could not find key a suitable key for tokenization in the JWKS url."),
        ("bad-alg", 'The JSON Web Key must include a valid "alg" parameter but "XX999" was given.'),
        (
            "by-external-id",
            "The session's identity does not have an external ID set, but it is required for "
            "the subject claim.",
        ),
    ],
)
def test_errors_as_kratos(server: PhalanxServer, token: str, template: str, reason: str) -> None:
    r = _whoami(server, token, template)
    assert r.status_code == 400, r.text
    error = error_of(r)
    assert error["code"] == 400 and error["status"] == "Bad Request"
    assert error["reason"] == reason


def test_subject_from_external_id(server: PhalanxServer, token: str) -> None:
    session = _whoami(server, token, "rs256").json()
    identity_id = session["identity"]["id"]
    r = httpx.patch(
        f"{server.admin_url}/admin/identities/{identity_id}",
        json=[{"op": "add", "path": "/external_id", "value": "legacy-42"}],
    )
    assert r.status_code == 200, r.text
    r = _whoami(server, token, "by-external-id")
    assert r.status_code == 200, r.text
    claims = jwt.decode(r.json()["tokenized"], _KEYS["RS256"].public_key(), algorithms=["RS256"])
    assert claims["sub"] == "legacy-42"


def test_no_session_is_401_before_any_template_lookup(server: PhalanxServer) -> None:
    r = _whoami(server, "ory_st_nothing", "nope")
    assert r.status_code == 401


def test_claims_mapper_merges_over_the_base_claims_but_not_sub(
    server: PhalanxServer, token: str
) -> None:
    r = _whoami(server, token, "mapped")
    assert r.status_code == 200, r.text
    session = r.json()
    claims = jwt.decode(
        session["tokenized"], _KEYS["RS256"].public_key(), algorithms=["RS256"], audience="api"
    )
    assert claims["iss"] == "https://issuer.example"
    assert claims["sub"] == session["identity"]["id"]
    assert claims["email"] == session["identity"]["traits"]["email"]
    assert claims["base_exp"] == claims["exp"] and claims["aud"] == ["api"]
    assert claims["sid"] == session["id"]
