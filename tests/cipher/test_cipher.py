"""``secrets.cipher``: Kratos's wire formats for noop, aes and xchacha20-poly1305."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from phalanx.cipher import (
    AESCipher,
    CipherError,
    NoopCipher,
    XChaCha20Poly1305Cipher,
    cipher_for,
)
from phalanx.cipher.xchacha import hchacha20, xchacha20poly1305_open, xchacha20poly1305_seal

SECRET = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"


def test_hchacha20_vector() -> None:
    # draft-irtf-cfrg-xchacha-03, section 2.2.1
    key = bytes(range(32))
    nonce = bytes.fromhex("000000090000004a0000000031415927")
    assert hchacha20(key, nonce).hex() == (
        "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc"
    )


def test_xchacha20poly1305_vector() -> None:
    # draft-irtf-cfrg-xchacha-03, appendix A.3.1
    plaintext = (
        b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for"
        b" the future, sunscreen would be it."
    )
    aad = bytes.fromhex("50515253c0c1c2c3c4c5c6c7")
    key = bytes.fromhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
    nonce = bytes.fromhex("404142434445464748494a4b4c4d4e4f5051525354555657")
    sealed = xchacha20poly1305_seal(key, nonce, plaintext, aad)
    assert sealed.hex() == (
        "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
        "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
        "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
        "21f9664c97637da9768812f615c68b13b52e"
        "c0875924c1c7987947deafd8780acf49"
    )
    assert xchacha20poly1305_open(key, nonce, sealed, aad) == plaintext


@pytest.mark.parametrize("kind", [AESCipher, XChaCha20Poly1305Cipher])
def test_round_trip_rotation_and_tampering(kind: type[AESCipher]) -> None:
    cipher = kind([SECRET])
    token = cipher.encrypt(b"ya29.a0Af")
    assert token == token.lower() and bytes.fromhex(token)
    assert cipher.encrypt(b"ya29.a0Af") != token  # random nonce
    assert cipher.decrypt(token) == b"ya29.a0Af"
    # Rotation: a new first secret encrypts, the old one still decrypts.
    assert kind([OTHER, SECRET]).decrypt(token) == b"ya29.a0Af"
    with pytest.raises(CipherError, match="Unable to decipher"):
        kind([OTHER]).decrypt(token)
    flipped = token[:-2] + ("00" if token[-2:] != "00" else "01")
    with pytest.raises(CipherError):
        cipher.decrypt(flipped)
    with pytest.raises(CipherError, match="hex"):
        cipher.decrypt("not hex")
    with pytest.raises(CipherError, match="too short"):
        cipher.decrypt("00ff")
    assert cipher.encrypt(b"") == "" and cipher.decrypt("") == b""


def test_aes_is_cryptopasta_gcm() -> None:
    # Kratos: hex(nonce(12) || AES-256-GCM(ciphertext || tag)), key = the secret's bytes.
    token = AESCipher([SECRET]).encrypt(b"secret")
    raw = bytes.fromhex(token)
    assert len(raw) == 12 + 6 + 16
    assert AESGCM(SECRET.encode()).decrypt(raw[:12], raw[12:], None) == b"secret"


def test_xchacha_layout() -> None:
    raw = bytes.fromhex(XChaCha20Poly1305Cipher([SECRET]).encrypt(b"secret"))
    assert len(raw) == 24 + 6 + 16
    assert xchacha20poly1305_open(SECRET.encode(), raw[:24], raw[24:], None) == b"secret"


def test_no_secrets_and_noop() -> None:
    with pytest.raises(CipherError, match="no cipher secrets"):
        AESCipher([]).encrypt(b"x")
    with pytest.raises(CipherError, match="no cipher secrets"):
        XChaCha20Poly1305Cipher(["short"]).decrypt("00" * 40)
    noop = cipher_for("noop", [])
    assert isinstance(noop, NoopCipher)
    assert noop.encrypt(b"abc") == "616263" and noop.decrypt("616263") == b"abc"
    assert isinstance(cipher_for("aes", [SECRET]), AESCipher)
    assert isinstance(cipher_for("xchacha20-poly1305", [SECRET]), XChaCha20Poly1305Cipher)
