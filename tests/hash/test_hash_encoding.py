"""Building blocks: strict base64 and MD4 (RFC 1320, from PyCryptodome)."""

from __future__ import annotations

import hmac

import pytest
from Cryptodome.Hash.MD4 import new as MD4

from phalanx.hash import HashParseError
from phalanx.hash.encoding import (
    b64decode_raw,
    b64decode_std,
    constant_time_equal,
    password_bytes,
)


def test_std_base64_is_strict_like_go() -> None:
    assert b64decode_std("MTIz") == b"123"
    assert b64decode_std("") == b""
    assert b64decode_std("MTI=") == b"12"
    for bad in ("MTI", "MTIz=", "MT!z", "Zh==", "MTIz\n"):
        with pytest.raises(HashParseError):
            b64decode_std(bad)


def test_raw_base64_is_strict_like_go() -> None:
    assert b64decode_raw("MTI") == b"12"
    assert b64decode_raw("cm94YnRVOW5jZzFzcVE4bQ") == b"roxbtU9ncg1sqQ8m"
    for bad in ("MTI=", "M", "MTJ", "M-I"):
        with pytest.raises(HashParseError):
            b64decode_raw(bad)


def test_constant_time_equal_refuses_empty_digests() -> None:
    assert constant_time_equal(b"a", b"a")
    assert not constant_time_equal(b"", b"")
    assert not constant_time_equal(b"a", b"b")


def test_password_bytes_replaces_lone_surrogates_like_go_json() -> None:
    assert password_bytes("é") == b"\xc3\xa9"
    assert password_bytes("a\ud800b") == "a\ufffdb".encode()
    assert password_bytes(b"\xff") == b"\xff"


@pytest.mark.parametrize(
    ("message", "digest"),
    [
        (b"", "31d6cfe0d16ae931b73c59d7e0c089c0"),
        (b"a", "bde52cb31de33e46245e05fbdbd6fb24"),
        (b"abc", "a448017aaf21d8525fc10ae87aa6729d"),
        (b"message digest", "d9130a8164549fe818874806e1c7014b"),
        (b"abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"),
        (
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            "043f8582f241db351ce627e153e7f0e4",
        ),
        (b"1234567890" * 8, "e33b4ddc9c38f2199c3e7b164fcc0536"),
    ],
)
def test_md4_rfc1320_vectors(message: bytes, digest: str) -> None:
    assert MD4(message).hexdigest() == digest
    incremental = MD4()
    for byte in message:
        incremental.update(bytes([byte]))
    assert incremental.hexdigest() == digest


def test_md4_works_with_hmac() -> None:
    assert hmac.new(b"12345", b"test", MD4).hexdigest() == "1d9e28776f88ba6149b449328a85e8b0"
