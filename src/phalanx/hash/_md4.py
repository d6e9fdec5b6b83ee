"""A pure-Python MD4 (RFC 1320) for ``$hmac-md4$`` hashes.

OpenSSL 3 moved MD4 to its legacy provider, so ``hashlib.new("md4")`` is usually missing.
The object has the slice of the hashlib interface :func:`hmac.new` needs.
"""

from __future__ import annotations

import struct

__all__ = ["MD4"]

_MASK = 0xFFFFFFFF
_R2 = (0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15)
_R3 = (0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15)


def _rotl(x: int, n: int) -> int:
    return ((x << n) | (x >> (32 - n))) & _MASK


def _compress(state: tuple[int, int, int, int], block: bytes) -> tuple[int, int, int, int]:
    x = struct.unpack("<16I", block)
    a, b, c, d = state
    for i in range(16):
        f = (b & c) | (~b & d)
        a, b, c, d = d, _rotl((a + f + x[i]) & _MASK, (3, 7, 11, 19)[i % 4]), b, c
    for i in range(16):
        g = (b & c) | (b & d) | (c & d)
        a, b, c, d = d, _rotl((a + g + x[_R2[i]] + 0x5A827999) & _MASK, (3, 5, 9, 13)[i % 4]), b, c
    for i in range(16):
        h = b ^ c ^ d
        a, b, c, d = d, _rotl((a + h + x[_R3[i]] + 0x6ED9EBA1) & _MASK, (3, 9, 11, 15)[i % 4]), b, c
    return (
        (state[0] + a) & _MASK,
        (state[1] + b) & _MASK,
        (state[2] + c) & _MASK,
        (state[3] + d) & _MASK,
    )


class MD4:
    """Incremental MD4 with ``update``, ``digest``, ``hexdigest`` and ``copy``."""

    name = "md4"
    digest_size = 16
    block_size = 64

    def __init__(self, data: bytes = b"") -> None:
        self._state = (0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476)
        self._buffer = b""
        self._length = 0
        self.update(data)

    def update(self, data: bytes) -> None:
        """Feed more bytes."""
        self._length += len(data)
        buffer = self._buffer + bytes(data)
        usable = len(buffer) - len(buffer) % 64
        for offset in range(0, usable, 64):
            self._state = _compress(self._state, buffer[offset : offset + 64])
        self._buffer = buffer[usable:]

    def copy(self) -> MD4:
        """An independent copy of the running hash."""
        clone = MD4()
        clone._state, clone._buffer, clone._length = self._state, self._buffer, self._length
        return clone

    def digest(self) -> bytes:
        """The 16-byte digest of everything fed so far."""
        padding = b"\x80" + b"\0" * ((55 - self._length) % 64)
        tail = self._buffer + padding + struct.pack("<Q", (self._length * 8) & (2**64 - 1))
        state = self._state
        for offset in range(0, len(tail), 64):
            state = _compress(state, tail[offset : offset + 64])
        return struct.pack("<4I", *state)

    def hexdigest(self) -> str:
        """The digest as lowercase hex."""
        return self.digest().hex()
