"""XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha) on top of ``cryptography``'s primitives.

``cryptography`` offers ChaCha20 and ChaCha20-Poly1305 (96-bit nonce) but not the
extended-nonce variant Kratos uses. XChaCha20-Poly1305 is ChaCha20-Poly1305 under the
sub-key ``HChaCha20(key, nonce[:16])`` with nonce ``0^4 || nonce[16:]``. HChaCha20 is the
ChaCha20 block function without the final feed-forward addition, so it is recovered from
one ChaCha20 keystream block (``cryptography``'s 16-byte ChaCha20 "nonce" is the whole
counter-and-nonce row) by subtracting the known input words.
"""

from __future__ import annotations

import struct

from cryptography.hazmat.primitives.ciphers import Cipher as _Cipher
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

__all__ = ["NONCE_SIZE", "hchacha20", "xchacha20poly1305_open", "xchacha20poly1305_seal"]

NONCE_SIZE = 24
_SIGMA = struct.unpack("<4I", b"expand 32-byte k")
_MASK = 0xFFFFFFFF


def hchacha20(key: bytes, nonce16: bytes) -> bytes:
    """The 32-byte HChaCha20 output for a 32-byte key and a 16-byte input."""
    if len(key) != 32 or len(nonce16) != 16:
        raise ValueError("HChaCha20 needs a 32-byte key and a 16-byte input")
    encryptor = _Cipher(algorithms.ChaCha20(key, nonce16), mode=None).encryptor()
    block = struct.unpack("<16I", encryptor.update(bytes(64)))
    initial = (*_SIGMA, *struct.unpack("<8I", key), *struct.unpack("<4I", nonce16))
    rounds = [(block[i] - initial[i]) & _MASK for i in range(16)]
    return struct.pack("<8I", *rounds[0:4], *rounds[12:16])


def _aead(key: bytes, nonce: bytes) -> tuple[ChaCha20Poly1305, bytes]:
    if len(nonce) != NONCE_SIZE:
        raise ValueError("XChaCha20-Poly1305 needs a 24-byte nonce")
    return ChaCha20Poly1305(hchacha20(key, nonce[:16])), bytes(4) + nonce[16:]


def xchacha20poly1305_seal(key: bytes, nonce: bytes, message: bytes, aad: bytes | None) -> bytes:
    """``ciphertext || tag`` of ``message``."""
    aead, short_nonce = _aead(key, nonce)
    return aead.encrypt(short_nonce, message, aad)


def xchacha20poly1305_open(key: bytes, nonce: bytes, sealed: bytes, aad: bytes | None) -> bytes:
    """The plaintext; raises ``cryptography.exceptions.InvalidTag`` when it was tampered with."""
    aead, short_nonce = _aead(key, nonce)
    return aead.decrypt(short_nonce, sealed, aad)
