"""A small pure-Python AES-256 (encryption only) and CTR mode, for firebase-scrypt.

Firebase's scrypt variant encrypts its project signer key with AES-256-CTR under the
scrypt-derived key. That is four AES blocks per comparison, so speed does not matter and the
``cryptography`` package is not worth a dependency. Checked against FIPS-197 appendix C.3.
"""

from __future__ import annotations

__all__ = ["aes256_ctr", "aes256_encrypt_block"]


def _rotl8(x: int, shift: int) -> int:
    return ((x << shift) | (x >> (8 - shift))) & 0xFF


def _xtime(a: int) -> int:
    a <<= 1
    return (a ^ 0x11B) if a & 0x100 else a


def _build_sbox() -> bytes:
    sbox = bytearray(256)
    p = q = 1
    while True:
        p ^= _xtime(p)  # p * 3 in GF(2^8)
        q ^= q << 1  # q / 3 in GF(2^8)
        q ^= q << 2
        q ^= q << 4
        q &= 0xFF
        if q & 0x80:
            q ^= 0x09
        sbox[p] = q ^ _rotl8(q, 1) ^ _rotl8(q, 2) ^ _rotl8(q, 3) ^ _rotl8(q, 4) ^ 0x63
        if p == 1:
            break
    sbox[0] = 0x63
    return bytes(sbox)


_SBOX = _build_sbox()
_XTIME = bytes(_xtime(a) for a in range(256))


def _expand_key(key: bytes) -> list[bytes]:
    if len(key) != 32:
        raise ValueError("AES-256 needs a 32-byte key")
    words = [key[i : i + 4] for i in range(0, 32, 4)]
    rcon = 1
    for i in range(8, 60):
        temp = words[i - 1]
        if i % 8 == 0:
            temp = bytes(_SBOX[b] for b in temp[1:] + temp[:1])
            temp = bytes((temp[0] ^ rcon,)) + temp[1:]
            rcon = _xtime(rcon)
        elif i % 8 == 4:
            temp = bytes(_SBOX[b] for b in temp)
        words.append(bytes(a ^ b for a, b in zip(words[i - 8], temp, strict=True)))
    return [b"".join(words[r * 4 : r * 4 + 4]) for r in range(15)]


def _encrypt(round_keys: list[bytes], block: bytes) -> bytes:
    state = [a ^ b for a, b in zip(block, round_keys[0], strict=True)]
    for rnd in range(1, 15):
        # SubBytes and ShiftRows: byte (row, col) comes from (row, col + row).
        s = [_SBOX[state[(i + 4 * (i % 4)) % 16]] for i in range(16)]
        if rnd < 14:
            mixed = []
            for c in range(0, 16, 4):
                a0, a1, a2, a3 = s[c], s[c + 1], s[c + 2], s[c + 3]
                total = a0 ^ a1 ^ a2 ^ a3
                mixed += [
                    a0 ^ total ^ _XTIME[a0 ^ a1],
                    a1 ^ total ^ _XTIME[a1 ^ a2],
                    a2 ^ total ^ _XTIME[a2 ^ a3],
                    a3 ^ total ^ _XTIME[a3 ^ a0],
                ]
            s = mixed
        state = [a ^ b for a, b in zip(s, round_keys[rnd], strict=True)]
    return bytes(state)


def aes256_encrypt_block(key: bytes, block: bytes) -> bytes:
    """Encrypt one 16-byte block with AES-256."""
    if len(block) != 16:
        raise ValueError("AES blocks are 16 bytes")
    return _encrypt(_expand_key(key), block)


def aes256_ctr(key: bytes, data: bytes, iv: bytes = bytes(16)) -> bytes:
    """AES-256-CTR of ``data`` with a big-endian 128-bit counter starting at ``iv``.

    Same as Go's ``cipher.NewCTR(aes.NewCipher(key), iv)``; encryption and decryption coincide.
    """
    round_keys = _expand_key(key)
    counter = int.from_bytes(iv, "big")
    out = bytearray()
    for offset in range(0, len(data), 16):
        stream = _encrypt(round_keys, counter.to_bytes(16, "big"))
        chunk = data[offset : offset + 16]
        out += bytes(a ^ b for a, b in zip(chunk, stream[: len(chunk)], strict=True))
        counter = (counter + 1) % (1 << 128)
    return bytes(out)
