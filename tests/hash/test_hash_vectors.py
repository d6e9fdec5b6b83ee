"""Known password/hash pairs for every format Kratos accepts.

Most vectors are taken from Kratos's hash/hasher_test.go; the crypt(3) ones from glibc's
crypt and the SHA-crypt specification. Each must verify with its password and fail with a
wrong one, through the prefix table (`verify`) exactly as a login would.
"""

from __future__ import annotations

import pytest

from phalanx.hash import identify, validate_hash, verify, verify_strict

VECTORS: list[tuple[str, str, str]] = [
    # (Kratos format name, password, hash)
    ("bcrypt", "test", "$2a$12$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbkfL6"),
    ("bcrypt", "test", "$2a$04$Bl2QAGuKWsiRtpL3cRcNsOxLGzqgsxtLXtgduBQlCoR2PZoOVFLHa"),
    (
        "argon2id",
        "test",
        "$argon2id$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw",
    ),
    (
        "argon2id",
        "test",
        "$argon2id$v=19$m=32,t=5,p=4$cm94YnRVOW5jZzFzcVE4bQ$fBxypOL0nP/zdPE71JtAV71i487LbX3fJI5PoTN6Lp4",
    ),
    (
        "argon2i",
        "test",
        "$argon2i$v=19$m=65536,t=3,p=4$kk51rW/vxIVCYn+EG4kTSg$NyT88uraJ6im6dyha/M5jhXvpqlEdlS/9fEm7ScMb8c",
    ),
    (
        "pbkdf2",
        "test",
        "$pbkdf2-sha256$i=100000,l=32$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc"
        "$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI",
    ),
    (
        "pbkdf2",
        "test",
        "$pbkdf2-sha512$i=100000,l=32$bdHBpn7OWOivJMVJypy2UqR0UnaD5prQXRZevj/05YU"
        "$+wArTfv1a+bNGO1iZrmEdVjhA+lL11wF4/IxpgYfPwc",
    ),
    # Kratos maps sha224 and sha384 to SHA3-224 and SHA3-384 (historical quirk).
    (
        "pbkdf2",
        "test",
        "$pbkdf2-sha224$i=100000,l=32$A2nzbFd+wwzPSb+TqkF5Pw$9M4GM2yOYw/fZvsvQbF/0Ec8JO2u9O1MYRTfrDimX6o",
    ),
    (
        "pbkdf2",
        "test",
        "$pbkdf2-sha384$i=100000,l=32$xDInuz7Y/DPzZUnCaQXJmg$7ICaEa6jEqxbbCBbv4YzrBf39KYNAtc3Bj0QWKeB3Ck",
    ),
    (
        "scrypt",
        "test",
        "$scrypt$ln=16384,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA="
        "$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=",
    ),
    (
        "firebasescrypt",
        "8x4WjoDbSxJZdR",
        "$firescrypt$ln=14,r=8,p=1$sPtDhWcd1MfdAw=="
        "$xbSou7FOl6mChCyzpCPIQ7tku7nsQMTFtyOZSXXd7tjBa4NtimOx7v42Gv2SfzPQu1oxM2/k4SsbOu73wlKe1A=="
        "$Bw==$YE0dO4bwD4JnJafh6lZZfkp1MtKzuKAXQcDCJNJNyeCHairWHKENOkbh3dzwaCdizzOspwr/FITUVlnOAwPKyw==",
    ),
    ("ssha", "test123", "{SSHA}JFZFs0oHzxbMwkSJmYVeI8MnTDy/276a"),
    ("ssha", "test123", "{SSHA256}czO44OTV17PcF1cRxWrLZLy9xHd7CWyVYplr1rOhuMlx/7IK"),
    (
        "ssha",
        "test123",
        "{SSHA512}xPUl/px+1cG55rUH4rzcwxdOIPSB2TingLpiJJumN2xyDWN4Ix1WQG3ihnvHaWUE8MYNkvMi5rf0C9NYixHsE6Yh59M=",
    ),
    (
        "sha",
        "test",
        "$sha1$pf=e1NBTFR9e1BBU1NXT1JEfQ==$NW9wbWtnejAzcg==$2qU2SGWP8viTM1md3FiI3+rjWXQ=",
    ),
    (
        "sha",
        "BwS^514g^cv@Z",
        "$sha1$pf=e1NBTFR9e1BBU1NXT1JEfQ==$NW9wbWtnejAzcg==$99h9net4BXl7qdTRaiGUobLROxM=",
    ),
    (
        "sha",
        "test",
        "$sha1$pf=Pz9zdGF0aWNQcmVmaXg/P3tTQUxUfXtQQVNTV09SRH0=$NW9wbWtnejAzcg==$SAAxMUn7jxckQXkBmsVF0nHwqso=",
    ),
    (
        "sha",
        "test",
        "$sha1$pf=e1BBU1NXT1JEfSUle1NBTFR9$NW9wbWtnejAzcg==$YX0AW8/MW5ojUlnzTaR43ucHCog=",
    ),
    (
        "sha",
        "test",
        "$sha1$pf=JHtQQVNTV09SRH0ke1NBTFR9JA==$NW9wbWtnejAzcg==$iE5n1yjX3oAdxRHwZ4u57I4LpQo=",
    ),
    (
        "sha",
        "test",
        "$sha256$pf=e1NBTFR9e1BBU1NXT1JEfQ==$NW9wbWtnejAzcg==$0gfRVLCvtBCk20udLDEY5vNhujWx7RGjwRIS1ebMsLY=",
    ),
    (
        "sha",
        "test",
        "$sha256$pf=e1NBTFR9JCR7UEFTU1dPUkR9$NW9wbWtnejAzcg==$HokCOi9OtiZaZRvnkgemV3B4UUHpI7kA8zq/EZWH2NY=",
    ),
    (
        "sha",
        "test",
        "$sha512$pf=e1NBTFR9e1BBU1NXT1JEfQ==$NW9wbWtnejAzcg=="
        "$6ctpVuApMNp0CgBXcdHw/GC562eFEFGr4gpgANX8ZYsX+j5B19IkdmOY2Fytsz3QUwSWdGcUjbqwgJGTH0UYvw==",
    ),
    (
        "sha",
        "test",
        "$sha512$pf=e1NBTFR9JCR7UEFTU1dPUkR9$NW9wbWtnejAzcg=="
        "$1F9BPW8UtdJkZ9Dhlf+D4X4dJ9xfuH8y04EfuCP2k4aGPPq/aWxU9/xe3LydHmYW1/K3zu3NFO9ETVrZettz3w==",
    ),
    ("md5", "test", "$md5$CY9rzUYh03PK3k6DJie09g=="),
    ("md5", "ory", "$md5$ptoWyof5SobW+pbZu2QXoQ=="),
    ("md5", "test", "$md5$pf=e1NBTFR9e1BBU1NXT1JEfQ==$MTIz$q+RdKCgc+ipCAcm5ChQwlQ=="),
    ("md5", "test", "$md5$pf=e1NBTFR9JCR7UEFTU1dPUkR9$MTIzNA==$ud392Z8rfZ+Ou7ZFXYLKbA=="),
    ("md5", "ory", "$md5$pf=e1BBU1NXT1JEfXtTQUxUfSQ/$MTIzNDU2Nzg5$8PhwWanVRnpJAFK4NUjR0w=="),
    ("md5crypt", "test", "$md5-crypt$TVEiiKNb$SN6/pUaRQS/E8Jh46As2C/"),
    ("md5crypt", "test", "$md5-crypt$$whuMjZj.HMFoaTaZRRtkO0"),
    ("md5crypt", "ory", "$md5-crypt$xWMlm2eL$GGTOpgZu4p2k6ORprAu3b."),
    (
        "sha256crypt",
        "test",
        "$sha256-crypt$rounds=535000$05R.9KB6UC2kLI3w$Q/zslzx./JjkAVPTwp6th7nW5l7JU91Gte/UmIh.U78",
    ),
    (
        "sha256crypt",
        "ory",
        "$sha256-crypt$rounds=535000$awpcR7lDlnK/S7WE$vHU7KkQwyjfGz6u4MUi7.lH9htK/l63HloTsX1ZMz.3",
    ),
    (
        "sha512crypt",
        "test",
        "$sha512-crypt$rounds=656000$3LVbIAVxR//cRajw"
        "$uuNasMW.RYxlGzIRFU1Was70BPSa933AjxhZIGJdJBOlqJAHlgqa0yuiuq5JHF/ryNGryJkj87G9i3G2HPSXg1",
    ),
    (
        "sha512crypt",
        "ory",
        "$sha512-crypt$rounds=656000$0baQbxBrfpKqvizk"
        "$Q9cYk1MeNAlECPgpG3jjfNI2DumLqd0yHbxzLdxiX6nsSD5i9n0awcbiCf8R5DzpIYxeBPznPcb1wtzlgUKtH0",
    ),
    ("hmac", "test", "$hmac-md4$MWQ5ZTI4Nzc2Zjg4YmE2MTQ5YjQ0OTMyOGE4NWU4YjA=$MTIzNDU="),
    ("hmac", "test", "$hmac-md5$ZmU4Njk3Zjc0MmQwODA0MDVkMTI3MGU2MTYzMzE2Zjk=$MTIzNDU="),
    (
        "hmac",
        "test",
        "$hmac-sha1$NDMyNjcxZTUyY2Y2YTBmYjZjZDE2NjQxYjAwNjFiZjAwOGEzNWM5MA==$MTIzNDU=",
    ),
    (
        "hmac",
        "test",
        "$hmac-sha224$YmUwYmYzM2EwNGRlNDE0YjQzNjBhNmIyOThmNmIyYzI4OWQyMzk3MDUwZDFjMzliYjVmMDMyOTQ="
        "$MTIzNDU=",
    ),
    (
        "hmac",
        "test",
        "$hmac-sha256$ZTAzMWJhMWMyOTM4YjFkMjgzZjkxOWExZGY5YWM2NmMxOTJhN2RkNzQ0MzJkNWZkNGFkYTI5OTk0MWJhMTA5Zg=="
        "$MTIzNDU=",
    ),
    (
        "hmac",
        "test",
        "$hmac-sha384$ZWEyMGM3NGE4Y2UzMTljNTdjZTlhZGQyYTZjNDE0MGQ4YjMwYWIwOWM4OTRiNWQ4MmZjODlhMzBhMmQzNGE5"
        "NmQ0NDY1NWRhYjQ2ZjhiYjBkNTRmYjk5YWZkZTA1MGY1$MTIzNDU=",
    ),
    (
        "hmac",
        "test",
        "$hmac-sha512$OTFmODY0ZTI1NmU0ZjVhYjhiMDViZGFmNGVmNGZmMGVlNTY4ODYwNWJhYTk4MTk2OTgyMzc3NzI1YTc4MzcxMTMz"
        "NzZmY2YxYTk5MGMxM2RiZDk2MGFmMmQ1YzRmODdlMGMwYTNkYjcyNjY0NjM4NGE4YzQ2MjNhZDZkN2UxZTE=$MTIzNDU=",
    ),
]

IDS = [f"{name}-{hashed[:24]}" for name, _, hashed in VECTORS]


@pytest.mark.parametrize(("name", "password", "hashed"), VECTORS, ids=IDS)
def test_known_password_verifies(name: str, password: str, hashed: str) -> None:
    assert identify(hashed) == name
    assert verify_strict(password, hashed) is True


@pytest.mark.parametrize(("name", "password", "hashed"), VECTORS, ids=IDS)
def test_wrong_password_fails(name: str, password: str, hashed: str) -> None:
    assert verify(password[:-1] + "x", hashed) is False


@pytest.mark.parametrize(("name", "password", "hashed"), VECTORS, ids=IDS)
def test_known_hashes_pass_import_validation(name: str, password: str, hashed: str) -> None:
    validate_hash(hashed)


def test_bytes_passwords_verify_like_their_utf8() -> None:
    assert verify(b"test", "$md5$CY9rzUYh03PK3k6DJie09g==")


def test_flipped_digest_bytes_fail() -> None:
    # Kratos's own negative cases: the last character of the digest altered.
    assert not verify("test", "$2a$12$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbkfL7")
    assert not verify(
        "test", "$argon2id$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRN2"
    )
    assert not verify(
        "test",
        "$pbkdf2-sha256$i=100000,l=32$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc"
        "$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpp",
    )
    assert not verify(
        "test",
        "$scrypt$ln=16384,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA="
        "$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYF=",
    )
    assert not verify("test", "$md5$WhBei51A4TKXgNYuoiZdig==")
    assert not verify("ory", "$md5-crypt$E7zjruqF$RTglYR1CzBHwwiTk9nVzx1")
    assert not verify(
        "test", "$sha1$pf=e1NBTFR9e1BBU1NXT1JEfQ==$cDJvb3ZrZGJ6cQ==$2qU2SGWP8viTM1md3FiI3+rjWXQ="
    )
    # hmac: right digest, wrong key
    assert not verify("test", "$hmac-md5$ZmU4Njk3Zjc0MmQwODA0MDVkMTI3MGU2MTYzMzE2Zjk=$MTIzNA==")
