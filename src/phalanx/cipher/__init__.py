"""``secrets.cipher``: reversible encryption of values at rest (Kratos's ``cipher`` package).

``ciphers.algorithm`` picks one of

* ``noop`` (Kratos's default): the message hex-encoded, no encryption;
* ``aes``: AES-256-GCM, ``hex(nonce(12) || ciphertext || tag(16))`` (Kratos uses
  ``cryptopasta.Encrypt``, which is exactly that);
* ``xchacha20-poly1305``: ``hex(nonce(24) || ciphertext || tag(16))``.

The first ``secrets.cipher`` entry (32 characters, its bytes are the key) encrypts, every
entry is tried when decrypting, so a secret can be rotated. An empty message encrypts to
``""`` and ``""`` decrypts to ``b""``, as in Kratos. All primitives come from
``cryptography``.
"""

from __future__ import annotations

from phalanx.cipher.aead import AESCipher as AESCipher
from phalanx.cipher.aead import Cipher as Cipher
from phalanx.cipher.aead import CipherError as CipherError
from phalanx.cipher.aead import NoopCipher as NoopCipher
from phalanx.cipher.aead import XChaCha20Poly1305Cipher as XChaCha20Poly1305Cipher
from phalanx.cipher.aead import __all__ as __all__
from phalanx.cipher.aead import cipher_for as cipher_for
