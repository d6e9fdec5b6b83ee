"""Regenerate the offline common-password list shipped with Phalanx.

The list is Django's ``django/contrib/auth/common-passwords.txt.gz`` (about 20,000 of the
most common passwords seen in breaches, compiled by Royce Williams; Django is BSD-3
licensed). Usage::

    pip download --no-deps -d /tmp/dj django
    python scripts/update_common_passwords.py /tmp/dj/django-*.whl
"""

from __future__ import annotations

import gzip
import sys
import zipfile
from pathlib import Path

TARGET = (
    Path(__file__).resolve().parents[1]
    / "src/phalanx/selfservice/strategy/password/common-passwords.txt.gz"
)


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as archive:
        raw = archive.read("django/contrib/auth/common-passwords.txt.gz")
    lines = [line.strip() for line in gzip.decompress(raw).decode().splitlines() if line.strip()]
    TARGET.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
    print(f"wrote {len(lines)} passwords to {TARGET}")


if __name__ == "__main__":
    main(sys.argv[1])
