"""TOTP keys as Kratos makes them (pquerna/otp v1.4.0 defaults), checked with ``pyotp``.

* secret: 20 random bytes, RFC 4648 base32 without padding (32 characters);
* SHA1, 6 digits, 30-second period;
* the key URL Kratos stores and shows:
  ``otpauth://totp/<issuer>:<account>?algorithm=SHA1&digits=6&issuer=<issuer>&period=30&secret=<B32>``
  (query keys sorted, values path-escaped, the path escaped like Go's ``URL.EscapedPath``);
* the QR code: the URL at error correction M, a 256x256 PNG as a ``data:`` URI.

A code is accepted one step either side of now, like ``totp.Validate``. Unlike Kratos,
:func:`matching_step` returns *which* step matched, so the caller can refuse a step that
was already used (replay protection).
"""

from __future__ import annotations

import base64
import hmac
import secrets
import struct
import time
import zlib
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pyotp
import segno

__all__ = [
    "PERIOD",
    "TotpKey",
    "matching_step",
    "new_key",
    "parse_key_url",
    "qr_data_uri",
]

PERIOD = 30
DIGITS = 6
_SECRET_BYTES = 20
_QR_SIZE = 256

# Go's shouldEscape: unreserved characters and, in paths, every reserved one but "?".
_PATH_SAFE = "-_.~$&+,/:;=@"
# url.PathEscape (one segment): "/", ";", "," and "?" are escaped too.
_SEGMENT_SAFE = "-_.~$&+:=@"


@dataclass(frozen=True, slots=True)
class TotpKey:
    issuer: str
    account_name: str
    secret: str  # base32, no padding

    @property
    def url(self) -> str:
        """The otpauth URL in pquerna/otp's exact form."""
        label = quote(f"/{self.issuer}:{self.account_name}", safe=_PATH_SAFE)
        query = {
            "algorithm": "SHA1",
            "digits": str(DIGITS),
            "issuer": self.issuer,
            "period": str(PERIOD),
            "secret": self.secret,
        }
        encoded = "&".join(
            f"{quote(k, safe=_SEGMENT_SAFE)}={quote(v, safe=_SEGMENT_SAFE)}"
            for k, v in sorted(query.items())
        )
        return f"otpauth://totp{label}?{encoded}"


def new_key(issuer: str, account_name: str) -> TotpKey:
    secret = base64.b32encode(secrets.token_bytes(_SECRET_BYTES)).decode().rstrip("=")
    return TotpKey(issuer=issuer, account_name=account_name, secret=secret)


def parse_key_url(url: str) -> TotpKey | None:
    """The key of an ``otpauth://totp/...`` URL, or None when it is not one (Kratos
    ``otp.NewKeyFromURL``; a URL without a secret is no usable key either)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme != "otpauth" or parts.netloc != "totp":
        return None
    query = parse_qs(parts.query)
    secret = (query.get("secret") or [""])[0].strip().upper()
    if not secret:
        return None
    try:
        base64.b32decode(secret + "=" * (-len(secret) % 8))
    except ValueError:
        return None
    label = unquote(parts.path.lstrip("/"))
    issuer, _, account = label.partition(":") if ":" in label else ("", "", label)
    issuer = (query.get("issuer") or [issuer])[0]
    return TotpKey(issuer=issuer, account_name=account, secret=secret)


def matching_step(secret: str, code: str, *, now: float | None = None) -> int | None:
    """The time step (``unix // 30``) whose code is ``code``, trying now and one step
    either side; None when none matches. Compared in constant time."""
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD)
    current = int((time.time() if now is None else now) // PERIOD)
    found: int | None = None
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def qr_data_uri(url: str) -> str:
    """A QR code of ``url`` (error correction M) as a 256x256 PNG ``data:`` URI, scaled
    like Go's ``barcode.Scale``: the largest whole module size, centred on white."""
    qr = segno.make(url, error="m", boost_error=False)
    rows = [list(row) for row in qr.matrix_iter(scale=1, border=0)]
    modules = len(rows)
    factor = max(1, _QR_SIZE // modules)
    offset = (_QR_SIZE - modules * factor) // 2
    white = b"\xff"
    lines = []
    for y in range(_QR_SIZE):
        my = (y - offset) // factor
        if y < offset or my >= modules:
            lines.append(b"\x00" + white * _QR_SIZE)
            continue
        line = bytearray(b"\x00")
        for x in range(_QR_SIZE):
            mx = (x - offset) // factor
            dark = x >= offset and mx < modules and rows[my][mx]
            line.append(0 if dark else 255)
        lines.append(bytes(line))
    return "data:image/png;base64," + base64.b64encode(_png_gray(b"".join(lines))).decode()


def _png_gray(raw: bytes) -> bytes:
    """An 8-bit greyscale PNG of :data:`_QR_SIZE` squared pixels from filtered scanlines."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", _QR_SIZE, _QR_SIZE, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
