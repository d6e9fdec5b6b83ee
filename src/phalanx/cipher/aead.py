"""The three ``ciphers.algorithm`` implementations and the factory."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from phalanx.cipher.xchacha import NONCE_SIZE, xchacha20poly1305_open, xchacha20poly1305_seal

__all__ = [
    "AESCipher",
    "Cipher",
    "CipherError",
    "NoopCipher",
    "XChaCha20Poly1305Cipher",
    "cipher_for",
]

_AES_NONCE = 12
_TAG = 16
_NO_SECRETS = "Unable to {} because no cipher secrets were configured."


class CipherError(Exception):
    """Encryption or decryption failed (no secrets, bad hex, wrong key, tampered data)."""


class Cipher(Protocol):
    """Kratos ``cipher.Cipher``: bytes in, lower-case hex out, and back."""

    def encrypt(self, message: bytes) -> str: ...

    def decrypt(self, ciphertext: str) -> bytes: ...


def _unhex(ciphertext: str) -> bytes:
    try:
        return bytes.fromhex(ciphertext)
    except ValueError as exc:
        raise CipherError("Unable to decode hex encrypted string") from exc


class NoopCipher:
    """``noop``: hex only (Kratos's default; the data is stored in plain text)."""

    def encrypt(self, message: bytes) -> str:
        return message.hex()

    def decrypt(self, ciphertext: str) -> bytes:
        return _unhex(ciphertext)


class _KeyedCipher:
    _nonce_size: int

    def __init__(self, secrets_: Sequence[str]) -> None:
        # Kratos keeps only secrets of exactly 32 characters; their bytes are the key.
        self._keys = [s.encode() for s in secrets_ if len(s.encode()) == 32]

    def _seal(self, key: bytes, nonce: bytes, message: bytes) -> bytes:
        raise NotImplementedError

    def _open(self, key: bytes, nonce: bytes, sealed: bytes) -> bytes:
        raise NotImplementedError

    def encrypt(self, message: bytes) -> str:
        if not message:
            return ""
        if not self._keys:
            raise CipherError(_NO_SECRETS.format("encrypt message"))
        nonce = secrets.token_bytes(self._nonce_size)
        return (nonce + self._seal(self._keys[0], nonce, message)).hex()

    def decrypt(self, ciphertext: str) -> bytes:
        if not ciphertext:
            return b""
        if not self._keys:
            raise CipherError(_NO_SECRETS.format("decipher the encrypted message"))
        raw = _unhex(ciphertext)
        if len(raw) < self._nonce_size + _TAG:
            raise CipherError("cipher text too short")
        nonce, sealed = raw[: self._nonce_size], raw[self._nonce_size :]
        for key in self._keys:
            try:
                return self._open(key, nonce, sealed)
            except InvalidTag:
                continue
        raise CipherError("Unable to decipher the encrypted message.")


class AESCipher(_KeyedCipher):
    """``aes``: AES-256-GCM with a random 96-bit nonce in front (``cryptopasta``)."""

    _nonce_size = _AES_NONCE

    def _seal(self, key: bytes, nonce: bytes, message: bytes) -> bytes:
        return AESGCM(key).encrypt(nonce, message, None)

    def _open(self, key: bytes, nonce: bytes, sealed: bytes) -> bytes:
        return AESGCM(key).decrypt(nonce, sealed, None)


class XChaCha20Poly1305Cipher(_KeyedCipher):
    """``xchacha20-poly1305``: random 192-bit nonce in front."""

    _nonce_size = NONCE_SIZE

    def _seal(self, key: bytes, nonce: bytes, message: bytes) -> bytes:
        return xchacha20poly1305_seal(key, nonce, message, None)

    def _open(self, key: bytes, nonce: bytes, sealed: bytes) -> bytes:
        return xchacha20poly1305_open(key, nonce, sealed, None)


def cipher_for(algorithm: str, secrets_: Sequence[str]) -> Cipher:
    """The cipher for ``ciphers.algorithm`` with ``secrets.cipher``."""
    if algorithm == "aes":
        return AESCipher(secrets_)
    if algorithm == "xchacha20-poly1305":
        return XChaCha20Poly1305Cipher(secrets_)
    return NoopCipher()
