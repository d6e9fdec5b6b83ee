"""Byte-level helpers shared by the hash families.

Kratos decodes hash parts with Go's ``base64.StdEncoding.Strict()`` or
``base64.RawStdEncoding.Strict()``: the input must use the standard alphabet, carry (or, for
the raw variant, omit) ``=`` padding, and leave the unused trailing bits zero. The decoders here
accept exactly that, so a hash Kratos refuses to parse is refused here too.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re

from phalanx.hash.errors import HashParseError

__all__ = [
    "CRYPT_ALPHABET",
    "b64decode_raw",
    "b64decode_std",
    "b64encode_raw",
    "b64encode_std",
    "constant_time_equal",
    "crypt_b64_from_groups",
    "password_bytes",
]

CRYPT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
"""The alphabet of crypt(3) base64 (md5-crypt, sha-crypt); bcrypt uses another order."""

_STD = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_RAW = re.compile(r"[A-Za-z0-9+/]*")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def password_bytes(password: str | bytes) -> bytes:
    """The UTF-8 bytes Kratos hashes for ``password``.

    Go's JSON decoder turns an unpaired UTF-16 surrogate into U+FFFD; Python keeps it as a lone
    surrogate that UTF-8 cannot encode, so it is replaced the same way here.
    """
    if isinstance(password, bytes):
        return password
    try:
        return password.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub("\ufffd", password).encode("utf-8")


def constant_time_equal(a: bytes, b: bytes) -> bool:
    """Compare two digests in constant time; an empty expected digest never matches.

    Go's ``subtle.ConstantTimeCompare`` reports two empty slices as equal, which would let any
    password match a hash whose digest part is empty; Phalanx refuses that instead.
    """
    if not a:
        return False
    return hmac.compare_digest(a, b)


def b64decode_std(value: str) -> bytes:
    """Decode padded standard base64 strictly (Go ``base64.StdEncoding.Strict()``)."""
    if len(value) % 4 or not _STD.fullmatch(value):
        raise HashParseError(f"invalid base64 {value!r}")
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise HashParseError(f"invalid base64 {value!r}") from exc
    if b64encode_std(decoded) != value:
        raise HashParseError(f"non-canonical base64 {value!r}")
    return decoded


def b64decode_raw(value: str) -> bytes:
    """Decode unpadded standard base64 strictly (Go ``base64.RawStdEncoding.Strict()``)."""
    if len(value) % 4 == 1 or not _RAW.fullmatch(value):
        raise HashParseError(f"invalid unpadded base64 {value!r}")
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise HashParseError(f"invalid unpadded base64 {value!r}") from exc
    if b64encode_raw(decoded) != value:
        raise HashParseError(f"non-canonical base64 {value!r}")
    return decoded


def b64encode_std(data: bytes) -> str:
    """Padded standard base64 (Go ``base64.StdEncoding``)."""
    return base64.b64encode(data).decode("ascii")


def b64encode_raw(data: bytes) -> str:
    """Unpadded standard base64 (Go ``base64.RawStdEncoding``), as in argon2 and pbkdf2 hashes."""
    return base64.b64encode(data).decode("ascii").rstrip("=")


def crypt_b64_from_groups(digest: bytes, groups: tuple[tuple[int, ...], ...]) -> bytes:
    """Encode ``digest`` the way crypt(3) does: byte groups, little-endian 6-bit characters.

    Each group lists up to three byte indices, most significant first; a group of ``k`` bytes
    yields ``k + 1`` characters.
    """
    out = []
    for group in groups:
        value = 0
        for index in group:
            value = (value << 8) | digest[index]
        for _ in range(len(group) + 1):
            out.append(CRYPT_ALPHABET[value & 0x3F])
            value >>= 6
    return "".join(out).encode("ascii")
